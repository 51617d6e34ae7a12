/** Server-rendered pages over real HTTP (no JavaScript): content, escaping, headers, error pages. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { ADMIN_TOKEN, api, startHttpServer, type HttpTestServer } from '../support/http.js';
import { seedOpenSocial, type Seeded } from '../support/seed.js';

let server: HttpTestServer;
let seeded: Seeded;

const page = async (path: string): Promise<{ status: number; headers: Headers; text: string }> => {
  const res = await fetch(server.baseUrl + path, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return { status: res.status, headers: res.headers, text: await res.text() };
};

/** Text content of the elements matching a simple attribute, in document order. */
const attrValues = (htmlText: string, attr: string): string[] => [...htmlText.matchAll(new RegExp(`${attr}="([^"]*)"`, 'g'))].map((m) => m[1]!);

beforeAll(async () => {
  server = await startHttpServer();
  seeded = await seedOpenSocial(server.services, { sites: { '12.3.3': ['old.example.org'], '12.4.1': ['mid.example.org'] } });
});
afterAll(() => server.close());

describe('pages', () => {
  test('dashboard lists distributions with target and outdated count, and sends a strict CSP', async () => {
    const { status, headers, text } = await page('/');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/text\/html/);
    expect(headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(headers.get('content-security-policy')).not.toMatch(/unsafe-inline/);
    expect(text).toContain('Open Social 12');
    expect(text).toContain('href="/platforms/social-12.4.2"');
    const at = text.indexOf('href="/distributions/social"', text.indexOf('id="distributions"'));
    const row = text.slice(at, text.indexOf('</tr>', at));
    expect(row).toMatch(/b-downgrade">2</);
  });

  test('user-supplied text is escaped everywhere', async () => {
    const evil = '<script>alert(1)</script>"\'&';
    expect((await api(server.baseUrl, 'POST', '/api/distributions', { slug: 'evil', title: evil, description: evil })).status).toBe(201);
    for (const path of ['/', '/distributions/evil']) {
      const { text } = await page(path);
      expect(text).not.toContain('<script>alert(1)');
      expect(text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;');
    }
    expect((await api(server.baseUrl, 'DELETE', '/api/distributions/evil')).status).toBe(204);
  });

  test('distribution page shows platforms, the target, and outdated sites with compare links', async () => {
    const { status, text } = await page('/distributions/social');
    expect(status).toBe(200);
    expect(text).toContain('href="/compare/social-12.3.3/social-12.4.2"');
    expect(text).toContain('href="/sites/old.example.org"');
    expect(text).toMatch(/b-target/);
  });

  test('platform page lists its sites and packages', async () => {
    const { text } = await page('/platforms/social-12.3.3');
    expect(text).toContain('old.example.org');
    expect(text).toContain(seeded.platforms['12.3.3']!.source.commit);
    expect(text).toContain(`${seeded.platforms['12.3.3']!.manifest.packages.length} packages`);
    expect(text).toContain('Compare with the target social-12.4.2');
  });

  test('site page offers the upgrade compare for that site', async () => {
    const { text } = await page('/sites/old.example.org');
    expect(text).toContain('href="/compare/social-12.3.3/social-12.4.2?site=old.example.org"');
  });

  test('task page shows the log with timestamps and refreshes only while the task is active', async () => {
    const view = await server.services.upgrades.propose({ kind: 'site', name: 'mid.example.org' }, { kind: 'user', id: 'U1' });
    const task = (await server.services.upgrades.confirm(view.plan.id, { kind: 'user', id: 'U1' })).view.tasks[0]!;
    await server.repos.tasks.appendLog(task.id, [{ at: new Date('2026-01-02T03:04:05Z'), level: 'warn', message: 'backing up <db>' }]);

    const active = await page(`/tasks/${task.number}`);
    expect(active.status).toBe(200);
    expect(active.text).toMatch(/<meta http-equiv="refresh" content="\d+">/);
    expect(active.text).toContain('<time datetime="2026-01-02T03:04:05.000Z">2026-01-02 03:04:05 UTC</time>backing up &lt;db&gt;');
    expect(active.text).toContain('social-12.4.1');

    await server.services.tasks.cancel(task.id, { kind: 'user', id: 'U1' });
    const done = await page(`/tasks/${task.id}`);
    expect(done.text).not.toMatch(/http-equiv="refresh"/);
    expect(done.text).toMatch(/b-cancelled/);
  });

  test('the upgrade page (where Slack\'s "…and N more" leads) lists every site, failures first, from a signed link', async () => {
    const view = await server.services.upgrades.propose({ kind: 'site', name: 'old.example.org' }, { kind: 'user', id: 'U1' });
    const [task] = (await server.services.upgrades.confirm(view.plan.id, { kind: 'user', id: 'U1' })).view.tasks;
    await server.repos.tasks.transition(task!.id, ['queued'], 'processing', {});
    await server.repos.tasks.transition(task!.id, ['processing'], 'failed', { error: 'tar: x: Cannot open\ntar: Exiting with failure status' });
    const signed = new URL(server.services.links.planUrl(view.plan.id));
    const res = await fetch(server.baseUrl + signed.pathname + signed.search); // no login: the signature is the key
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('href="/sites/old.example.org"');
    expect(text).toContain(`href="/tasks/${task!.id}">#${task!.number}</a>`);
    expect(text).toContain('tar: x: Cannot open');
    expect(text).not.toContain('Exiting with failure status');
    expect((await fetch(`${server.baseUrl}/upgrades/${view.plan.id}`)).status).toBe(401);
    const dist = new URL(server.services.links.distributionUrl('social'));
    expect((await fetch(server.baseUrl + dist.pathname + dist.search)).status).toBe(200);
  });

  test('a failed migration leads the dashboard until a newer task of that site succeeds; running tasks are listed once', async () => {
    const view = await server.services.upgrades.propose({ kind: 'site', name: 'mid.example.org' }, { kind: 'user', id: 'U1' });
    const [first] = (await server.services.upgrades.confirm(view.plan.id, { kind: 'user', id: 'U1' })).view.tasks;
    await server.repos.tasks.transition(first!.id, ['queued'], 'processing', {});
    await server.repos.tasks.transition(first!.id, ['processing'], 'failed', { error: 'drush: updb failed' });
    const attention = async () => (await page('/')).text.split('<h2>')[1]!;
    expect(await attention()).toContain(`href="/tasks/${first!.id}">#${first!.number}</a>`);
    expect(await attention()).toContain('drush: updb failed');

    // Retried: a newer migrate task of the same site, running, then succeeded.
    const retry = await server.repos.tasks.create({ type: 'migrate', subject: first!.subject, requestedBy: { kind: 'user', id: 'U1' } });
    await server.repos.tasks.transition(retry.id, ['queued'], 'processing', {});
    const dashboard = (await page('/')).text;
    const section = (id: string) => dashboard.slice(dashboard.indexOf(`id="${id}"`), dashboard.indexOf('</table>', dashboard.indexOf(`id="${id}"`)));
    expect(section('running-tasks').split(`#${retry.number}</a>`)).toHaveLength(2);
    expect(section('recent-tasks')).not.toContain(`#${retry.number}</a>`);
    await server.repos.tasks.transition(retry.id, ['processing'], 'succeeded', {});
    expect(await attention()).not.toContain(`#${first!.number}</a>`);
    expect(await attention()).not.toContain('drush: updb failed');
  });

  test('an active task page reloads itself without JavaScript (noscript refresh) and carries the live script allowed by the CSP', async () => {
    const task = await server.repos.tasks.create({ type: 'install', subject: { kind: 'site', id: 'x', name: 'x.example.org' }, requestedBy: { kind: 'user', id: 'U1' } });
    const { text, headers } = await page(`/tasks/${task.number}`);
    expect(text).toMatch(/<noscript><meta http-equiv="refresh" content="\d+"><\/noscript>/);
    expect(text).toMatch(/<body data-refresh="\d+">/);
    const script = /<script>([\s\S]*?)<\/script>/.exec(text)![1]!;
    const hash = `'sha256-${createHash('sha256').update(script).digest('base64')}'`;
    expect(headers.get('content-security-policy')).toContain(hash);
    expect(headers.get('content-security-policy')).toContain("connect-src 'self'");
  });

  test('the CSV exports need the admin login', async () => {
    expect((await fetch(`${server.baseUrl}/sites.csv`)).status).toBe(401);
    expect((await fetch(`${server.baseUrl}/tasks.csv`)).status).toBe(401);
    expect((await fetch(`${server.baseUrl}/compare/social-12.3.3/social-12.4.2?format=csv`)).status).toBe(401);
    const sites = await page('/sites.csv');
    expect(sites.status).toBe(200);
    expect(sites.text.split('\r\n')[0]).toBe('site,status,platform,modules,created_at,on_platform_since');
  });

  test('unknown things are HTML 404 pages with a suggestion', async () => {
    const platform = await page('/platforms/social-12.4.22');
    expect(platform.status).toBe(404);
    expect(platform.headers.get('content-type')).toMatch(/html/);
    expect(platform.text).toContain('Did you mean <code>social-12.4.2</code>?');
    expect((await page('/no/such/page')).status).toBe(404);
    expect((await page('/tasks/abc')).status).toBe(400);
  });
});

describe('compare page without JavaScript', () => {
  test('every package is a row, security rows first, and the file diff is rendered', async () => {
    const api12 = await api(server.baseUrl, 'GET', '/api/compare?from=social-12.3.3&to=social-12.4.2');
    const { status, text } = await page('/compare/social-12.3.3/social-12.4.2');
    expect(status).toBe(200);
    const names = attrValues(text, 'data-name');
    expect(names).toEqual(api12.body.packages.map((p: { name: string }) => p.name.toLowerCase()));
    // Nothing is hidden server-side: the filter controls are hidden until the script shows them.
    expect(text).not.toMatch(/<tr[^>]*hidden/);
    expect(text).toMatch(/<div class="controls" id="compare-controls" hidden>/);

    const security = api12.body.packages.filter((p: { security?: unknown }) => p.security).length;
    expect(security).toBeGreaterThan(0);
    const classes = [...text.matchAll(/<tr class="([^"]*)" data-index/g)].map((m) => m[1]!);
    expect(classes.slice(0, security).every((c) => c.startsWith('sec'))).toBe(true);
    expect(classes.slice(security).some((c) => c.startsWith('sec'))).toBe(false);

    expect(text).toContain('<code>composer.json</code>');
    expect(text).toMatch(/<span class="del">-\s+&quot;goalgorilla\/open_social&quot;: &quot;~12.3.0&quot;,<\/span>/);
    expect(text).toMatch(/<span class="add">\+\s+&quot;goalgorilla\/open_social&quot;: &quot;~12.4.0&quot;,<\/span>/);
    expect(text).toContain(`<b>${api12.body.counts.upgrade}</b><span>upgrades</span>`);
  });

  test('?site= accounts for the site and links back to it; an unknown site is a 404', async () => {
    const { text } = await page('/compare/social-12.3.3/social-12.4.2?site=old.example.org');
    expect(text).toContain('href="/sites/old.example.org"');
    const missing = await page('/compare/social-12.3.3/social-12.4.2?site=nobody.example.org');
    expect(missing.status).toBe(404);
  });
});
