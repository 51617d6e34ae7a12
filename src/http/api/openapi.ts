/**
 * The OpenAPI 3.1 document of the admin API (`GET /api/openapi.json`), generated from the zod schemas the routes
 * validate requests with (z.toJSONSchema, as their input), the endpoints read from the router and each one's role
 * from the role table (api-index.ts). OPERATIONS documents each `METHOD path`; a test fails when an endpoint has
 * none, and the e2e responses are checked against the documented response shapes.
 */
import { z } from 'zod';
import { ADMIN_ROLES } from '../../domain/admin-roles.js';
import { AUDIT_ACTIONS } from '../../domain/audit.js';
import type { Endpoint } from './api-index.js';
import { auditQuery } from './audit.js';
import { compareQuery } from './compare.js';
import { buildsSchema, createDistributionSchema, healthTestSchema, distributionsQuery, patchDistributionSchema, targetSchema } from './distributions.js';
import { importQuerySchema, importRequestSchema, importResponseSchema } from './import-schemas.js';
import { exposureQuery } from './exposure.js';
import { holdSchema } from './holds.js';
import { platformsQuery, registerPlatformSchema } from './platforms.js';
import { rolloutsQuery } from './rollouts.js';
import { createSiteSchema, patchSiteSchema, sitesQuery } from './sites.js';
import { tasksQuery } from './tasks.js';
import { createTokenSchema } from './tokens.js';
import { proposeSchema, upgradesQuery } from './upgrades.js';

// ------------------------------------------------------------------ response shapes (what clients may rely on)

const error = z.object({
  error: z.looseObject({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.string()).optional(),
    hint: z.looseObject({ action: z.string(), endpoint: z.string().optional() }).optional(),
  }),
});
const when = z.string().describe('ISO 8601 date-time');
const actor = z.looseObject({ kind: z.enum(['user', 'poll', 'webhook', 'system']) });
const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });

export const RESPONSES = {
  error,
  index: z.object({ endpoints: z.array(z.object({ method: z.string(), path: z.string(), role: z.enum(ADMIN_ROLES) })), auth: z.string() }),
  openapi: z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) }),
  distribution: z.looseObject({ id: z.string(), slug: z.string(), title: z.string(), upstream: z.looseObject({}).nullable(), policy: z.looseObject({}) }),
  platform: z.looseObject({ id: z.string(), name: z.string(), distributionId: z.string(), status: z.string() }),
  site: z.looseObject({ id: z.string(), name: z.string(), platformId: z.string(), status: z.string() }),
  task: z.looseObject({ id: z.string(), number: z.number().int(), type: z.string(), state: z.string() }),
  plan: z.looseObject({ id: z.string(), state: z.string() }),
  rollout: z.looseObject({ id: z.string(), number: z.number().int(), state: z.string(), waves: z.array(z.looseObject({})) }),
  hold: z.looseObject({ reason: z.string() }),
  audit: z.looseObject({
    items: z.array(z.looseObject({ id: z.string(), at: when, actor, actorId: z.string(), source: z.string(), action: z.enum(AUDIT_ACTIONS), subject: z.looseObject({ kind: z.string(), name: z.string() }) })),
    next: z.string().nullable(),
  }),
  me: z.object({ user: z.string(), role: z.enum(ADMIN_ROLES).nullable(), credential: z.string().nullable(), token: z.string().nullable() }),
  token: z.object({ id: z.string(), name: z.string(), role: z.enum(ADMIN_ROLES), createdAt: when, expiresAt: when.nullable(), lastUsedAt: when.nullable() }),
  any: z.looseObject({}),
};
const tokenCreated = RESPONSES.token.extend({ secret: z.string().describe('The token itself: shown in this answer only') });

// ------------------------------------------------------------------ operations

export interface OperationDoc {
  summary: string;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Status → response shape (errors are added for every operation). */
  responses: Record<number, z.ZodType | null>;
}

const ok = (schema: z.ZodType) => ({ 200: schema });
const list = (item: z.ZodType) => ok(pageOf(item));

/** Keys: `METHOD path` below /api, as endpointsOf reads them from the router. */
export const OPERATIONS: Record<string, OperationDoc> = {
  'GET /': { summary: 'Every endpoint with the role it needs', responses: ok(RESPONSES.index) },
  'GET /openapi.json': { summary: 'This document', responses: ok(RESPONSES.openapi) },
  'GET /me': { summary: 'Who the credentials prove: user, role, credential kind, token name', responses: ok(RESPONSES.me) },
  'GET /distributions': { summary: 'List distributions with their target and counts', query: distributionsQuery, responses: list(RESPONSES.any) },
  'POST /distributions': { summary: 'Create a distribution', body: createDistributionSchema, responses: { 201: RESPONSES.distribution } },
  'GET /distributions/:slug': { summary: 'One distribution: platforms, target, locks, site counts', responses: ok(RESPONSES.any) },
  'PATCH /distributions/:slug': { summary: 'Edit a distribution', body: patchDistributionSchema, responses: ok(RESPONSES.distribution) },
  'DELETE /distributions/:slug': { summary: 'Delete a distribution without sites', responses: { 204: null } },
  'PUT /distributions/:slug/target': { summary: 'Set the upgrade target (locks the other platforms)', body: targetSchema, responses: ok(RESPONSES.any) },
  'POST /distributions/:slug/poll': { summary: 'Check the upstream for new builds now', responses: { 202: RESPONSES.any } },
  'GET /distributions/:slug/builds': { summary: 'Every tag the upstream lists that the tag pattern matches, with its build state', responses: ok(RESPONSES.any) },
  'POST /distributions/:slug/builds': { summary: 'Build a chosen tag or branch ({ref}) or several ({refs}); a failed build is retried', body: buildsSchema, responses: { 200: RESPONSES.any, 202: RESPONSES.any } },
  'POST /distributions/:slug/health-check/test': { summary: 'Run a health check (as given, else the policy\'s) once on one site; changes nothing', body: healthTestSchema, responses: ok(RESPONSES.any) },
  'PUT /distributions/:key/pin': { summary: 'Pin every site of a distribution (out of upgrades), with a reason', body: holdSchema, responses: ok(RESPONSES.any) },
  'DELETE /distributions/:key/pin': { summary: 'Unpin a distribution', responses: ok(RESPONSES.any) },
  'GET /platforms': { summary: 'List platforms', query: platformsQuery, responses: list(RESPONSES.platform) },
  'POST /platforms': { summary: 'Register a platform by hand', body: registerPlatformSchema, responses: { 201: RESPONSES.platform } },
  'GET /platforms/:name': { summary: 'One platform', responses: ok(RESPONSES.any) },
  'DELETE /platforms/:name': { summary: 'Delete a platform without sites', responses: { 204: null } },
  'PUT /platforms/:key/lock': { summary: 'Lock a platform by hand, with a reason', body: holdSchema, responses: ok(RESPONSES.any) },
  'DELETE /platforms/:key/lock': { summary: 'Unlock a platform', responses: ok(RESPONSES.any) },
  'GET /sites': { summary: 'List sites', query: sitesQuery, responses: list(RESPONSES.site) },
  'POST /sites': { summary: 'Add a site (installed by a worker: 202 with the install task)', body: createSiteSchema, responses: { 202: RESPONSES.any } },
  'GET /sites/:name': { summary: 'One site', responses: ok(RESPONSES.any) },
  'PATCH /sites/:name': { summary: 'Edit a site', body: patchSiteSchema, responses: ok(RESPONSES.any) },
  'DELETE /sites/:name': { summary: 'Delete a site', responses: { 204: null } },
  'GET /sites/:name/rollback': { summary: 'Whether the site can be rolled back, and to what', responses: ok(RESPONSES.any) },
  'POST /sites/:name/rollback': { summary: 'Roll a migrated site back from its backup', responses: { 202: RESPONSES.any } },
  'PUT /sites/:key/pin': { summary: 'Pin a site (out of upgrades), with a reason', body: holdSchema, responses: ok(RESPONSES.any) },
  'DELETE /sites/:key/pin': { summary: 'Unpin a site', responses: ok(RESPONSES.any) },
  'GET /tasks': { summary: 'List tasks', query: tasksQuery, responses: list(RESPONSES.task) },
  'GET /tasks/:id': { summary: 'One task with its log', responses: ok(RESPONSES.task) },
  'POST /tasks/:id/cancel': { summary: 'Cancel a queued task', responses: ok(RESPONSES.task) },
  'GET /compare': { summary: 'What moving from one platform to another changes', query: compareQuery, responses: ok(RESPONSES.any) },
  'GET /upgrades': { summary: 'List upgrade plans', query: upgradesQuery, responses: list(RESPONSES.any) },
  'POST /upgrades': { summary: 'Propose an upgrade (Compare summary per source platform)', body: proposeSchema, responses: { 201: RESPONSES.plan } },
  'GET /upgrades/:id': { summary: 'One upgrade plan', responses: ok(RESPONSES.plan) },
  'POST /upgrades/:id/confirm': { summary: 'Confirm: schedule the migrations (starts a rollout)', responses: ok(RESPONSES.any) },
  'POST /upgrades/:id/cancel': { summary: 'Cancel a pending upgrade', responses: ok(RESPONSES.plan) },
  'GET /exposure': { summary: 'Sites running code a security advisory covers', query: exposureQuery, responses: ok(RESPONSES.any) },
  'GET /exposure/events/:id': { summary: 'One advisory event and what it means per distribution', responses: ok(RESPONSES.any) },
  'GET /rollouts': { summary: 'List rollouts', query: rolloutsQuery, responses: list(RESPONSES.rollout) },
  'GET /rollouts/:id': { summary: 'One rollout with its waves and their tasks', responses: ok(RESPONSES.rollout) },
  'POST /rollouts/:id/pause': { summary: 'Pause a rollout (running migrations finish)', responses: ok(RESPONSES.rollout) },
  'POST /rollouts/:id/resume': { summary: 'Resume a paused rollout', responses: ok(RESPONSES.rollout) },
  'POST /rollouts/:id/cancel': { summary: 'Cancel a rollout (queued migrations are cancelled)', responses: ok(RESPONSES.rollout) },
  'GET /audit': { summary: 'The audit log, newest first (format=csv for CSV)', query: auditQuery, responses: ok(RESPONSES.audit) },
  'POST /import': { summary: 'Preview (default) or apply (apply=true) a fleet import: drush alias JSON or CSV', query: importQuerySchema, body: importRequestSchema, responses: { 200: importResponseSchema, 201: importResponseSchema } },
  'DELETE /users/me/sessions': { summary: 'Sign out everywhere: end every session of the signed-in user', responses: ok(RESPONSES.any) },
  'DELETE /users/:name/sessions': { summary: 'End every session of one user (admin)', responses: ok(RESPONSES.any) },
  'GET /tokens': { summary: 'Your personal API tokens (never their secrets)', responses: ok(z.object({ items: z.array(RESPONSES.token) })) },
  'POST /tokens': { summary: 'Create a personal API token (signed-in session only); the secret is in this answer only', body: createTokenSchema, responses: { 201: tokenCreated } },
  'DELETE /tokens/:id': { summary: 'Revoke one of your tokens (at once, in every process)', responses: ok(RESPONSES.token) },
};

// ------------------------------------------------------------------ generation

type JsonSchema = Record<string, unknown>;

/** The schema a client sends (the input side of coercions and transforms), without the $schema line. */
export const jsonSchemaOf = (schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  return rest;
};

const openApiPath = (path: string): string => `/api${path === '/' ? '' : path}`.replace(/:([A-Za-z_]+)/g, '{$1}');

const pathParameters = (path: string) =>
  [...path.matchAll(/:([A-Za-z_]+)/g)].map((m) => ({ name: m[1]!, in: 'path', required: true, schema: { type: 'string' } }));

const queryParameters = (query: z.ZodObject | undefined) =>
  Object.entries(query?.shape ?? {}).map(([name, field]) => {
    const schema = jsonSchemaOf(field as z.ZodType);
    return { name, in: 'query', required: !(field as z.ZodType).safeParse(undefined).success, schema };
  });

const STATUS_TEXT: Record<number, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No content' };
const ERRORS: Record<number, string> = {
  400: 'Invalid request: `issues` names each field',
  401: 'No valid credentials',
  403: 'The role needed is named, or a cross-site request was refused',
  404: 'Not found',
  409: 'Conflicts with the current state',
};

const operationId = (method: string, path: string): string =>
  (method.toLowerCase() + path.replace(/:([A-Za-z_]+)/g, 'By-$1').split(/[/.-]/).filter(Boolean).map((s) => s[0]!.toUpperCase() + s.slice(1)).join('')).replace(/[^A-Za-z0-9]/g, '');

/** Endpoints without an entry in OPERATIONS (a test keeps this empty). */
export const undocumented = (endpoints: Endpoint[]): Endpoint[] => endpoints.filter((e) => !OPERATIONS[`${e.method} ${e.path}`]);

export const openApiDocument = (endpoints: Endpoint[], info: { version: string; serverUrl: string }) => {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const e of endpoints) {
    const doc = OPERATIONS[`${e.method} ${e.path}`];
    if (!doc) continue;
    const responses: Record<string, unknown> = {};
    for (const [status, schema] of Object.entries(doc.responses)) {
      responses[status] = {
        description: STATUS_TEXT[Number(status)] ?? 'OK',
        ...(schema ? { content: { 'application/json': { schema: jsonSchemaOf(schema, 'output') } } } : {}),
      };
    }
    for (const [status, description] of Object.entries(ERRORS)) {
      responses[status] = { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    const parameters = [...pathParameters(e.path), ...queryParameters(doc.query)];
    (paths[openApiPath(e.path)] ??= {})[e.method.toLowerCase()] = {
      operationId: operationId(e.method, e.path),
      summary: doc.summary,
      description: `Needs the **${e.role}** role.`,
      'x-distro-role': e.role,
      tags: [e.path.split('/')[1] || 'api'],
      ...(parameters.length ? { parameters } : {}),
      ...(doc.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchemaOf(doc.body) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Distro admin API',
      version: info.version,
      description:
        'Every state change is audited under the caller. Roles: viewer < operator < admin. Errors are `{ "error": { code, message, issues?, hint? } }`.',
    },
    servers: [{ url: info.serverUrl }],
    security: [{ bearer: [] }, { basic: [] }, { session: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A personal API token (made on /tokens) or ADMIN_TOKEN (bootstrap, break-glass)' },
        basic: { type: 'http', scheme: 'basic', description: 'ADMIN_USER / ADMIN_PASSWORD' },
        session: { type: 'apiKey', in: 'cookie', name: 'distro_session', description: 'A signed-in session; state changes also send X-CSRF-Token' },
      },
      schemas: { Error: jsonSchemaOf(error, 'output') },
    },
    paths,
  };
};
