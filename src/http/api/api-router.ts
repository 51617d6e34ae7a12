import express, { Router } from 'express';
import { NotFoundError } from '../../domain/errors.js';
import type { Services } from '../../services/services.js';
import { requireAdmin, type AdminAuth } from '../auth.js';
import { endpointsOf, enforceRoles } from './api-index.js';
import { API_BODY_LIMIT_BYTES } from './api-limits.js';
import { openApiDocument } from './openapi.js';
import { auditApi } from './audit.js';
import { importApi } from './import.js';
import { compareApi } from './compare.js';
import { distributionsApi } from './distributions.js';
import { exposureApi } from './exposure.js';
import { platformsApi } from './platforms.js';
import { rolloutsApi } from './rollouts.js';
import { sitesApi } from './sites.js';
import { tasksApi } from './tasks.js';
import { tokensApi } from './tokens.js';
import { upgradesApi } from './upgrades.js';
import { usersApi } from './users.js';

export { API_BODY_LIMIT_BYTES } from './api-limits.js';

/** The API's version in the OpenAPI document (the package's). */
const API_VERSION = '0.1.0';

/** The admin JSON API. Parses JSON only here, so other routes (Slack, GitHub) keep their raw bodies. */
export const apiRouter = (deps: { services: Services; auth: AdminAuth; publicUrl: string }): Router => {
  const { services } = deps;
  const router = Router();
  // Authenticate before reading a body: an anonymous client cannot make the server parse megabytes.
  router.use(requireAdmin(deps.auth, deps.publicUrl));
  router.use(enforceRoles(router));
  router.use(express.json({ limit: API_BODY_LIMIT_BYTES }));
  router.get('/', (_req, res) => {
    res.json({
      endpoints: endpointsOf(router).map((e) => ({ ...e, path: `/api${e.path === '/' ? '' : e.path}` })),
      auth: 'Authorization: Bearer <personal API token> (made on /tokens) or $ADMIN_TOKEN (bootstrap), basic auth (ADMIN_USER), or a signed-in session (ADMIN_USERS; state changes send X-CSRF-Token).',
    });
  });
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument(endpointsOf(router), { version: API_VERSION, serverUrl: deps.publicUrl }));
  });
  router.use('/distributions', distributionsApi(services));
  router.use('/platforms', platformsApi(services));
  router.use('/sites', sitesApi(services));
  router.use('/tasks', tasksApi(services));
  router.use('/compare', compareApi(services));
  router.use('/upgrades', upgradesApi(services));
  router.use('/exposure', exposureApi(services));
  router.use('/rollouts', rolloutsApi(services));
  router.use('/audit', auditApi(services));
  router.use('/users', usersApi(services, deps.auth));
  router.use('/import', importApi(services));
  const { me, tokens } = tokensApi(services);
  router.use('/me', me);
  router.use('/tokens', tokens);
  router.use((req) => {
    throw new NotFoundError('API route', `${req.method} ${req.baseUrl}${req.path}`);
  });
  return router;
};
