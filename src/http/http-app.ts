/**
 * The admin backend: JSON API under /api, server-rendered pages, /healthz, and one error mapping.
 * No global body parser: Slack's and GitHub's routes verify signatures over the raw body.
 */
import express from 'express';
import type { SessionStore } from '../domain/ports.js';
import type { Redactor } from '../lib/redact.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services/services.js';
import { apiRouter } from './api/api-router.js';
import type { AdminAuth } from './auth.js';
import { errorHandler } from './error-mapping.js';
import { redactResponses } from './redact-responses.js';
import { healthRoute, readinessRoute, type HealthReport } from './health.js';
import type { ReadinessReport } from '../services/readiness.js';
import { actionsRouter } from './pages/actions-router.js';
import { pageHeaders, pageRouter } from './pages/page-router.js';
import { loginRoutes } from './session/login-routes.js';
import { SessionManager } from './session/session-manager.js';

export interface HttpAppDeps {
  services: Services;
  /** Admin sessions: like RedeliveryStore, the transport's own state, not the application's. */
  sessions: SessionStore;
  auth: AdminAuth;
  /** The server's public base URL (PUBLIC_URL): its host is allowed, its origin counts as same-origin. */
  publicUrl: string;
  health: () => Promise<HealthReport>;
  /** /readyz (degraded while the disk is full or a task outlived its lease); absent: no /readyz. */
  readiness?: () => Promise<ReadinessReport>;
  logger: Logger;
  /**
   * Mounts other adapters' routes (Slack receiver, GitHub webhooks) after /api and before the pages'
   * catch-all 404 and the error handler, which would otherwise shadow them.
   */
  mount?: (app: express.Express) => void;
  /** Applied to every text response (JSON and pages): URL credentials and configured secrets never go out. */
  redact?: Redactor;
}

export const createHttpApp = (input: HttpAppDeps): express.Express => {
  const users = input.auth.users ?? [];
  const sessions = users.length ? new SessionManager(input.sessions, users, { secure: input.publicUrl.startsWith('https:') }) : null;
  const deps: HttpAppDeps = { ...input, auth: { ...input.auth, sessions } };
  const app = express();
  app.disable('x-powered-by');
  if (deps.redact) app.use(redactResponses(deps.redact));
  app.get('/healthz', healthRoute(deps.health, deps.logger));
  if (deps.readiness) app.get('/readyz', readinessRoute(deps.readiness, deps.logger));
  // Browsers ask for it on every page; answering keeps it out of the 404 log and the auth prompt.
  app.get('/favicon.ico', (_req, res) => void res.status(204).end());
  app.use('/api', apiRouter(deps));
  deps.mount?.(app);
  app.use(pageHeaders, loginRoutes(deps.auth, deps.publicUrl), actionsRouter(deps));
  app.use(pageHeaders, pageRouter(deps));
  app.use(errorHandler(deps.logger));
  return app;
};
