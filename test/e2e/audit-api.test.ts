/**
 * The audit log over real HTTP: every change made through the admin API is recorded with who and from where;
 * `GET /api/audit` filters, cursor pages, validates each query field (400 naming it) and exports CSV with formula
 * cells guarded; `/audit` and the entity pages show the log, locks, pins and rollback availability.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { csvCell } from '../../src/lib/csv.js';
import { openSocialBuild } from '../support/fixtures.js';
import { api, basicAuth, PUBLIC_URL, startHttpServer, type HttpTestServer } from '../support/http.js';

let server: HttpTestServer;
const call = (method: string, path: string, body?: unknown) => api(server.baseUrl, method, path, body);
const must = async (method: string, path: string, body?: unknown) => {
  const res = await call(method, path, body);
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};

beforeAll(async () => {
  server = await startHttpServer();
  const build = (v: string) => openSocialBuild(v);
  await must('POST', '/api/distributions', { slug: 'social', title: 'Open Social', policy: { pollIntervalMinutes: 0, autoTarget: false } });
  await must('PATCH', '/api/distributions/social', { title: 'Open Social 12' });
  await must('PATCH', '/api/distributions/social', { policy: { autoTarget: true } });
  for (const v of ['12.3.3', '12.4.2']) {
    await must('POST', '/api/platforms', { name: `social-${v}`, distribution: 'social', ref: v, commit: build(v).commit, files: build(v).files });
  }
  await must('POST', '/api/sites', { name: 'a.example.org', platform: 'social-12.3.3' });
  await must('POST', '/api/sites', { name: 'b.example.org', platform: 'social-12.3.3' });
  await must('PUT', '/api/distributions/social/target', { platform: 'social-12.4.2' });
  await must('PUT', '/api/platforms/social-12.3.3/lock', { reason: 'security review' });
  await must('PUT', '/api/sites/a.example.org/pin', { reason: 'waiting for client sign-off' });
  await must('DELETE', '/api/sites/b.example.org');
});
afterAll(() => server.close());

describe('audit entries of admin API changes', () => {
  test('every state change is recorded, newest first, with the admin user and the api surface', async () => {
    const res = await call('GET', '/api/audit');
    expect(res.status).toBe(200);
    const items = res.body.items as Array<{ action: string; actorId: string; source: string; subject: { name: string }; details: Record<string, unknown> }>;
    expect(items.map((e) => `${e.action} ${e.subject.name}`)).toEqual([
      'site.delete b.example.org',
      'site.pin a.example.org',
      'platform.lock social-12.3.3',
      'target.set social',
      'site.create b.example.org',
      'site.create a.example.org',
      'platform.register social-12.4.2',
      'platform.register social-12.3.3',
      'policy.change social',
      'distribution.update social',
      'distribution.create social',
    ]);
    expect(items.every((e) => e.actorId === 'admin' && e.source === 'api')).toBe(true);
    expect(items.find((e) => e.action === 'target.set')!.details).toEqual({ from: null, to: 'social-12.4.2', locked: 1 });
    expect(items.find((e) => e.action === 'policy.change')!.details).toEqual({ fields: 'policy', autoTarget: 'false → true' });
    expect(items.find((e) => e.action === 'site.pin')!.details).toEqual({ reason: 'waiting for client sign-off' });
  });

  test('the API shows who locked or pinned and why, and whether a site can be rolled back', async () => {
    const platform = await must('GET', '/api/platforms/social-12.3.3');
    expect(platform.status).toBe('locked');
    expect(platform.lock).toMatchObject({ reason: 'security review', by: { id: 'admin', via: 'api' } });
    const detail = await must('GET', '/api/distributions/social');
    expect(detail.platforms.find((p: { name: string }) => p.name === 'social-12.3.3').lock.reason).toBe('security review');
    const site = await must('GET', '/api/sites/a.example.org');
    expect(site.pin).toMatchObject({ reason: 'waiting for client sign-off' });
    expect(site.rollback).toEqual({ possible: false, reason: 'a.example.org has not been migrated by Distro, so there is no platform to go back to.' });
    const refused = await call('POST', '/api/sites/a.example.org/rollback');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'conflict', message: expect.stringContaining('has not been migrated') });
    const noReason = await call('PUT', '/api/sites/a.example.org/pin', { reason: '   ' });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.issues).toEqual(['reason: required (say why, e.g. "waiting for client sign-off")']);
    const unpinNothing = await call('DELETE', '/api/platforms/social-12.4.2/lock');
    expect(unpinNothing.status).toBe(409);
  });
});

describe('GET /api/audit', () => {
  test('filters by action, subject, actor, source and time; combined', async () => {
    const names = async (query: string) => ((await must('GET', `/api/audit?${query}`)).items as Array<{ action: string }>).map((e) => e.action);
    expect(await names('action=site.create,site.delete')).toEqual(['site.delete', 'site.create', 'site.create']);
    expect(await names('subject=social-12.3.3')).toEqual(['platform.lock', 'platform.register']);
    expect(await names('actor=admin&action=target.set')).toEqual(['target.set']);
    expect(await names('actor=U0NOBODY')).toEqual([]);
    expect(await names('source=slack')).toEqual([]);
    expect(await names('since=2999-01-01')).toEqual([]);
    expect((await names('until=2999-01-01T00:00:00Z')).length).toBe(11);
    // A blank field (the page's form) is no filter.
    expect((await names('actor=&subject=')).length).toBe(11);
  });

  test('cursor pagination: every entry once, a Link to the next page, a bounded page size', async () => {
    const seen: string[] = [];
    let path: string | null = '/api/audit?limit=4';
    while (path) {
      const res = await call('GET', path);
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((e: { id: string }) => e.id));
      const link = res.headers.get('link');
      if (res.body.next) expect(link).toBe(`</api/audit?limit=4&cursor=${res.body.next}>; rel="next"`);
      else expect(link).toBeNull();
      path = res.body.next ? `/api/audit?limit=4&cursor=${res.body.next}` : null;
    }
    expect(seen).toHaveLength(11);
    expect(new Set(seen).size).toBe(11);
  });

  test('each bad query field is a 400 naming it', async () => {
    const issues = async (query: string) => {
      const res = await call('GET', `/api/audit?${query}`);
      expect(res.status).toBe(400);
      return (res.body.error.issues as string[]).map((i) => i.slice(0, i.indexOf(':')));
    };
    expect(await issues('limit=0')).toEqual(['limit']);
    expect(await issues('limit=501')).toEqual(['limit']);
    expect(await issues('action=site.explode')).toEqual(['action.0']);
    expect(await issues('since=yesterday')).toEqual(['since']);
    expect(await issues('cursor=../../etc')).toEqual(['cursor']);
    expect(await issues('format=xml')).toEqual(['format']);
    expect(await issues(`subject=${'x'.repeat(300)}`)).toEqual(['subject']);
    expect(await issues('colour=red')).toEqual(['query']);
  });

  test('CSV export: a header row, one row per entry, cells that would run as a formula quoted', async () => {
    // An admin user whose name starts with `@` (a spreadsheet formula) changes something.
    const basic = await startHttpServer({ auth: { token: null, user: '@evil', password: 'correct horse battery staple' } });
    try {
      const headers = { ...basicAuth('@evil', 'correct horse battery staple'), origin: PUBLIC_URL };
      expect((await api(basic.baseUrl, 'POST', '/api/distributions', { slug: 'csv', title: '=1+1' }, headers)).status).toBe(201);
      const res = await fetch(`${basic.baseUrl}/api/audit?format=csv`, { headers });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(res.headers.get('content-disposition')).toContain('attachment');
      const lines = (await res.text()).trimEnd().split('\r\n');
      expect(lines[0]).toBe('id,at,actor_id,actor,source,action,subject_kind,subject,details');
      expect(lines).toHaveLength(2);
      expect(lines[1]).toMatch(/^1,\d{4}-\d\d-\d\dT[^,]+Z,'@evil,'@evil,api,distribution\.create,distribution,csv,"\{""title"":""=1\+1""\}"$/);
    } finally {
      await basic.close();
    }
    expect(['=SUM(A1)', '+1', '-1', '@x', '\tx', 'plain', 'a,b', 'say "hi"'].map(csvCell)).toEqual([
      "'=SUM(A1)",
      "'+1",
      "'-1",
      "'@x",
      "'\tx",
      'plain',
      '"a,b"',
      '"say ""hi"""',
    ]);
  });
});

describe('pages', () => {
  const page = async (path: string) => {
    const res = await fetch(server.baseUrl + path, { headers: { authorization: `Bearer test-admin-token-0123456789` } });
    return { status: res.status, text: await res.text() };
  };

  test('/audit lists entries with filters, a CSV link and a link to older entries', async () => {
    const all = await page('/audit?limit=5');
    expect(all.status).toBe(200);
    expect(all.text).toContain('<h1>Audit log</h1>');
    expect(all.text).toContain('<code>site.delete</code>');
    expect(all.text).toContain('href="/api/audit?limit=5&amp;format=csv"');
    expect(all.text).toMatch(/href="\/audit\?limit=5&amp;cursor=\d+" rel="next"/);
    const filtered = await page('/audit?action=platform.lock&subject=&actor=');
    expect(filtered.text).toContain('<code>platform.lock</code>');
    expect(filtered.text).not.toContain('<code>site.delete</code>');
    expect(filtered.text).toContain('<option value="platform.lock" selected>');
    expect((await page('/audit?since=never')).status).toBe(400);
  });

  test('platform and site pages show the manual lock and pin with who and why, and the rollback state', async () => {
    const platform = await page('/platforms/social-12.3.3');
    expect(platform.text).toMatch(/<dt>Manual lock<\/dt><dd><span class="badge b-locked">locked by hand<\/span> by admin on [^:]+:\d\d:\d\d UTC: <em>security review<\/em>/);
    const site = await page('/sites/a.example.org');
    expect(site.text).toContain('<em>waiting for client sign-off</em>');
    expect(site.text).toContain('<dt>Rollback</dt><dd class="empty">a.example.org has not been migrated by Distro');
    const distribution = await page('/distributions/social');
    expect(distribution.text).toContain('<em>security review</em>');
  });

  test('the site page offers Roll back while possible and asks first; the confirmation form starts the rollback (audited from `page`); other sites cannot post it', async () => {
    // Record a finished migration of a.example.org as the worker would (this server runs no jobs).
    const { repos } = server;
    const site = (await repos.sites.getByName('a.example.org'))!;
    const target = (await repos.platforms.getByName('social-12.4.2'))!;
    const task = await repos.tasks.create({
      type: 'migrate',
      subject: { kind: 'site', id: site.id, name: site.name },
      fromPlatformId: site.platformId,
      toPlatformId: target.id,
      requestedBy: { kind: 'system' },
    });
    await repos.tasks.transition(task.id, ['queued'], 'processing', { startedAt: new Date() });
    await repos.tasks.setStep(task.id, 'maintenanceOff', { backup: '/data/backups/a.tar.gz', backupDigest: 'd' });
    await repos.sites.beginMigration(site.id, site.platformId);
    await repos.sites.completeMigration(site.id, target.id, task.id, new Date());
    await repos.tasks.transition(task.id, ['processing'], 'succeeded', { finishedAt: new Date() });

    const shown = await page('/sites/a.example.org');
    // The site page only links to the confirmation step; nothing is posted from it.
    expect(shown.text).not.toContain('action="/sites/a.example.org/rollback"');
    expect(shown.text).toContain('<a class="button" href="/sites/a.example.org/rollback">Roll back to social-12.3.3…</a>');
    const asked = await page('/sites/a.example.org/rollback');
    expect(asked.status).toBe(200);
    expect(asked.text).toContain('<h1>Roll a.example.org back to social-12.3.3?</h1>');
    expect(asked.text).toContain('<form method="post" action="/sites/a.example.org/rollback"');
    expect(asked.text).toContain('>Roll back to social-12.3.3</button>');
    expect(asked.text).toContain('<a href="/sites/a.example.org">No, go back</a>');
    expect(await server.services.tasks.recent('a.example.org', 1)).toEqual([expect.objectContaining({ type: 'migrate' })]);

    const crossSite = await fetch(`${server.baseUrl}/sites/a.example.org/rollback`, { method: 'POST', headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }, redirect: 'manual' });
    expect(crossSite.status).toBe(401);
    const posted = await fetch(`${server.baseUrl}/sites/a.example.org/rollback`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-admin-token-0123456789' },
      redirect: 'manual',
    });
    expect(posted.status).toBe(303);
    const rollback = (await server.services.tasks.recent('a.example.org', 1))[0]!;
    expect(rollback).toMatchObject({ type: 'rollback', state: 'queued' });
    expect(posted.headers.get('location')).toMatch(new RegExp(`^/tasks/${rollback.number}\\?note=`));
    expect((await page(posted.headers.get('location')!)).text).toContain('role="status">Rolling a.example.org back to social-12.3.3 (task #');
    const [entry] = (await server.services.audit.list({ action: ['site.rollback'] }, { limit: 1 })).items;
    expect(entry).toMatchObject({ actorId: 'admin', source: 'page', subject: { name: 'a.example.org' } });

    const again = await fetch(`${server.baseUrl}/sites/a.example.org/rollback`, { method: 'POST', headers: { authorization: 'Bearer test-admin-token-0123456789' } });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain(`a.example.org has a rollback queued (task #${rollback.number})`);
    // Once it is not possible, the confirmation step says why instead of asking.
    const notNow = await page('/sites/a.example.org/rollback');
    expect(notNow.status).toBe(409);
    expect(notNow.text).toContain(`a.example.org has a rollback queued (task #${rollback.number})`);
  });
});
