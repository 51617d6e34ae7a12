/**
 * The rollout policy through the HTTP API and the pages, on the product as `npm start` composes it (embedded store,
 * local driver), signed in as an admin: validation naming each field (400), the policy page with its fields
 * inline-validated and kept as typed, the next openings of the windows, the wave plan for the outdated sites, the
 * health check tried on a real HTTP server here ("Test this check on a site", page and API), the audit log's
 * before → after values, the distribution page's summary, and the upgrade page's wave plan and held-out sites
 * before Confirm.
 */
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ADMIN_TOKEN, api } from '../support/http.js';
import { startProduct, type ProductServer } from '../support/product-server.js';
import { adminUsersEnv, PASSWORDS, SessionClient } from '../support/sign-in.js';
import { waitFor } from '../support/wait.js';

let product: ProductServer;
let alice: SessionClient;
let victor: SessionClient;
let probes: Server;
let probeBase: string;
const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };
const SITES = ['alumni.example.org', 's1.example.org', 's2.example.org', 's3.example.org', 's4.example.org'];

const decode = (text: string) => text.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&gt;/g, '>').replace(/&lt;/g, '<');
const call = (method: string, path: string, body?: unknown) => api(product.url, method, path, body, bearer);

beforeAll(async () => {
  probes = createServer((req, res) => {
    const site = (req.url ?? '/').split('/')[1] ?? '';
    if (site === 's4.example.org') return void res.writeHead(500).end('The website encountered an unexpected error.');
    res.end('<html><body>Welcome to Open Social</body></html>');
  });
  await new Promise<void>((resolve) => probes.listen(0, '127.0.0.1', resolve));
  probeBase = `http://127.0.0.1:${(probes.address() as AddressInfo).port}`;
  // The health checks probe a local stand-in: allowed past the private-address guard as an operator would.
  product = await startProduct({ ADMIN_TOKEN, ADMIN_USERS: await adminUsersEnv(), HEALTH_CHECK_ALLOW_HOSTS: '127.0.0.1' });
  alice = new SessionClient(product.url);
  await alice.login('alice', PASSWORDS.alice);
  victor = new SessionClient(product.url);
  await victor.login('victor', PASSWORDS.victor);
  expect((await call('POST', '/api/distributions', { slug: 'pol', title: 'Policy test', policy: { pollIntervalMinutes: 0, autoTarget: false } })).status).toBe(201);
  for (const name of ['pol-1', 'pol-2']) {
    expect((await call('POST', '/api/platforms', { name, distribution: 'pol', ref: name, commit: (name === 'pol-1' ? 'b' : 'c').repeat(40) })).status).toBe(201);
    await mkdir(join(product.app.config.dataDir, 'platforms', name, 'sites'), { recursive: true });
  }
  for (const name of SITES) expect((await call('POST', '/api/sites', { name, platform: 'pol-1' })).status).toBe(202);
  await waitFor(async () => (await Promise.all(SITES.map(async (s) => (await call('GET', `/api/sites/${s}`)).body.status))).every((s) => s === 'enabled'), 'the sites', 60_000);
  expect((await call('PUT', '/api/distributions/pol/target', { platform: 'pol-2' })).status).toBe(200);
}, 120_000);
afterAll(async () => {
  await product?.stop();
  probes?.closeAllConnections();
  probes?.close();
});

describe('rollout policy: API', () => {
  test('bakeMinutes and minReleaseAgeHours are validated, each refusal a 400 naming its field; nothing is changed', async () => {
    const bad = await call('PATCH', '/api/distributions/pol', { policy: { rollout: { bakeMinutes: -5 }, minReleaseAgeHours: 'soon' } });
    expect(bad.status).toBe(400);
    const text = JSON.stringify(bad.body);
    expect(text).toContain('policy.rollout.bakeMinutes: a whole number from 0 to 10080');
    expect(text).toContain('policy.minReleaseAgeHours: a whole number of hours from 0 to 8760');
    expect((await call('GET', '/api/distributions/pol')).body.policy).toEqual({ pollIntervalMinutes: 0, autoTarget: false });
  });

  test('"Test this check on a site" through the API: passes, fails with the reason, refuses a site of another distribution', async () => {
    const healthCheck = { http: { url: `${probeBase}/{site}/`, bodyContains: 'Welcome' } };
    const ok = await call('POST', '/api/distributions/pol/health-check/test', { site: 's1.example.org', healthCheck });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ok: true, site: 's1.example.org' });
    const failed = await call('POST', '/api/distributions/pol/health-check/test', { site: 's4.example.org', healthCheck });
    expect(failed.body).toMatchObject({ ok: false, site: 's4.example.org' });
    expect(String(failed.body.message)).toContain('answered 500, expected 200');
    const invalid = await call('POST', '/api/distributions/pol/health-check/test', { site: 's1.example.org', healthCheck: { http: { url: 'ftp://{site}/' } } });
    expect(invalid.status).toBe(400);
    expect(JSON.stringify(invalid.body)).toContain('policy.rollout.healthCheck.http.url');
    expect((await call('POST', '/api/distributions/pol/health-check/test', { site: 'nowhere.example.org', healthCheck })).status).toBe(404);
  });
});

describe('rollout policy: pages', () => {
  test('a viewer sees the policy on the distribution page, without the edit button or the form', async () => {
    const page = decode((await victor.get('/distributions/pol')).text);
    expect(page).toContain('id="policy-summary"');
    expect(page).toContain('one wave of every site');
    expect(page).not.toContain('/distributions/pol/policy');
    expect((await victor.get('/distributions/pol/policy')).status).toBe(403);
  });

  test('mistakes come back next to their fields with the input kept; nothing is saved', async () => {
    const res = await alice.submit('/distributions/pol/policy', '/distributions/pol/policy', {
      'policy.rollout.waves.batchSize': 'two',
      'policy.rollout.bakeMinutes': '-1',
      'policy.rollout.windows': 'Tue 01:00-04:00 Europe/Amsterdam\nSomeday 01:00-02:00 UTC',
      'policy.rollout.siteWindows': 'alumni.example.org: Sat 25:00-26:00 UTC',
      'policy.minReleaseAgeHours': '1.5',
    });
    expect(res.status).toBe(400);
    const page = decode(res.text);
    expect(page).toMatch(/id="f-policy-rollout-waves-batchSize-error">a whole number from 0 to 10000</);
    expect(page).toMatch(/id="f-policy-rollout-bakeMinutes-error">a whole number from 0 to 10080</);
    expect(page).toMatch(/id="f-policy-rollout-windows-error">line 2: "Someday" is not a day/);
    expect(page).toMatch(/id="f-policy-rollout-siteWindows-error">alumni\.example\.org\.0: "25:00-26:00" is not a time range/);
    expect(page).toMatch(/id="f-policy-minReleaseAgeHours-error">a whole number of hours/);
    expect(page).toContain('value="two"');
    expect(page).toContain('Someday 01:00-02:00 UTC</textarea>');
    expect((await call('GET', '/api/distributions/pol')).body.policy.rollout).toBeUndefined();
  });

  test('a saved policy: the openings preview, the wave plan of the outdated sites, the summary, and the audit log with before → after', async () => {
    const fields = {
      'policy.rollout.waves.canarySites': 'alumni.example.org',
      'policy.rollout.waves.batchSize': '2',
      'policy.rollout.failureThreshold': '0.25',
      'policy.rollout.bakeMinutes': '30',
      'policy.rollout.windows': 'Tue,Thu 01:00-04:00 Europe/Amsterdam',
      'policy.rollout.siteWindows': 's1.example.org: any',
      'policy.rollout.healthCheck.http.url': `${probeBase}/{site}/`,
      'policy.rollout.healthCheck.http.bodyContains': 'Welcome',
      'policy.security.skipWindows': 'on',
      'policy.minReleaseAgeHours': '48',
    };
    const previewed = await alice.submit('/distributions/pol/policy', '/distributions/pol/policy', { ...fields, intent: 'preview' });
    expect(previewed.status).toBe(200);
    const preview = decode(previewed.text);
    expect(preview).toContain('The policy as typed is valid (not saved yet).');
    expect(preview).toMatch(/id="policy-preview">With the outdated sites now: canary: alumni\.example\.org; then 2 batches of 2; 30 min bake between waves; (window open now|next window (Tue|Thu) 01:00 Europe\/Amsterdam, in \d+ (min|h|days)) \(1 site with its own windows\); pauses when more than 25% of a wave fails/);
    const openings = /<table id="window-openings"[^>]*>[\s\S]*?<\/table>/.exec(preview)![0];
    expect(openings.match(/<tr><td>(Tue|Thu) 01:00 Europe\/Amsterdam<\/td><td>(Mon|Tue|Wed|Thu) (23|00):00 UTC<\/td><td><time data-local datetime="[^"]+">/g)).toHaveLength(3);
    expect((await call('GET', '/api/distributions/pol')).body.policy.rollout).toBeUndefined();

    const saved = await alice.submit('/distributions/pol/policy', '/distributions/pol/policy', fields);
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe('/distributions/pol/policy?saved=1');
    expect((await alice.get('/distributions/pol/policy?saved=1')).text).toContain('Policy saved.');
    const policy = (await call('GET', '/api/distributions/pol')).body.policy;
    expect(policy).toEqual({
      pollIntervalMinutes: 0,
      autoTarget: false,
      // The form edits the weekly digest too: left empty, none.
      advisoryDigest: null,
      rollout: {
        waves: { canarySites: ['alumni.example.org'], batchSize: 2 },
        failureThreshold: 0.25,
        bakeMinutes: 30,
        windows: ['Tue,Thu 01:00-04:00 Europe/Amsterdam'],
        siteWindows: { 's1.example.org': [] },
        healthCheck: { http: { url: `${probeBase}/{site}/`, bodyContains: 'Welcome' } },
      },
      security: { skipWindows: true },
      minReleaseAgeHours: 48,
    });
    // The form shows it again as saved.
    const again = decode((await alice.get('/distributions/pol/policy')).text);
    expect(again).toContain('value="alumni.example.org"');
    expect(again).toContain('s1.example.org: any</textarea>');
    // The distribution page sums it up.
    const page = decode((await alice.get('/distributions/pol')).text);
    expect(page).toContain('canaries alumni.example.org · batches of 2 · pauses when more than 25% of a wave fails · 30 min bake between waves');
    expect(page).toContain('href="/distributions/pol/policy"');
    // Audited as before → after values.
    const audit = await call('GET', '/api/audit?action=policy.change&subject=pol');
    const entry = (audit.body.items as Array<{ source: string; actorId: string; details: Record<string, unknown> }>)[0]!;
    expect(entry).toMatchObject({ source: 'page', actorId: 'alice' });
    expect(entry.details).toMatchObject({
      'rollout.bakeMinutes': '— → 30',
      'rollout.failureThreshold': '— → 0.25',
      'rollout.waves.batchSize': '— → 2',
      'security.skipWindows': '— → true',
      'minReleaseAgeHours': '— → 48',
    });
    // A save that changes nothing is not a policy change.
    expect((await alice.submit('/distributions/pol/policy', '/distributions/pol/policy', fields)).status).toBe(303);
    expect((await call('GET', '/api/audit?action=policy.change&subject=pol')).body.items).toHaveLength(1);
  });

  test('"Test this check on a site" on the page runs the check as typed, once, and saves nothing', async () => {
    const passed = await alice.submit('/distributions/pol/policy', '/distributions/pol/policy', {
      intent: 'test-health',
      'policy.rollout.healthCheck.http.url': `${probeBase}/{site}/`,
      'policy.rollout.healthCheck.http.bodyContains': 'Welcome',
      testSite: 's2.example.org',
    });
    expect(passed.status).toBe(200);
    expect(decode(passed.text)).toMatch(/<div id="health-test" role="status" class="ok-note">Passed on <code>s2\.example\.org<\/code>/);
    const failed = await alice.submit('/distributions/pol/policy', '/distributions/pol/policy', {
      intent: 'test-health',
      'policy.rollout.healthCheck.http.url': `${probeBase}/{site}/`,
      'policy.rollout.healthCheck.http.bodyContains': 'Goodbye',
      testSite: 's3.example.org',
    });
    expect(decode(failed.text)).toMatch(/<div id="health-test" role="status" class="alert">Failed on <code>s3\.example\.org<\/code>: Health check failed: [^<]*without the expected text/);
    const missing = await alice.submit('/distributions/pol/policy', '/distributions/pol/policy', { intent: 'test-health', 'policy.rollout.healthCheck.http.url': `${probeBase}/{site}/` });
    expect(missing.status).toBe(400);
    expect(decode(missing.text)).toMatch(/id="f-testSite-error">the name of a site of this distribution/);
    expect((await call('GET', '/api/distributions/pol')).body.policy.rollout.healthCheck.http.bodyContains).toBe('Welcome');
  });

  test('the upgrade page shows the wave plan and next window before Confirm, and the held-out sites with their reason', async () => {
    expect((await call('PUT', '/api/sites/s3.example.org/pin', { reason: 'client sign-off pending' })).status).toBe(200);
    const proposed = await call('POST', '/api/upgrades', { scope: { kind: 'distribution', slug: 'pol' } });
    expect(proposed.status).toBe(201);
    expect(String(proposed.body.preview)).toMatch(/^canary: alumni\.example\.org; then 1 batch of 2 and 1 of 1; 30 min bake between waves; /);
    const page = decode((await alice.get(`/upgrades/${String(proposed.body.id)}`)).text);
    expect(page).toMatch(/<p class="card" id="plan-preview"><strong>Rollout plan:<\/strong> canary: alumni\.example\.org; then 1 batch of 2 and 1 of 1; 30 min bake between waves; (window open now|next window (Tue|Thu) 01:00 Europe\/Amsterdam, in \d+ (min|h|days))/);
    expect(page).toMatch(/<table id="upgrade-held">[\s\S]*s3\.example\.org[\s\S]*client sign-off pending/);
  });

  test('the form shows and edits the security bounds and the weekly digest; saving it keeps what the API set', async () => {
    const patched = await call('PATCH', '/api/distributions/pol', { policy: { security: { maxEventPackages: 10, maxCoveredFraction: 0.5 }, advisoryDigest: 'Mon 09:00 UTC' } });
    expect(patched.status).toBe(200);
    const form = decode((await alice.get('/distributions/pol/policy')).text);
    expect(form).toMatch(/name="policy\.security\.maxEventPackages"[^>]*value="10"/);
    expect(form).toMatch(/name="policy\.security\.maxCoveredFraction"[^>]*value="0\.5"/);
    expect(form).toMatch(/name="policy\.advisoryDigest"[^>]*value="Mon 09:00 UTC"/);
    const kept = { 'policy.security.maxEventPackages': '10', 'policy.security.maxCoveredFraction': '0.5', 'policy.advisoryDigest': 'Mon 09:00 UTC' };
    const refused = await alice.submit('/distributions/pol/policy', '/distributions/pol/policy', { ...kept, 'policy.security.maxCoveredFraction': '2' });
    expect(refused.status).toBe(400);
    expect(decode(refused.text)).toMatch(/id="f-policy-security-maxCoveredFraction-error">[^<]*fraction/);
    expect((await alice.submit('/distributions/pol/policy', '/distributions/pol/policy', { ...kept, 'policy.security.maxEventPackages': '20' })).status).toBe(303);
    const policy = (await call('GET', '/api/distributions/pol')).body.policy;
    expect(policy.security).toMatchObject({ maxEventPackages: 20, maxCoveredFraction: 0.5 });
    expect(policy.advisoryDigest).toBe('Mon 09:00 UTC');
  });
});
