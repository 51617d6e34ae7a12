/**
 * The API's endpoints read from its route table (route-table.ts: the routes as registered, no hand-kept list), for
 * GET /api, and the role
 * each one needs: reads need viewer, state changes the role of their action in API_ACTIONS (admin-roles.ts's
 * table), and a state change missing from API_ACTIONS needs admin (a new route is never open to less by accident).
 */
import type { RequestHandler } from 'express';
import { ACTION_ROLES, type AdminAction, type AdminRole } from '../../domain/admin-roles.js';
import { roleRequired } from '../auth.js';
import { sendError } from '../error-mapping.js';
import type { ApiRoutes } from './route-table.js';

/** The API's state changes → the action (and so the role) each one is. Keys: `METHOD path` below /api. */
export const API_ACTIONS: Record<string, AdminAction> = {
  'POST /distributions': 'distribution.create',
  'PATCH /distributions/:slug': 'distribution.edit',
  'DELETE /distributions/:slug': 'distribution.delete',
  'PUT /distributions/:slug/target': 'distribution.target',
  'POST /distributions/:slug/poll': 'distribution.poll',
  'POST /distributions/:slug/builds': 'distribution.build',
  'POST /import': 'fleet.import',
  'POST /distributions/:slug/health-check/test': 'distribution.test-health-check',
  'POST /platforms': 'platform.register',
  'DELETE /platforms/:name': 'platform.delete',
  'POST /sites': 'site.create',
  'PATCH /sites/:name': 'site.edit',
  'DELETE /sites/:name': 'site.delete',
  'POST /upgrades': 'upgrade.propose',
  'POST /upgrades/:id/confirm': 'upgrade.confirm',
  'POST /upgrades/:id/cancel': 'upgrade.cancel',
  'POST /tasks/:id/cancel': 'task.cancel',
  'POST /rollouts/:id/pause': 'rollout.pause',
  'POST /rollouts/:id/resume': 'rollout.resume',
  'POST /rollouts/:id/cancel': 'rollout.cancel',
  'PUT /platforms/:key/lock': 'platform.lock',
  'DELETE /platforms/:key/lock': 'platform.lock',
  'PUT /sites/:key/pin': 'site.pin',
  'DELETE /sites/:key/pin': 'site.pin',
  'PUT /distributions/:key/pin': 'distribution.pin',
  'DELETE /distributions/:key/pin': 'distribution.pin',
  'POST /sites/:name/rollback': 'site.rollback',
  'DELETE /users/me/sessions': 'account.sign-out-everywhere',
  'DELETE /users/:name/sessions': 'user.sign-out-everywhere',
  'POST /tokens': 'token.create',
  'DELETE /tokens/:id': 'token.revoke',
};

export interface Endpoint {
  method: string;
  /** Below /api, with `:param` segments. */
  path: string;
  role: AdminRole;
}

const roleFor = (method: string, path: string): AdminRole => {
  if (method === 'GET' || method === 'HEAD') return 'viewer';
  const action = API_ACTIONS[`${method} ${path}`];
  return action ? ACTION_ROLES[action] : 'admin';
};

export const endpointsOf = (routes: ApiRoutes): Endpoint[] =>
  routes.routes().map(({ method, path }) => ({ method, path, role: roleFor(method, path) }));

const matches = (pattern: string, path: string): boolean => {
  const a = pattern.split('/');
  const b = path.replace(/\/+$/, '').split('/');
  return a.length === b.length && a.every((seg, i) => seg.startsWith(':') ? b[i] !== '' : seg === b[i]);
};

/**
 * Refuses (403 naming the role) a request whose role is below its endpoint's. Reads the endpoints from the table
 * at the first request, once every route is registered.
 */
export const enforceRoles = (routes: ApiRoutes): RequestHandler => {
  let endpoints: Endpoint[] | null = null;
  return (req, res, next) => {
    endpoints ??= endpointsOf(routes);
    const endpoint = endpoints.find((e) => e.method === req.method && matches(e.path, req.path));
    const needed = endpoint?.role ?? (req.method === 'GET' ? 'viewer' : 'admin');
    const refusal = roleRequired(res, needed);
    if (refusal) return void sendError(req, res, refusal);
    next();
  };
};
