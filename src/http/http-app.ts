/**
 * The admin backend: JSON API under /api, server-rendered pages, /healthz, and one error mapping.
 * No global body parser: Slack's and GitHub's routes verify signatures over the raw body.
 */
import express from 'express';
import type { SessionStore, SignInStore } from '../domain/ports.js';
import type { Redactor } from '../lib/redact.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services/services.js';
import { apiRouter } from './api/api-router.js';
import type { AdminAuth } from './auth.js';
import { errorHandler } from './error-mapping.js';
import { redactResponses } from './redact-responses.js';
import { requestLog } from './request-log.js';
import { createReadinessCheck, healthRoute, livenessRoute, readinessRoute, type HealthReport } from './health.js';
import type { ReadinessReport } from '../services/readiness.js';
import { metricsRoute, type MetricsSource } from './metrics-route.js';
import { actionsRouter } from './pages/actions-router.js';
import { fleetRouter } from './pages/fleet-routes.js';
import { pageHeaders, pageRouter } from './pages/page-router.js';
import { resultNotes } from './pages/result-note.js';
import { tokensPages } from './pages/tokens-page.js';
import { loginRoutes } from './session/login-routes.js';
import { SessionManager } from './session/session-manager.js';
import { signOutEverywhereRoutes } from './session/sign-out-everywhere.js';

export interface HttpAppDeps {
  services: Services;
  /** Admin sessions: like RedeliveryStore, the transport's own state, not the application's. */
  sessions: SessionStore;
  /** Sign-in throttle and re-hashed passwords (the sessions' neighbours). */
  signIns: SignInStore;
  auth: AdminAuth;
  /** Key of the sign-in's device cookies (LINK_SECRET); none without it. */
  deviceSecret?: string;
  /** Express `trust proxy` (TRUST_PROXY); without it X-Forwarded-For is ignored and the socket address counts. */
  trustProxy?: false | number | string[];
  /** The server's public base URL (PUBLIC_URL): its host is allowed, its origin counts as same-origin. */
  publicUrl: string;
  health: () => Promise<HealthReport>;
  /** /readyz's checks beyond the store and queue (disk full, tasks past their lease: src/services/readiness.ts). */
  readiness?: () => Promise<ReadinessReport>;
  /** Prometheus metrics: /metrics and request latencies (none: no /metrics). */
  metrics?: (MetricsSource & { observeRequest(method: string, route: string, status: number, seconds: number): void }) | null;
  /** METRICS_TOKEN; without it /metrics answers loopback clients only. */
  metricsToken?: string | null;
  logger: Logger;
  /**
   * Mounts other adapters' routes (Slack receiver, GitHub webhooks) after /api and before the pages'
   * catch-all 404 and the error handler, which would otherwise shadow them.
   */
  mount?: (app: express.Express) => void;
  /** Applied to every text response (JSON and pages): URL credentials and configured secrets never go out. */
  redact?: Redactor;
}

/** The session manager of an app made by createHttpApp (its password threads end with the app). */
export const sessionManagerOf = (app: express.Express): SessionManager | null => (app.locals['sessionManager'] as SessionManager | undefined) ?? null;

export const createHttpApp = (input: HttpAppDeps): express.Express => {
  const users = input.auth.users ?? [];
  const sessions = users.length
    ? new SessionManager({ sessions: input.sessions, signIns: input.signIns }, users, {
        secure: input.publicUrl.startsWith('https:'),
        ...(input.deviceSecret ? { deviceSecret: input.deviceSecret } : {}),
      })
    : null;
  const deps: HttpAppDeps = { ...input, auth: { ...input.auth, sessions, apiTokens: users.length ? input.services.apiTokens : null } };
  const app = express();
  app.locals['sessionManager'] = sessions;
  app.disable('x-powered-by');
  // Express's default already ignores X-Forwarded-*; set explicitly so the one place that decides is visible.
  app.set('trust proxy', input.trustProxy ?? false);
  const metrics = deps.metrics ?? null;
  app.use(requestLog(deps.logger, metrics ? (method, route, status, seconds) => metrics.observeRequest(method, route, status, seconds) : undefined));
  if (deps.redact) app.use(redactResponses(deps.redact));
  app.get('/healthz', healthRoute(deps.health, deps.logger));
  app.get('/livez', livenessRoute);
  app.get('/readyz', readinessRoute(createReadinessCheck(deps.health, deps.readiness), deps.logger));
  if (metrics) app.get('/metrics', metricsRoute(metrics, deps.metricsToken ?? null));
  // Browsers ask for it on every page; answering keeps it out of the 404 log and the auth prompt.
  app.get('/favicon.ico', (_req, res) => void res.status(204).end());
  app.use('/api', apiRouter(deps));
  deps.mount?.(app);
  app.use(pageHeaders, resultNotes(deps.services.links), loginRoutes(deps.auth, deps.publicUrl), signOutEverywhereRoutes(deps), actionsRouter(deps), fleetRouter(deps), tokensPages(deps));
  app.use(pageHeaders, resultNotes(deps.services.links), pageRouter(deps));
  app.use(errorHandler(deps.logger));
  return app;
};
