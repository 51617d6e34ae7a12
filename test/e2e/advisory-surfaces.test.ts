/**
 * Exposure on the admin surfaces over real HTTP: GET /api/exposure (filters, bounded pages, validation), one event,
 * the dashboard (exposure first), distribution, platform and site pages, and the event page a Slack announcement
 * links to. The feed is an operator file replaying two real snapshots.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { FileAdvisoryFeed } from '../../src/upstream/advisory-feeds.js';
import { advisorySnapshot } from '../support/advisory-feed-repo.js';
import { makeTempDir } from '../support/git-fixtures.js';
import { ADMIN_TOKEN, api, startHttpServer, type HttpTestServer } from '../support/http.js';
import { seedOpenSocial } from '../support/seed.js';

let server: HttpTestServer;
let dir: string;
let eventId: string;
const call = (path: string) => api(server.baseUrl, 'GET', path);
const page = async (path: string) => {
  const res = await fetch(server.baseUrl + path, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return { status: res.status, text: await res.text() };
};

beforeAll(async () => {
  dir = await makeTempDir('distro-exposure-http-');
  const file = join(dir, 'advisories.json');
  server = await startHttpServer({ advisoryFeeds: [new FileAdvisoryFeed({ path: file, maxBytes: 5 * 1024 * 1024 })] });
  await seedOpenSocial(server.services, {
    versions: ['12.0.5', '12.4.2'],
    sites: { '12.0.5': ['a.example.org', 'b.example.org'], '12.4.2': ['f.example.org'] },
  });
  await writeFile(file, advisorySnapshot('2023-12-06'));
  await server.services.advisories.poll();
  await writeFile(file, advisorySnapshot('2024-01-17'));
  const [outcome] = await server.services.advisories.poll();
  if (outcome?.outcome !== 'event') throw new Error(`expected an event, got ${JSON.stringify(outcome)}`);
  eventId = outcome.event.id;
});
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('GET /api/exposure', () => {
  test('exposed sites with their packages, the summary per distribution, the feed and recent events', async () => {
    const res = await call('/api/exposure');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: 2, limit: 50, offset: 0 });
    expect(res.body.items.map((r: { site: string }) => r.site)).toEqual(['a.example.org', 'b.example.org']);
    expect(res.body.items[0]).toMatchObject({ platform: 'social-12.0.5', distribution: 'social', packages: expect.arrayContaining([{ name: 'drupal/core', version: '10.0.11' }]) });
    expect(res.body.distributions).toEqual([
      expect.objectContaining({ distribution: 'social', exposedSites: 2, totalSites: 3, target: 'social-12.4.2', targetFixesAll: true, targetStillExposed: [] }),
    ]);
    expect(res.body.feeds).toEqual([expect.objectContaining({ lastError: null, snapshot: expect.objectContaining({ packages: 217 }) })]);
    expect(res.body.events[0]).toMatchObject({ id: eventId, initial: false, changes: expect.arrayContaining([expect.objectContaining({ name: 'drupal/core' })]) });
  });

  test('filters by package, distribution and site, and pages', async () => {
    expect((await call('/api/exposure?package=drupal/core')).body.total).toBe(2);
    expect((await call('/api/exposure?package=drupal/views')).body.total).toBe(0);
    expect((await call('/api/exposure?distribution=social&limit=1&offset=1')).body).toMatchObject({ total: 2, items: [{ site: 'b.example.org' }] });
    expect((await call('/api/exposure?site=f.example.org')).body.total).toBe(0);
    expect((await call('/api/exposure?site=a.example.org')).body.items.map((r: { site: string }) => r.site)).toEqual(['a.example.org']);
  });

  test('bad filters are a 400 naming the field; unknown names a 404 with a suggestion', async () => {
    const bad = await call('/api/exposure?package=..%2F..%2Fetc&limit=500');
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.join(' ')).toMatch(/package/);
    expect(bad.body.error.issues.join(' ')).toMatch(/limit/);
    const unknown = await call('/api/exposure?distribution=socail');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.suggestion).toBe('social');
  });

  test('one event: per distribution, the exposed sites and the target that fixes it', async () => {
    const res = await call(`/api/exposure/events/${eventId}`);
    expect(res.status).toBe(200);
    expect(res.body.distributions).toEqual([
      { distribution: 'social', packages: ['drupal/core'], exposedSites: 2, platforms: [{ platform: 'social-12.0.5', sites: 2, packages: [{ name: 'drupal/core', version: '10.0.11' }] }], fix: { platform: 'social-12.4.2', sitesToMove: 2 } },
    ]);
    expect((await call('/api/exposure/events/ffffffffffffffffffffffff')).status).toBe(404);
  });

  test('without credentials it is refused', async () => {
    const res = await api(server.baseUrl, 'GET', '/api/exposure', undefined, {});
    expect(res.status).toBe(401);
  });
});

describe('pages', () => {
  test('the dashboard shows exposure first', async () => {
    const { status, text } = await page('/');
    expect(status).toBe(200);
    expect(text.indexOf('Security exposure')).toBeGreaterThan(-1);
    // Right after what needs a human (failed work), before the distributions.
    expect(text.indexOf('Security exposure')).toBeLessThan(text.indexOf('<h2>Distributions</h2>'));
    expect(text.indexOf('Needs attention')).toBeLessThan(text.indexOf('Security exposure'));
    expect(text).toContain('<code>drupal/core</code> (2)');
    expect(text).toContain('fixes them');
  });

  test('distribution, platform and site pages show their exposure; a clean site says so', async () => {
    expect((await page('/distributions/social')).text).toMatch(/Security exposure[\s\S]*drupal\/core<\/code> 10\.0\.11[\s\S]*a\.example\.org/);
    expect((await page('/platforms/social-12.0.5')).text).toContain('this platform runs versions covered by a security advisory');
    expect((await page('/sites/a.example.org')).text).toContain('<code>drupal/core</code> 10.0.11');
    expect((await page('/sites/f.example.org')).text).toContain('No package of this site is covered by a security advisory.');
  });

  test('the event page opens from the signed link of the announcement', async () => {
    const url = new URL(server.services.links.advisoryUrl(eventId));
    const res = await fetch(server.baseUrl + url.pathname + url.search);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toContain('Security advisory update');
    expect(text).toMatch(/The target <a href="\/platforms\/social-12\.4\.2">social-12\.4\.2<\/a> fixes it\./);
    expect((await fetch(server.baseUrl + url.pathname)).status).toBe(401);
  });
});
