import express, { type Router } from 'express';
import { NotFoundError } from '../../domain/errors.js';
import type { Services } from '../../services/services.js';
import { requireAdmin, type AdminAuth } from '../auth.js';
import { endpointsOf, enforceRoles } from './api-index.js';
import { API_BODY_LIMIT_BYTES } from './api-limits.js';
import { openApiDocument } from './openapi.js';
import { apiRoutes } from './route-table.js';
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
  const api = apiRoutes();
  // Authenticate before reading a body: an anonymous client cannot make the server parse megabytes.
  api.use(requireAdmin(deps.auth, deps.publicUrl));
  api.use(enforceRoles(api));
  api.use(express.json({ limit: API_BODY_LIMIT_BYTES }));
  api.get('/', (_req, res) => {
    res.json({
      endpoints: endpointsOf(api).map((e) => ({ ...e, path: `/api${e.path === '/' ? '' : e.path}` })),
      auth: 'Authorization: Bearer <personal API token> (made on /tokens) or $ADMIN_TOKEN (bootstrap), basic auth (ADMIN_USER), or a signed-in session (ADMIN_USERS; state changes send X-CSRF-Token).',
    });
  });
  api.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument(endpointsOf(api), { version: API_VERSION, serverUrl: deps.publicUrl }));
  });
  api.mount('/distributions', distributionsApi(services));
  api.mount('/platforms', platformsApi(services));
  api.mount('/sites', sitesApi(services));
  api.mount('/tasks', tasksApi(services));
  api.mount('/compare', compareApi(services));
  api.mount('/upgrades', upgradesApi(services));
  api.mount('/exposure', exposureApi(services));
  api.mount('/rollouts', rolloutsApi(services));
  api.mount('/audit', auditApi(services));
  api.mount('/users', usersApi(services, deps.auth));
  api.mount('/import', importApi(services));
  const { me, tokens } = tokensApi(services);
  api.mount('/me', me);
  api.mount('/tokens', tokens);
  api.use((req) => {
    throw new NotFoundError('API route', `${req.method} ${req.baseUrl}${req.path}`);
  });
  return api.router;
};
