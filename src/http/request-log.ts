/**
 * One access-log line per request (pino-http): method, route pattern, path, status, duration, user, request id.
 * Never the query string, bodies, cookies or headers (signed links carry signatures in the query, requests carry
 * tokens and session cookies). `X-Request-Id` is taken when it is well-formed, otherwise one is made; it is echoed
 * back and becomes the current request id of everything the request does (see src/lib/request-context.ts).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import { pinoHttp } from 'pino-http';
import { describeActor, type Actor } from '../domain/actor.js';
import { isValidRequestId, runWithRequestId } from '../lib/request-context.js';
import { BINDS_REQUEST_ID, type Logger } from '../logger.js';

/**
 * The matched route's pattern (`/api/rollouts/:id/pause`), recorded when the router matches it (req.route is set
 * while req.baseUrl still holds the mount path), so the log and the metrics never see raw ids or names.
 */
const ROUTE = Symbol('route pattern');
type Tracked = IncomingMessage & { [ROUTE]?: string; baseUrl?: string; route?: { path?: unknown } };

const trackRoute = (req: Request): void => {
  let route: unknown;
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set: (value: { path?: unknown } | undefined) => {
      route = value;
      if (value && typeof value.path === 'string') (req as Tracked)[ROUTE] = `${req.baseUrl ?? ''}${value.path === '/' && req.baseUrl ? '' : value.path}`;
    },
  });
};

/** The route pattern of a finished request: its matched route, or `(unmatched)` (404s, static answers). */
export const routePatternOf = (req: IncomingMessage): string => (req as Tracked)[ROUTE] ?? '(unmatched)';

const PROBES = new Set(['/livez', '/readyz', '/healthz', '/metrics']);

const pathOf = (url: string | undefined): string => (url ?? '').split('?')[0]!.slice(0, 256);

const userOf = (res: ServerResponse): string | null => {
  const actor = (res as Response).locals?.['actor'] as Actor | undefined;
  if (!actor) return null;
  const token = actor.kind === 'user' ? actor.token : undefined;
  return token ? `${describeActor(actor)} (token ${token})` : describeActor(actor);
};

/** Told of each finished request (metrics): method, route pattern, status and seconds taken. */
export type RequestObserver = (method: string, route: string, status: number, seconds: number) => void;

export const requestLog = (logger: Logger, observe?: RequestObserver): RequestHandler => {
  const access = Object.assign(logger.child({ log: 'access' }), { [BINDS_REQUEST_ID]: true });
  const log = pinoHttp({
    logger: access,
    quietReqLogger: true,
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id = isValidRequestId(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    customAttributeKeys: { reqId: 'requestId', responseTime: 'durationMs' },
    // The serializers pick fields; nothing else of the request or response is ever written.
    serializers: {
      req: (req: { method?: string; url?: string }) => ({ method: req.method, path: pathOf(req.url) }),
      res: (res: { statusCode?: number }) => ({ status: res.statusCode }),
    },
    wrapSerializers: true,
    // Called when the request starts (nothing known yet) and when it ends (route matched, user authenticated).
    customProps: (req, res) => (res.headersSent ? { route: routePatternOf(req), user: userOf(res) } : {}),
    // Probes and scrapes arrive every few seconds: their successes are debug lines.
    customLogLevel: (req, res, error) =>
      error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : PROBES.has(pathOf(req.url)) ? 'debug' : 'info',
    customSuccessMessage: (req, res, ms) => `${req.method} ${routePatternOf(req)} ${res.statusCode} ${ms}ms`,
    customErrorMessage: (req, res) => `${req.method} ${routePatternOf(req)} ${res.statusCode} failed`,
  });
  return (req, res, next) => {
    trackRoute(req);
    log(req, res);
    if (observe) {
      const start = process.hrtime.bigint();
      res.once('finish', () => observe(req.method, routePatternOf(req), res.statusCode, Number(process.hrtime.bigint() - start) / 1e9));
    }
    runWithRequestId(String(req.id), next);
  };
};
