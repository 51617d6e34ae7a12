/** The real admin HTTP app on 127.0.0.1:<random port>, on the embedded store (SQLite in memory) and its job queue. */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Express } from 'express';
import { silentLogger, type Logger } from '../../src/logger.js';
import type { AdvisoryFeedReader } from '../../src/domain/ports.js';
import type { AdminAuth } from '../../src/http/auth.js';
import { createHealthCheck } from '../../src/http/health.js';
import { createHttpApp, sessionManagerOf, type HttpAppDeps } from '../../src/http/http-app.js';
import { embeddedStore } from './embedded.js';
import { createHarness, type Harness } from './services-harness.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const TOKEN_AUTH: AdminAuth = { token: ADMIN_TOKEN, user: null, password: null };
export const NO_AUTH: AdminAuth = { token: null, user: null, password: null };
/** Origin the LinkSigner puts in front of signed paths (tests request the path on the real server). */
export const PUBLIC_URL = 'http://distro.test';

export interface HttpTestServer extends Harness {
  app: Express;
  baseUrl: string;
  close(): Promise<void>;
}

export const listen = async (app: Express, host = '127.0.0.1'): Promise<{ server: Server; baseUrl: string }> => {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(0, host, (error?: Error) => (error ? reject(error) : resolve(s)));
  });
  const { port } = server.address() as AddressInfo;
  return { server, baseUrl: `http://${host.includes(':') ? `[${host}]` : host}:${port}` };
};

export const closeServer = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

export interface StartOptions {
  auth?: AdminAuth;
  host?: string;
  mount?: HttpAppDeps['mount'];
  /** Security advisory feeds the services poll. */
  advisoryFeeds?: AdvisoryFeedReader[];
  /** Where the app logs (the access log included); silent by default. */
  logger?: Logger;
}

export const startHttpServer = async (options: StartOptions = {}): Promise<HttpTestServer> => {
  const { repos, queue } = embeddedStore();
  const jobs = queue();
  const harness = createHarness(repos, jobs, PUBLIC_URL, options.advisoryFeeds);
  const app = createHttpApp({
    services: harness.services,
    sessions: repos.sessions,
    signIns: repos.signIns,
    auth: options.auth ?? TOKEN_AUTH,
    publicUrl: PUBLIC_URL,
    health: createHealthCheck({ repos, jobs }),
    logger: options.logger ?? silentLogger(),
    ...(options.mount ? { mount: options.mount } : {}),
  });
  const { server, baseUrl } = await listen(app, options.host);
  return {
    ...harness,
    app,
    baseUrl,
    close: async () => {
      await closeServer(server);
      await sessionManagerOf(app)?.close();
      await jobs.stop();
      await repos.close();
    },
  };
};

/** The path and query of a signed link, to request on the test server instead of PUBLIC_URL. */
export const pathOf = (url: string): string => {
  const u = new URL(url);
  return u.pathname + u.search;
};

// Tests read response bodies ad hoc (res.body.error.issues…); typing each shape would only add casts.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** fetch with the admin token and a JSON body; parses the JSON answer (null for an empty one). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const api = async <T = any>(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${ADMIN_TOKEN}` },
): Promise<JsonResponse<T>> => {
  const res = await fetch(baseUrl + path, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
};

export const basicAuth = (user: string, password: string): Record<string, string> => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

/** POST /api/distributions body for a git upstream polled only on demand (tests poll explicitly). */
export const gitDistributionBody = (
  slug: string,
  title: string,
  channel: string,
  upstream: { url: string; branch?: string; tagPattern: string; manifestPath?: string },
) => ({
  slug,
  title,
  channel,
  upstream: { kind: 'git', manifestPath: 'composer.lock', ...upstream },
  policy: { pollIntervalMinutes: 0, autoTarget: true },
});
