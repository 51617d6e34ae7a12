/**
 * The API's endpoints read from the router itself (its one source: no hand-kept list), for GET /api, and the role
 * each one needs: reads need viewer, state changes the role of their action in API_ACTIONS (admin-roles.ts's
 * table), and a state change missing from API_ACTIONS needs admin (a new route is never open to less by accident).
 */
import type { RequestHandler, Router } from 'express';
import { ACTION_ROLES, type AdminAction, type AdminRole } from '../../domain/admin-roles.js';
import { roleRequired } from '../auth.js';
import { sendError } from '../error-mapping.js';

/** The API's state changes → the action (and so the role) each one is. Keys: `METHOD path` below /api. */
export const API_ACTIONS: Record<string, AdminAction> = {
  'POST /distributions': 'distribution.create',
  'PATCH /distributions/:slug': 'distribution.edit',
  'DELETE /distributions/:slug': 'distribution.delete',
  'PUT /distributions/:slug/target': 'distribution.target',
  'POST /distributions/:slug/poll': 'distribution.poll',
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
};

export interface Endpoint {
  method: string;
  /** Below /api, with `:param` segments. */
  path: string;
  role: AdminRole;
}

/** What express keeps of each registration (router 2.x): routes, and mounted routers with their path. */
interface Layer {
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: unknown;
}

const join = (prefix: string, path: string): string => (`${prefix}${path === '/' ? '' : path}` || '/').replace(/\/+$/, '') || '/';

const roleFor = (method: string, path: string): AdminRole => {
  if (method === 'GET' || method === 'HEAD') return 'viewer';
  const action = API_ACTIONS[`${method} ${path}`];
  return action ? ACTION_ROLES[action] : 'admin';
};

export const endpointsOf = (router: Router, prefix = ''): Endpoint[] =>
  (router.stack as Layer[]).flatMap((layer): Endpoint[] => {
    if (layer.route && typeof layer.route.path === 'string') {
      const path = join(prefix, layer.route.path);
      return Object.keys(layer.route.methods)
        .filter((m) => m !== '_all')
        .map((m) => m.toUpperCase())
        .map((method) => ({ method, path, role: roleFor(method, path) }));
    }
    if (layer.handle?.stack && typeof layer.rawPath === 'string') return endpointsOf(layer.handle as unknown as Router, join(prefix, layer.rawPath));
    return [];
  });

const matches = (pattern: string, path: string): boolean => {
  const a = pattern.split('/');
  const b = path.replace(/\/+$/, '').split('/');
  return a.length === b.length && a.every((seg, i) => seg.startsWith(':') ? b[i] !== '' : seg === b[i]);
};

/**
 * Refuses (403 naming the role) a request whose role is below its endpoint's. Reads the endpoints from `router`
 * at the first request, once every route is registered.
 */
export const enforceRoles = (router: Router): RequestHandler => {
  let endpoints: Endpoint[] | null = null;
  return (req, res, next) => {
    endpoints ??= endpointsOf(router);
    const endpoint = endpoints.find((e) => e.method === req.method && matches(e.path, req.path));
    const needed = endpoint?.role ?? (req.method === 'GET' ? 'viewer' : 'admin');
    const refusal = roleRequired(res, needed);
    if (refusal) return void sendError(req, res, refusal);
    next();
  };
};
