/**
 * Oversized and control-character input through the admin API of the product as `npm start` builds it: every
 * write is refused with a 400 naming the field (limits from src/domain/field-limits.ts, enforced by the services),
 * nothing is stored, and oversized bodies are a 413 JSON naming the limit.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_LABEL_CHARS, MAX_NAME_CHARS, MAX_TEXT_CHARS, MAX_URL_CHARS } from '../../src/domain/field-limits.js';
import { LocalDriver } from '../../src/hosting/local-driver.js';
import { API_BODY_LIMIT_BYTES } from '../../src/http/api/api-router.js';
import { startProduct, type ProductServer } from '../support/product-server.js';
import { rawRequest } from '../support/raw-http.js';
import { waitFor } from '../support/wait.js';

const TOKEN = 'security-admin-token-0123456789';
const MB = 1024 * 1024;
const huge = 'x'.repeat(MB);

describe('field limits on every write of the admin API', () => {
  let product: ProductServer;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await rawRequest(`${product.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, type: String(res.headers['content-type']), body: res.text ? res.json() : null };
  };
  const distribution = (overrides: Record<string, unknown> = {}, upstream: Record<string, unknown> = {}) => ({
    slug: 'portal',
    title: 'Portal',
    upstream: { kind: 'git', url: 'https://git.example.org/portal.git', branch: 'main', tagPattern: '1.*', manifestPath: 'composer.lock', ...upstream },
    policy: { pollIntervalMinutes: 0 },
    ...overrides,
  });
  const stored = async () => ({
    distributions: (await product.app.services.distributions.list()).map((o) => o.distribution.slug),
    sites: (await product.app.services.sites.list()).total,
  });

  beforeAll(async () => {
    product = await startProduct({ ADMIN_TOKEN: TOKEN });
    await product.app.services.distributions.create({ slug: 'base', title: 'Base' });
    await product.app.services.platforms.register({ name: 'base-1', distribution: 'base', ref: 'main', commit: 'abcdef1' }, { kind: 'system' });
  });
  afterAll(() => product.stop());

  test('1 MB upstream url, branch, tagPattern and manifestPath are refused, each named', async () => {
    const before = await stored();
    for (const field of ['url', 'branch', 'tagPattern', 'manifestPath']) {
      const res = await api('POST', '/api/distributions', distribution({}, { [field]: huge }));
      expect([field, res.status, res.type]).toEqual([field, 400, expect.stringMatching(/^application\/json/)]);
      expect(res.body.error.issues).toEqual([expect.stringMatching(new RegExp(`^upstream\\.${field}: at most \\d+ characters \\(got ${MB}\\)$`))]);
    }
    const all = await api('POST', '/api/distributions', distribution({ description: huge }, { url: huge, branch: huge, tagPattern: huge, manifestPath: huge }));
    expect(all.body.error.issues.map((i: string) => i.split(':')[0])).toEqual([
      'description',
      'upstream.url',
      'upstream.branch',
      'upstream.tagPattern',
      'upstream.manifestPath',
    ]);
    expect(await stored()).toEqual(before);
  });

  test('limits are exact: a URL of 2 KB and text of 2 KB pass, one character more does not', async () => {
    const url = `https://git.example.org/${'a'.repeat(MAX_URL_CHARS - 'https://git.example.org/'.length)}`;
    const over = await api('POST', '/api/distributions', distribution({ description: 'd'.repeat(MAX_TEXT_CHARS + 1) }, { url: `${url}b` }));
    expect(over.body.error.issues).toEqual([
      `description: at most ${MAX_TEXT_CHARS} characters (got ${MAX_TEXT_CHARS + 1})`,
      `upstream.url: at most ${MAX_URL_CHARS} characters (got ${MAX_URL_CHARS + 1})`,
    ]);
    const ok = await api('POST', '/api/distributions', distribution({ description: 'd'.repeat(MAX_TEXT_CHARS) }, { url }));
    expect(ok.status).toBe(201);
    expect((await api('DELETE', '/api/distributions/portal')).status).toBe(204);
  });

  test('control characters (NUL, ESC, bidi overrides) are refused in titles, channels and refs; line breaks are fine in descriptions', async () => {
    const before = await stored();
    const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
      ['title', { title: 'Por\u0000tal' }, {}],
      ['channel', { channel: 'C0OPS\u0000' }, {}],
      ['title', { title: 'Portal \u001b[31mred' }, {}],
      ['title', { title: 'Portal \u202egnp.exe' }, {}],
      ['description', { description: 'line one\u0000' }, {}],
      ['upstream.branch', {}, { branch: 'main\u0000--upload-pack=touch /tmp/x' }],
    ];
    for (const [field, overrides, upstream] of cases) {
      const res = await api('POST', '/api/distributions', distribution(overrides, upstream));
      expect([field, res.status, res.body.error.issues]).toEqual([field, 400, [`${field}: must not contain control characters`]]);
    }
    expect(await stored()).toEqual(before);
    const multiline = await api('POST', '/api/distributions', distribution({ slug: 'lines', description: 'line one\nline two\twith a tab' }));
    expect(multiline.status).toBe(201);
  });

  test('a PATCH is held to the same limits and changes nothing when refused', async () => {
    const res = await api('PATCH', '/api/distributions/base', { title: 'T'.repeat(201), channel: 'C\u0000', upstream: { kind: 'git', url: huge } });
    expect(res.status).toBe(400);
    expect(res.body.error.issues.map((i: string) => i.split(':')[0])).toEqual(['title', 'channel', 'upstream.url']);
    expect(await product.app.services.distributions.get('base')).toMatchObject({ title: 'Base', channel: null, upstream: null });
  });

  test('site names: at most 63 characters per label and 200 in all; a 200-character name is created on disk', async () => {
    const before = await stored();
    const label = (n: number, c = 'a') => c.repeat(n);
    const tooLongLabel = `${label(MAX_LABEL_CHARS + 1)}.example.org`;
    const tooLongName = [label(63), label(63), label(63), label(10, 'b')].join('.'); // 63*3 + 10 + 3 dots = 202
    const finding = [label(63), label(63), label(63), label(61)].join('.'); // 253: the length that broke backups
    const refused: Array<[string, string]> = [
      [tooLongLabel, `name: each dot-separated part at most ${MAX_LABEL_CHARS} characters (got ${MAX_LABEL_CHARS + 1})`],
      [tooLongName, `name: at most ${MAX_NAME_CHARS} characters (got ${tooLongName.length})`],
      [finding, `name: at most ${MAX_NAME_CHARS} characters (got 253)`],
      ['a\u0000.example.org', 'name: must not contain control characters'],
    ];
    for (const [name, issue] of refused) {
      const res = await api('POST', '/api/sites', { name, platform: 'base-1' });
      expect([name.length, res.status, res.body.error.issues]).toEqual([name.length, 400, [issue]]);
    }
    expect(await stored()).toEqual(before);

    const longest = [label(63), label(63), label(63), label(8, 'c')].join('.');
    expect(longest).toHaveLength(MAX_NAME_CHARS);
    // The registered platform was built elsewhere; give it its directory here so the site can be installed.
    const sites = join(product.app.config.dataDir, 'platforms', 'base-1', 'sites');
    await mkdir(sites, { recursive: true });
    const created = await api('POST', '/api/sites', { name: longest, platform: 'base-1' });
    // A worker job makes the site's files (202 + install task).
    expect(created.status).toBe(202);
    await waitFor(async () => (await api('GET', `/api/tasks/${created.body.task.number}`)).body.state === 'succeeded', 'the install', 30_000);
    expect(existsSync(join(sites, longest, 'settings.php'))).toBe(true);
    // The longest name still fits the backup archive's file name (the 253-character names made tar fail).
    const driver = new LocalDriver({ root: product.app.config.dataDir });
    const archive = await driver.backup(await product.app.services.sites.get(longest), await product.app.services.platforms.get('base-1'), () => {});
    expect(existsSync(archive)).toBe(true);
  });

  test('platform registration: ref, server and name are limited', async () => {
    const base = { name: 'base-2', distribution: 'base', ref: 'main', commit: 'abcdef2' };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ref: huge }, `ref: at most 255 characters (got ${MB})`],
      [{ ref: 'main\u0000' }, 'ref: must not contain control characters'],
      [{ server: 's'.repeat(64) }, `server: each dot-separated part at most ${MAX_LABEL_CHARS} characters (got 64)`],
      [{ files: { [`${'p'.repeat(300)}/composer.lock`]: '{}' } }, 'files (path): at most 255 characters (got 314)'],
    ];
    for (const [overrides, issue] of cases) {
      const res = await api('POST', '/api/platforms', { ...base, ...overrides });
      expect([Object.keys(overrides), res.status, res.body.error.issues]).toEqual([Object.keys(overrides), 400, [issue]]);
    }
    expect((await product.app.services.platforms.list()).items.map((p) => p.name)).toEqual(['base-1']);
  });

  test('a 1 MB name in a lookup is a short 404 (no echo of it, no "did you mean" over it)', async () => {
    for (const scope of [{ kind: 'site', name: huge }, { kind: 'platform', name: huge }, { kind: 'distribution', slug: huge }]) {
      const res = await rawRequest(`${product.url}/api/upgrades`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ scope }),
      });
      expect([scope.kind, res.status, res.json().error.code]).toEqual([scope.kind, 404, 'not_found']);
      expect(res.text.length).toBeLessThan(1000);
    }
  });

  test(`a JSON body over ${API_BODY_LIMIT_BYTES / MB} MB is a 413 JSON naming the limit; other body errors are JSON too`, async () => {
    const before = await stored();
    const big = await api('POST', '/api/sites', { name: 'big.example.org', platform: 'base-1', modules: ['x'.repeat(API_BODY_LIMIT_BYTES)] });
    expect([big.status, big.type]).toEqual([413, expect.stringMatching(/^application\/json/)]);
    expect(big.body.error).toEqual({ code: 'payload_too_large', message: expect.stringContaining(`${API_BODY_LIMIT_BYTES} bytes`), limit: API_BODY_LIMIT_BYTES });

    const charset = await rawRequest(`${product.url}/api/sites`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json; charset=utf-7' },
      body: '{}',
    });
    expect([charset.status >= 400 && charset.status < 500, charset.headers['content-type']]).toEqual([true, expect.stringMatching(/^application\/json/)]);
    expect(charset.json().error.code).toEqual(expect.any(String));
    const malformed = await rawRequest(`${product.url}/api/sites`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: '{"name": ',
    });
    expect([malformed.status, malformed.json().error.code]).toEqual([400, 'validation']);
    const badPath = await rawRequest(`${product.url}/api/sites/%E0%A4%A`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect([badPath.status < 500, badPath.headers['content-type']]).toEqual([true, expect.stringMatching(/^application\/json/)]);
    expect(await stored()).toEqual(before);
    expect((await rawRequest(`${product.url}/healthz`)).status).toBe(200);
  });
});
