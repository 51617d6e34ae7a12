/**
 * GET /api/openapi.json: a valid OpenAPI 3.1 document (checked by @seriousme/openapi-schema-validator), one
 * operation per endpoint of the router (the role table's included) with its role, and real responses that match
 * the documented shapes (checked with ajv against the document's JSON Schemas).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { API_ACTIONS } from '../../src/http/api/api-index.js';
import { ADMIN_TOKEN, api, startHttpServer, type HttpTestServer } from '../support/http.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

let server: HttpTestServer;
let doc: Doc;
const ajv = new Ajv2020({ strict: false, allErrors: true });

const toOpenApi = (path: string): string => path.replace(/:([A-Za-z_]+)/g, '{$1}');

/** Checks a real answer against the documented schema of (method, path pattern, status). */
const expectDocumented = (method: string, pattern: string, res: { status: number; body: unknown }): void => {
  const operation = doc.paths[toOpenApi(`/api${pattern === '/' ? '' : pattern}`)]?.[method.toLowerCase()];
  expect(operation).toBeDefined();
  const response = operation.responses[String(res.status)];
  if (!response) throw new Error(`${method} ${pattern} answered ${res.status}, which is not documented`);
  let schema = response.content?.['application/json']?.schema;
  if (!schema) return void expect(res.body).toBeNull();
  if (schema.$ref) schema = doc.components.schemas[schema.$ref.split('/').pop()];
  const validate = ajv.compile(schema);
  if (!validate(res.body)) throw new Error(`${method} ${pattern} ${res.status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(res.body).slice(0, 500)}`);
};

beforeAll(async () => {
  server = await startHttpServer();
  const res = await api(server.baseUrl, 'GET', '/api/openapi.json');
  expect(res.status).toBe(200);
  doc = res.body;
});
afterAll(() => server.close());

describe('the OpenAPI document', () => {
  test('is valid OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  test('documents every endpoint of the router, with the role from the role table, and nothing else', async () => {
    const index = await api(server.baseUrl, 'GET', '/api');
    const endpoints: { method: string; path: string; role: string }[] = index.body.endpoints;
    const documented = Object.entries(doc.paths as Record<string, Record<string, { 'x-distro-role': string }>>).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => `${method.toUpperCase()} ${path} ${op['x-distro-role']}`),
    );
    expect(documented.sort()).toEqual(endpoints.map((e) => `${e.method} ${toOpenApi(e.path)} ${e.role}`).sort());
    for (const key of Object.keys(API_ACTIONS)) {
      const [method, path] = key.split(' ');
      expect(doc.paths[toOpenApi(`/api${path}`)]?.[method!.toLowerCase()]).toBeDefined();
    }
  });

  test('request bodies and queries come from the validating zod schemas', () => {
    const create = doc.paths['/api/distributions'].post.requestBody.content['application/json'].schema;
    expect(create.required).toEqual(expect.arrayContaining(['slug', 'title']));
    expect(create.additionalProperties).toBe(false);
    const limit = doc.paths['/api/sites'].get.parameters.find((p: { name: string }) => p.name === 'limit');
    expect(limit).toMatchObject({ in: 'query', required: false });
    const token = doc.paths['/api/tokens'].post.requestBody.content['application/json'].schema;
    expect(token.properties.role.enum).toEqual(['viewer', 'operator', 'admin']);
  });
});

describe('real responses match the documented shapes', () => {
  test('distributions, platforms, sites, tasks, upgrades, rollouts, audit, me, index, and errors', async () => {
    const created = await api(server.baseUrl, 'POST', '/api/distributions', { slug: 'social', title: 'Open Social' });
    expectDocumented('POST', '/distributions', created);
    expectDocumented('GET', '/distributions', await api(server.baseUrl, 'GET', '/api/distributions'));
    expectDocumented('GET', '/distributions/:slug', await api(server.baseUrl, 'GET', '/api/distributions/social'));
    expectDocumented('PATCH', '/distributions/:slug', await api(server.baseUrl, 'PATCH', '/api/distributions/social', { title: 'Open Social 12' }));
    const platform = await api(server.baseUrl, 'POST', '/api/platforms', { name: 'social-1', distribution: 'social', ref: 'main', commit: 'abcdef1' });
    expectDocumented('POST', '/platforms', platform);
    expectDocumented('GET', '/platforms', await api(server.baseUrl, 'GET', '/api/platforms'));
    expectDocumented('GET', '/platforms/:name', await api(server.baseUrl, 'GET', '/api/platforms/social-1'));
    expectDocumented('PUT', '/platforms/:key/lock', await api(server.baseUrl, 'PUT', '/api/platforms/social-1/lock', { reason: 'review' }));
    expectDocumented('DELETE', '/platforms/:key/lock', await api(server.baseUrl, 'DELETE', '/api/platforms/social-1/lock'));
    expectDocumented('GET', '/sites', await api(server.baseUrl, 'GET', '/api/sites'));
    expectDocumented('GET', '/tasks', await api(server.baseUrl, 'GET', '/api/tasks'));
    expectDocumented('GET', '/upgrades', await api(server.baseUrl, 'GET', '/api/upgrades'));
    expectDocumented('GET', '/rollouts', await api(server.baseUrl, 'GET', '/api/rollouts'));
    expectDocumented('GET', '/audit', await api(server.baseUrl, 'GET', '/api/audit'));
    expectDocumented('GET', '/exposure', await api(server.baseUrl, 'GET', '/api/exposure'));
    expectDocumented('GET', '/me', await api(server.baseUrl, 'GET', '/api/me'));
    expectDocumented('GET', '/', await api(server.baseUrl, 'GET', '/api'));
    expectDocumented('GET', '/openapi.json', await api(server.baseUrl, 'GET', '/api/openapi.json'));
    expectDocumented('PUT', '/distributions/:key/pin', await api(server.baseUrl, 'PUT', '/api/distributions/social/pin', { reason: 'freeze' }));
    expectDocumented('DELETE', '/distributions/:key/pin', await api(server.baseUrl, 'DELETE', '/api/distributions/social/pin'));
    // Errors: a 400 naming fields, a 404, a 409-or-other refusal, all in the one error shape.
    const invalid = await api(server.baseUrl, 'POST', '/api/distributions', { title: 7 });
    expect(invalid.status).toBe(400);
    expectDocumented('POST', '/distributions', invalid);
    const missing = await api(server.baseUrl, 'GET', '/api/sites/nope');
    expect(missing.status).toBe(404);
    expectDocumented('GET', '/sites/:name', missing);
    const unauth = await api(server.baseUrl, 'GET', '/api/tasks', undefined, { authorization: `Bearer ${ADMIN_TOKEN}x` });
    expectDocumented('GET', '/tasks', unauth);
    expectDocumented('DELETE', '/platforms/:name', await api(server.baseUrl, 'DELETE', '/api/platforms/social-1'));
  });
});
