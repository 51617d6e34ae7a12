/** The admin JSON API over real HTTP: CRUD, validation, error mapping, pagination, upgrades. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { openSocialBuild } from '../support/fixtures.js';
import { ADMIN_TOKEN, api, startHttpServer, type HttpTestServer } from '../support/http.js';
import { seedOpenSocial, type Seeded } from '../support/seed.js';

let server: HttpTestServer;
let seeded: Seeded;
const call = (method: string, path: string, body?: unknown) => api(server.baseUrl, method, path, body);

/** DELETE answers 204 and the thing is gone afterwards. */
const expectDeleted = async (path: string): Promise<void> => {
  expect((await call('DELETE', path)).status).toBe(204);
  expect((await call('GET', path)).status).toBe(404);
};

beforeAll(async () => {
  server = await startHttpServer();
  seeded = await seedOpenSocial(server.services, {
    sites: { '12.3.3': ['old.example.org', 'older.example.org'], '12.4.1': ['mid.example.org'] },
  });
});
afterAll(() => server.close());

describe('distributions', () => {
  test('list carries target and site counts in a page envelope', async () => {
    const res = await call('GET', '/api/distributions');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: 1, limit: 50, offset: 0 });
    expect(res.body.items[0]).toMatchObject({
      slug: 'social',
      target: { id: seeded.platforms['12.4.2']!.id, name: 'social-12.4.2' },
      platformCount: 3,
      siteCount: 3,
      outdatedSiteCount: 3,
    });
  });

  test('detail lists platforms with the target marked', async () => {
    const res = await call('GET', '/api/distributions/social');
    expect(res.status).toBe(200);
    const byName = Object.fromEntries(res.body.platforms.map((p: { name: string }) => [p.name, p]));
    expect(byName['social-12.4.2']).toMatchObject({ isTarget: true, status: 'ready', siteCount: 0 });
    expect(byName['social-12.3.3']).toMatchObject({ isTarget: false, status: 'locked', siteCount: 2 });
  });

  test('an unknown slug is a 404 with the closest name as suggestion', async () => {
    const res = await call('GET', '/api/distributions/socail');
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'not_found', suggestion: 'social' });
  });

  test('create validates every field and reports each problem', async () => {
    const bad = await call('POST', '/api/distributions', { slug: 'Not A Slug', title: '  ', policy: { pollIntervalMinutes: -5 }, extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation');
    const issues: string[] = bad.body.error.issues;
    expect(issues.some((i) => i.startsWith('title'))).toBe(true);
    expect(issues.some((i) => i.startsWith('policy.pollIntervalMinutes'))).toBe(true);
    expect(issues.some((i) => i.includes('extra'))).toBe(true);

    const slug = await call('POST', '/api/distributions', { slug: 'Not A Slug', title: 'Fine' });
    expect(slug.status).toBe(400);
    expect(slug.body.error.issues[0]).toMatch(/^slug/);
    // Nothing was stored by the refused requests.
    expect((await call('GET', '/api/distributions')).body.total).toBe(1);
  });

  test('create, patch (policy merges), conflict on duplicate, delete', async () => {
    const created = await call('POST', '/api/distributions', {
      slug: 'drupal-10',
      title: 'Drupal 10',
      upstream: { kind: 'github', owner: 'goalgorilla', repo: 'social_template', tagPattern: '12.*' },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/api/distributions/drupal-10');
    expect(created.body.upstream).toMatchObject({ kind: 'github', manifestPath: 'composer.json' });
    expect(created.body.policy.autoTarget).toBe(true);

    const dup = await call('POST', '/api/distributions', { slug: 'drupal-10', title: 'Again' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('conflict');

    const patched = await call('PATCH', '/api/distributions/drupal-10', { title: 'Drupal ten', policy: { autoTarget: false }, channel: null });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ title: 'Drupal ten', channel: null, policy: { autoTarget: false, pollIntervalMinutes: created.body.policy.pollIntervalMinutes } });
    expect(patched.body.upstream).toEqual(created.body.upstream);

    expect((await call('PATCH', '/api/distributions/drupal-10', { slug: 'renamed' })).status).toBe(400);
    expect((await call('PATCH', '/api/distributions/drupal-10', {})).status).toBe(400);
    const badUpstream = await call('PATCH', '/api/distributions/drupal-10', { upstream: { kind: 'github', owner: 'no spaces', repo: 'x' } });
    expect(badUpstream.status).toBe(400);
    expect(badUpstream.body.error.issues.join()).toMatch(/upstream\.owner/);
    expect((await call('GET', '/api/distributions/drupal-10')).body.title).toBe('Drupal ten');

    await expectDeleted('/api/distributions/drupal-10');
  });

  test('deleting a distribution that still has platforms is a conflict', async () => {
    const res = await call('DELETE', '/api/distributions/social');
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/platform/);
  });

  test('poll queues a check; a distribution without an upstream is refused', async () => {
    const refused = await call('POST', '/api/distributions/social/poll');
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toMatch(/no upstream/);
    await server.services.distributions.update('social', {
      upstream: { kind: 'git', url: 'https://example.org/social.git', branch: 'main', manifestPath: 'composer.lock' },
      policy: { pollIntervalMinutes: 0 },
    });
    const before = (await server.jobs.stats()).queued;
    const res = await call('POST', '/api/distributions/social/poll');
    expect(res.status).toBe(202);
    expect((await server.jobs.stats()).queued).toBe(before + 1);
    expect((await call('POST', '/api/distributions/nope/poll')).status).toBe(404);
  });
});

describe('platforms', () => {
  test('filters by distribution and status; bad status values are named', async () => {
    const locked = await call('GET', '/api/platforms?distribution=social&status=locked');
    expect(locked.status).toBe(200);
    expect(locked.body.items.map((p: { name: string }) => p.name).sort()).toEqual(['social-12.3.3', 'social-12.4.1']);
    expect(locked.body.items[0].manifest.packageCount).toBeGreaterThan(100);
    expect(locked.body.items[0].manifest.files).toBeUndefined();

    const bad = await call('GET', '/api/platforms?status=locked,bogus');
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.join()).toMatch(/status/);
  });

  test('pagination is bounded and validated', async () => {
    const page = await call('GET', '/api/platforms?limit=1&offset=1');
    expect(page.body).toMatchObject({ total: 3, limit: 1, offset: 1 });
    expect(page.body.items).toHaveLength(1);
    const all = await call('GET', '/api/platforms');
    expect(page.body.items[0].id).toBe(all.body.items[1].id);

    for (const q of ['limit=0', 'limit=1000', 'offset=-1', 'limit=abc', 'limit=1&limit=2']) {
      const res = await call('GET', `/api/platforms?${q}`);
      expect([q, res.status]).toEqual([q, 400]);
    }
  });

  test('register parses manifest files; bad input is refused before anything is stored', async () => {
    expect((await call('POST', '/api/distributions', { slug: 'social-next', title: 'Next' })).status).toBe(201);
    const build = openSocialBuild('12.0.0');
    const bad = await call('POST', '/api/platforms', { name: 'next-12.0.0', distribution: 'social-next', ref: '12.0.0', commit: 'not-hex' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.join()).toMatch(/commit/);

    const res = await call('POST', '/api/platforms', { name: 'next-12.0.0', distribution: 'social-next', ref: '12.0.0', commit: build.commit, files: build.files });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'next-12.0.0', status: 'ready', createdBy: { kind: 'user', id: 'admin' } });
    expect(res.body.manifest.format).toBe('composer');
    expect(res.body.manifest.files).toEqual(['composer.json', 'composer.lock']);
    const core = res.body.manifest.packages.find((p: { name: string }) => p.name === 'goalgorilla/open_social');
    expect(core.version).toBe('12.0.0');

    const again = await call('POST', '/api/platforms', { name: 'next-12.0.0', distribution: 'social-next', ref: '12.0.0', commit: build.commit });
    expect(again.status).toBe(409);
    const wrongDist = await call('POST', '/api/platforms', { name: 'x-1', distribution: 'socal', ref: 'main', commit: 'abcdef1' });
    expect(wrongDist.status).toBe(404);
    expect(wrongDist.body.error.suggestion).toBe('social');

    await expectDeleted('/api/platforms/next-12.0.0');
    await expectDeleted('/api/distributions/social-next');
  });

  test('the target and platforms with sites cannot be deleted', async () => {
    const target = await call('DELETE', '/api/platforms/social-12.4.2');
    expect(target.status).toBe(409);
    expect(target.body.error.message).toMatch(/target/);
    const withSites = await call('DELETE', '/api/platforms/social-12.3.3');
    expect(withSites.status).toBe(409);
    expect(withSites.body.error.message).toMatch(/site/);
  });

  test('setting the target locks the others; a bad platform is 404/422', async () => {
    expect((await call('PUT', '/api/distributions/social/target', {})).status).toBe(400);
    const unknown = await call('PUT', '/api/distributions/social/target', { platform: 'social-12.4.3' });
    expect(unknown.status).toBe(404);

    const res = await call('PUT', '/api/distributions/social/target', { platform: 'social-12.4.1' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ changed: true, target: { name: 'social-12.4.1' }, previousTarget: { name: 'social-12.4.2' } });
    expect(res.body.locked).toEqual([seeded.platforms['12.4.2']!.id]);
    const status = async (name: string) => (await call('GET', `/api/platforms/${name}`)).body.status;
    expect(await status('social-12.4.2')).toBe('locked');
    expect(await status('social-12.4.1')).toBe('ready');

    const back = await call('PUT', '/api/distributions/social/target', { platform: 'social-12.4.2' });
    expect(back.body).toMatchObject({ changed: true, unlocked: [seeded.platforms['12.4.2']!.id] });
  });
});

describe('sites', () => {
  test('creation is refused on a locked platform (422) and allowed on the target', async () => {
    const locked = await call('POST', '/api/sites', { name: 'new.example.org', platform: 'social-12.3.3' });
    expect(locked.status).toBe(422);
    expect(locked.body.error.code).toBe('rule_violation');
    expect((await call('GET', '/api/sites/new.example.org')).status).toBe(404);

    const created = await call('POST', '/api/sites', { name: 'New.Example.org', platform: 'social-12.4.2', modules: ['social_core'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'new.example.org', platformId: seeded.platforms['12.4.2']!.id, status: 'enabled', modules: ['social_core'] });
    expect((await call('POST', '/api/sites', { name: 'new.example.org', platform: 'social-12.4.2' })).status).toBe(409);
  });

  test('invalid names and modules are 400s', async () => {
    const res = await call('POST', '/api/sites', { name: 'bad name!', platform: 'social-12.4.2' });
    expect(res.status).toBe(400);
    const modules = await call('POST', '/api/sites', { name: 'ok.example.org', platform: 'social-12.4.2', modules: ['Bad Module'] });
    expect(modules.status).toBe(400);
    expect(modules.body.error.issues.join()).toMatch(/modules\.0/);
  });

  test('list filters by platform, status and name', async () => {
    const onOld = await call('GET', '/api/sites?platform=social-12.3.3');
    expect(onOld.body.items.map((s: { name: string }) => s.name)).toEqual(['old.example.org', 'older.example.org']);
    const q = await call('GET', '/api/sites?q=mid');
    expect(q.body.items.map((s: { name: string }) => s.name)).toEqual(['mid.example.org']);
    expect((await call('GET', '/api/sites?status=gone')).status).toBe(400);
    expect((await call('GET', '/api/sites?platform=social-9')).status).toBe(404);
  });

  test('patch and delete; a deleted site is 404 with a suggestion', async () => {
    const patched = await call('PATCH', '/api/sites/older.example.org', { status: 'disabled', modules: ['social_event'] });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ status: 'disabled', modules: ['social_event'] });
    expect((await call('PATCH', '/api/sites/older.example.org', { status: 'migrating' })).status).toBe(400);
    expect((await call('GET', '/api/sites?status=disabled')).body.items.map((s: { name: string }) => s.name)).toEqual(['older.example.org']);

    expect((await call('DELETE', '/api/sites/older.example.org')).status).toBe(204);
    const gone = await call('GET', '/api/sites/older.example.org');
    expect(gone.status).toBe(404);
    expect(gone.body.error.suggestion).toBe('old.example.org');
  });
});

describe('compare', () => {
  test('the real 12.3.3 → 12.4.2 comparison', async () => {
    const res = await call('GET', '/api/compare?from=social-12.3.3&to=social-12.4.2');
    expect(res.status).toBe(200);
    const core = res.body.packages.find((p: { name: string }) => p.name === 'goalgorilla/open_social');
    expect(core).toMatchObject({ from: '12.3.3', to: '12.4.2', change: 'upgrade' });
    expect(res.body.counts.upgrade).toBe(res.body.packages.filter((p: { change: string }) => p.change === 'upgrade').length);
    expect(res.body.files).toEqual([]);
    const withFiles = await call('GET', '/api/compare?from=social-12.3.3&to=social-12.4.2&files=1');
    expect(withFiles.body.files.map((f: { path: string }) => f.path)).toContain('composer.json');
  });

  test('missing parameters and unknown platforms', async () => {
    const missing = await call('GET', '/api/compare?from=social-12.3.3');
    expect(missing.status).toBe(400);
    expect(missing.body.error.issues.join()).toMatch(/^to/);
    const unknown = await call('GET', '/api/compare?from=social-12.3.4&to=social-12.4.2');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.suggestion).toBe('social-12.3.3');
  });
});

describe('upgrades and tasks', () => {
  test('propose → confirm schedules one migration; a second confirm schedules nothing', async () => {
    const bad = await call('POST', '/api/upgrades', { scope: { kind: 'site' } });
    expect(bad.status).toBe(400);
    const onTarget = await call('POST', '/api/upgrades', { scope: { kind: 'site', name: 'new.example.org' } });
    expect(onTarget.status).toBe(422);

    const proposed = await call('POST', '/api/upgrades', { scope: { kind: 'site', name: 'old.example.org' } });
    expect(proposed.status).toBe(201);
    expect(proposed.body).toMatchObject({ state: 'pending', target: { name: 'social-12.4.2' }, blocked: false });
    expect(proposed.body.groups).toEqual([expect.objectContaining({ from: expect.objectContaining({ name: 'social-12.3.3' }), sites: ['old.example.org'] })]);

    const confirmed = await call('POST', `/api/upgrades/${proposed.body.id}/confirm`);
    expect(confirmed.status).toBe(202);
    expect(confirmed.body.scheduled).toBe(true);
    expect(confirmed.body.plan.tasks).toHaveLength(1);
    const again = await call('POST', `/api/upgrades/${proposed.body.id}/confirm`);
    expect(again.status).toBe(200);
    expect(again.body.scheduled).toBe(false);
    const late = await call('POST', `/api/upgrades/${proposed.body.id}/cancel`);
    expect(late.status).toBe(409);
    // The next step as an endpoint, not a slash command.
    expect(late.body.error).toMatchObject({ code: 'conflict', hint: { action: 'cancel-task', endpoint: 'POST /api/tasks/{task}/cancel' } });
    expect(late.body.error.message).not.toMatch(/\/distro|`cancel/);

    const tasks = await call('GET', '/api/tasks?site=old.example.org');
    expect(tasks.body.total).toBe(1);
    const task = tasks.body.items[0];
    expect(task).toMatchObject({ type: 'migrate', state: 'queued', fromPlatformId: seeded.platforms['12.3.3']!.id });
    expect(task.lease).toBeUndefined();

    const byNumber = await call('GET', `/api/tasks/${task.number}`);
    expect(byNumber.body).toMatchObject({ id: task.id, log: [] });
    const cancelled = await call('POST', `/api/tasks/${task.id}/cancel`);
    expect(cancelled.body.state).toBe('cancelled');
    expect(cancelled.body.log[0].message).toMatch(/Cancelled by admin/);
    expect((await call('GET', '/api/tasks?state=cancelled')).body.items.map((t: { id: string }) => t.id)).toEqual([task.id]);
  });

  test('an error says what to do next as an endpoint: no target yet → PUT …/target', async () => {
    expect((await call('POST', '/api/distributions', { slug: 'bare', title: 'Bare' })).status).toBe(201);
    const res = await call('POST', '/api/upgrades', { scope: { kind: 'distribution', slug: 'bare' } });
    expect(res.status).toBe(422);
    expect(res.body.error).toEqual({
      code: 'rule_violation',
      message: 'Distribution `bare` has no upgrade target yet.',
      hint: { action: 'set-target', distribution: 'bare', endpoint: 'PUT /api/distributions/bare/target' },
    });
    expect((await call('DELETE', '/api/distributions/bare')).status).toBe(204);
  });

  test('a pending plan can be cancelled, then not confirmed', async () => {
    const proposed = await call('POST', '/api/upgrades', { scope: { kind: 'platform', name: 'social-12.4.1' } });
    expect(proposed.status).toBe(201);
    expect((await call('POST', `/api/upgrades/${proposed.body.id}/cancel`)).body.state).toBe('cancelled');
    expect((await call('POST', `/api/upgrades/${proposed.body.id}/confirm`)).status).toBe(409);
    expect((await call('GET', '/api/upgrades/0123456789abcdef01234567')).status).toBe(404);
  });

  test('unknown and malformed task keys', async () => {
    expect((await call('GET', '/api/tasks/9999')).status).toBe(404);
    expect((await call('GET', '/api/tasks/not-a-task')).status).toBe(400);
    expect((await call('GET', '/api/tasks?state=bogus')).status).toBe(400);
  });
});

describe('transport errors', () => {
  test('a malformed JSON body is a 400 and changes nothing', async () => {
    const res = await call('POST', '/api/distributions', '{"slug": "broken", "title":');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'validation', message: 'Malformed JSON body.' });
    expect((await call('GET', '/api/distributions/broken')).status).toBe(404);
  });

  test('a body without a JSON content type is validated as empty', async () => {
    const res = await fetch(`${server.baseUrl}/api/distributions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/plain' },
      body: 'slug=x',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { issues: string[] } }).error.issues.join()).toMatch(/slug/);
  });

  test('unknown API routes answer JSON 404', async () => {
    const res = await call('GET', '/api/nothing-here');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/json/);
    expect(res.body.error.code).toBe('not_found');
  });
});
