/**
 * DNS rebinding and cross-site requests against the admin backend of the product as `npm start` builds it.
 * Without admin credentials (the loopback-open default) only loopback names and PUBLIC_URL's host are served, and
 * state changes need a same-origin proof; with credentials, bearer tokens need none but basic auth does.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { loadConfig } from '../../src/config.js';
import type { Distribution } from '../../src/domain/distribution.js';
import { createPortalDistribution, startProduct, type ProductServer } from '../support/product-server.js';
import { rawRequest } from '../support/raw-http.js';

const PUBLIC_HOST = 'distro.example.org';

/** What a browser sends for a cross-site "simple" POST (a form or no-cors fetch on https://evil.example). */
const CROSS_SITE = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain' };

describe('loopback-open admin (no credentials configured)', () => {
  let product: ProductServer;
  let dist: Distribution;
  const req = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
    rawRequest(`${product.url}${path}`, { method, headers: { host: `127.0.0.1:${product.port}`, ...headers }, ...(body !== undefined ? { body } : {}) });

  beforeAll(async () => {
    product = await startProduct({ PUBLIC_URL: `https://${PUBLIC_HOST}` });
    dist = await createPortalDistribution(product);
  });
  afterAll(() => product.stop());

  test('a DNS-rebound host name is refused with 403 host_not_allowed, on the API and on pages', async () => {
    for (const host of ['evil.example', `evil.example:${product.port}`, 'localhost.evil.example', '127.0.0.1.nip.io', 'a@localhost']) {
      const api = await req('GET', '/api/distributions', { host });
      expect([host, api.status, api.json().error.code]).toEqual([host, 403, 'host_not_allowed']);
      const page = await req('GET', '/', { host });
      expect([host, page.status]).toEqual([host, 403]);
      expect(page.text).not.toContain('portal');
    }
    // Even a browser's own same-origin request: the page doing it is the rebound site's.
    const rebound = await req('POST', `/api/distributions/portal/poll`, { host: 'evil.example', 'sec-fetch-site': 'same-origin' });
    expect([rebound.status, rebound.json().error.code]).toEqual([403, 'host_not_allowed']);
    expect(await product.pollJobs(dist.id)).toHaveLength(0);
  });

  test('loopback names (any port) and the host of PUBLIC_URL are served', async () => {
    for (const host of ['localhost', `localhost:${product.port}`, `127.0.0.1:${product.port}`, `[::1]:${product.port}`, 'LOCALHOST:1', PUBLIC_HOST, `${PUBLIC_HOST}:443`]) {
      const res = await req('GET', '/api/distributions', { host });
      expect([host, res.status]).toEqual([host, 200]);
    }
  });

  test('a cross-site simple POST to /poll is refused with 403 cross_site_request and queues nothing', async () => {
    const attempts: Array<Record<string, string>> = [
      CROSS_SITE,
      { 'sec-fetch-site': 'same-site' },
      // Older browsers without Sec-Fetch-*: the Origin alone decides.
      { origin: 'https://evil.example' },
      { origin: 'null' },
      // No proof at all (not even an Origin) is no proof.
      {},
    ];
    for (const headers of attempts) {
      const res = await req('POST', '/api/distributions/portal/poll', headers, '');
      expect([headers, res.status, res.headers['content-type']]).toEqual([headers, 403, expect.stringMatching(/^application\/json/)]);
      expect(res.json().error).toEqual({ code: 'cross_site_request', message: expect.stringContaining('same-origin') });
    }
    expect(await product.pollJobs(dist.id)).toHaveLength(0);
  });

  test('cross-site PATCH, DELETE and create change nothing', async () => {
    const patch = await req('PATCH', '/api/distributions/portal', { ...CROSS_SITE, 'content-type': 'application/json' }, JSON.stringify({ title: 'Owned' }));
    const del = await req('DELETE', '/api/distributions/portal', CROSS_SITE);
    const create = await req('POST', '/api/distributions', CROSS_SITE, JSON.stringify({ slug: 'evil', title: 'Evil' }));
    expect([patch.status, del.status, create.status]).toEqual([403, 403, 403]);
    const list = await product.app.services.distributions.list();
    expect(list.map((o) => [o.distribution.slug, o.distribution.title])).toEqual([['portal', 'Portal']]);
  });

  test('same-origin requests (Sec-Fetch-Site same-origin/none, or a matching Origin) are executed', async () => {
    const proofs: Array<Record<string, string>> = [
      { 'sec-fetch-site': 'same-origin' },
      { 'sec-fetch-site': 'none' },
      { origin: `http://127.0.0.1:${product.port}` },
      { origin: `https://${PUBLIC_HOST}` },
    ];
    for (const headers of proofs) {
      const res = await req('POST', '/api/distributions/portal/poll', headers, '');
      expect([headers, res.status, res.json()]).toEqual([headers, 202, { queued: true, distribution: 'portal' }]);
    }
    expect((await product.pollJobs(dist.id)).length).toBeGreaterThanOrEqual(1);
    // Reads need no proof: a page's own GETs carry none in older browsers.
    expect((await req('GET', '/api/distributions/portal')).status).toBe(200);
  });
});

describe('admin with credentials', () => {
  const TOKEN = 'security-admin-token-0123456789';
  let product: ProductServer;
  const basic = `Basic ${Buffer.from('alice:correct horse battery').toString('base64')}`;
  const req = (method: string, path: string, headers: Record<string, string>, body?: string) =>
    rawRequest(`${product.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });

  beforeAll(async () => {
    product = await startProduct({ ADMIN_TOKEN: TOKEN, ADMIN_USER: 'alice', ADMIN_PASSWORD: 'correct horse battery', PUBLIC_URL: `https://${PUBLIC_HOST}` });
    await product.app.services.distributions.create({ slug: 'portal', title: 'Portal' });
  });
  afterAll(() => product.stop());

  test('a bearer token is not ambient: state changes need no same-origin proof, and any Host is fine', async () => {
    const res = await req('PATCH', '/api/distributions/portal', { authorization: `Bearer ${TOKEN}`, host: 'anything.example', 'content-type': 'application/json' }, JSON.stringify({ title: 'Renamed' }));
    expect([res.status, res.json().title]).toEqual([200, 'Renamed']);
  });

  test('basic auth is ambient: a cross-site state change is refused, a same-origin one passes', async () => {
    const refused = await req('PATCH', '/api/distributions/portal', { authorization: basic, ...CROSS_SITE, 'content-type': 'application/json' }, JSON.stringify({ title: 'Owned' }));
    expect([refused.status, refused.json().error.code]).toEqual([403, 'cross_site_request']);
    expect((await product.app.services.distributions.get('portal')).title).toBe('Renamed');

    const ok = await req('PATCH', '/api/distributions/portal', { authorization: basic, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' }, JSON.stringify({ title: 'By Alice' }));
    expect([ok.status, ok.json().title]).toEqual([200, 'By Alice']);
    // Reading with basic auth needs no proof.
    expect((await req('GET', '/api/distributions/portal', { authorization: basic })).status).toBe(200);
  });

  test('wrong credentials stay 401 whatever the headers say', async () => {
    const res = await req('POST', '/api/distributions/portal/poll', { authorization: 'Bearer nope', 'sec-fetch-site': 'same-origin' }, '');
    expect(res.status).toBe(401);
  });

  test('production refuses to start without credentials', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', SLACK_SIGNING_SECRET: 's', LINK_SECRET: 'link-secret-0123456789' })).toThrow(/ADMIN_TOKEN: required/);
  });
});
