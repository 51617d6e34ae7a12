/**
 * The pages' actions over real HTTP as a signed-in admin: confirm steps of destructive actions, inline field
 * errors with the input kept, "Test upstream" failing with the checker's sentence, and the
 * refusals (409/422) rendered as sentences rather than 500s.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ADMIN_TOKEN, api } from '../support/http.js';
import { startProduct, type ProductServer } from '../support/product-server.js';
import { adminUsersEnv, PASSWORDS, SessionClient } from '../support/sign-in.js';

let product: ProductServer;
let alice: SessionClient;
const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };
const COMMIT = 'a'.repeat(40);

beforeAll(async () => {
  // ALLOW_LOCAL_UPSTREAMS stays off: a file:// upstream is refused, as in production.
  product = await startProduct({ ADMIN_TOKEN, ADMIN_USERS: await adminUsersEnv() });
  alice = new SessionClient(product.url);
  await alice.login('alice', PASSWORDS.alice);
});
afterAll(() => product.stop());

const decode = (text: string) => text.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&');

describe('page actions', () => {
  test('the empty dashboard says what to do, truthfully for the role', async () => {
    const home = await alice.get('/');
    expect(home.text).toContain('No distributions yet. Create one with the button above, or with POST /api/distributions (see GET /api).');
    expect(home.text).toContain('href="/new-distribution"');
  });

  test('a distribution form with mistakes comes back with each problem next to its field and the input kept', async () => {
    const res = await alice.submit('/new-distribution', '/new-distribution', {
      slug: 'ok-slug',
      title: '',
      kind: 'git',
      'upstream.url': 'ftp://example.org/repo.git',
      'upstream.manifestPath': 'composer.lock',
      'policy.pollIntervalMinutes': 'often',
    });
    expect(res.status).toBe(400);
    const page = decode(res.text);
    expect(page).toMatch(/id="f-title"[^>]*aria-invalid="true"/);
    expect(page).toMatch(/<strong class="error" id="f-policy-pollIntervalMinutes-error">[^<]+<\/strong>/);
    expect(page).toContain('value="ok-slug"');
    expect(page).toContain('value="ftp://example.org/repo.git"');
    expect(page).toContain('value="often"');
    expect((await api(product.url, 'GET', '/api/distributions/ok-slug', undefined, bearer)).status).toBe(404);
  });

  test('"Test upstream" shows the checker’s refusal inline and saves nothing', async () => {
    const res = await alice.submit('/new-distribution', '/new-distribution', {
      intent: 'test',
      slug: 'local',
      title: 'Local',
      kind: 'git',
      'upstream.url': 'file:///srv/repo.git',
      'upstream.manifestPath': 'composer.lock',
    });
    expect(res.status).toBe(200);
    expect(decode(res.text)).toMatch(/<p id="upstream-test" role="status" class="alert">Upstream check failed: upstream\.url: [^<]*ALLOW_LOCAL_UPSTREAMS/);
    expect((await api(product.url, 'GET', '/api/distributions/local', undefined, bearer)).status).toBe(404);
  });

  test('edit, then delete through the confirmation page; a distribution with platforms is refused with a sentence', async () => {
    await api(product.url, 'POST', '/api/distributions', { slug: 'edit-me', title: 'Edit me' }, bearer);
    const edited = await alice.submit('/distributions/edit-me/edit', '/distributions/edit-me/edit', { title: 'Edited', kind: 'none', 'policy.pollIntervalMinutes': '0' });
    expect(edited.status).toBe(303);
    expect((await alice.get('/distributions/edit-me')).text).toContain('<h1>Edited <code>edit-me</code></h1>');

    const confirm = await alice.get('/distributions/edit-me/delete');
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('<form method="post" action="/distributions/edit-me/delete"');
    expect((await api(product.url, 'GET', '/api/distributions/edit-me', undefined, bearer)).status).toBe(200);
    const deleted = await alice.submit('/distributions/edit-me/delete', '/distributions/edit-me/delete');
    expect(deleted.status).toBe(303);
    expect((await api(product.url, 'GET', '/api/distributions/edit-me', undefined, bearer)).status).toBe(404);

    await api(product.url, 'POST', '/api/distributions', { slug: 'kept', title: 'Kept' }, bearer);
    await api(product.url, 'POST', '/api/platforms', { name: 'kept-1', distribution: 'kept', ref: 'main', commit: COMMIT }, bearer);
    // Not offered while it has platforms: the button is disabled with the reason beside it.
    const keptPage = await alice.get('/distributions/kept');
    expect(keptPage.text).toContain('<button type="button" disabled aria-describedby="delete-why">Delete</button> <span class="reason" id="delete-why">It has 1 platform; delete them first.</span>');
    expect(keptPage.text).not.toContain('href="/distributions/kept/delete"');
    const refused = await alice.submit('/distributions/kept/delete', '/distributions/kept/delete');
    expect(refused.status).toBe(409);
    expect(decode(refused.text)).toContain('still has 1 platform; delete them first.');
  });

  test('a site on a hand-registered platform is refused with the reason (422), on the API and on the page', async () => {
    await api(product.url, 'POST', '/api/distributions', { slug: 'byhand', title: 'By hand' }, bearer);
    await api(product.url, 'POST', '/api/platforms', { name: 'byhand-1', distribution: 'byhand', ref: 'main', commit: COMMIT }, bearer);
    const viaApi = await api(product.url, 'POST', '/api/sites', { name: 'a.example.org', platform: 'byhand-1' }, bearer);
    expect(viaApi.status).toBe(422);
    expect(viaApi.body.error.message).toMatch(/has no files on this server \(it was registered by hand, not built here\)/);
    const viaPage = await alice.submit('/new-site?platform=byhand-1', '/new-site', { name: 'a.example.org', platform: 'byhand-1', modules: '' });
    expect(viaPage.status).toBe(422);
    expect(decode(viaPage.text)).toContain('<div class="alert" role="alert">Platform <code>byhand-1</code> has no files on this server');
    expect(viaPage.text).toContain('value="a.example.org"');
    expect((await api(product.url, 'GET', '/api/sites/a.example.org', undefined, bearer)).status).toBe(404);
  });

  test('a site is edited and deleted from its pages (delete through the confirmation page)', async () => {
    await api(product.url, 'POST', '/api/distributions', { slug: 'files', title: 'Files' }, bearer);
    await api(product.url, 'POST', '/api/platforms', { name: 'files-1', distribution: 'files', ref: 'main', commit: COMMIT }, bearer);
    // Built elsewhere: give it its directory here, so sites can be installed on it.
    await mkdir(join(product.app.config.dataDir, 'platforms', 'files-1', 'sites'), { recursive: true });
    const added = await alice.submit('/new-site?platform=files-1', '/new-site', { name: 'b.example.org', platform: 'files-1', modules: 'node, user' });
    expect(added.status).toBe(303);
    expect(added.headers.get('location')).toMatch(/^\/tasks\//);
    for (let i = 0; i < 100 && (await api(product.url, 'GET', '/api/sites/b.example.org', undefined, bearer)).body.status !== 'enabled'; i++) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const site = (await api(product.url, 'GET', '/api/sites/b.example.org', undefined, bearer)).body;
    expect([site.status, site.modules]).toEqual(['enabled', ['node', 'user']]);

    const badModules = await alice.submit('/sites/b.example.org/edit', '/sites/b.example.org/edit', { status: 'disabled', modules: 'Not-A-Module' });
    expect(badModules.status).toBe(400);
    expect(decode(badModules.text)).toMatch(/class="error" id="f-modules-error">a module machine name/);
    const edited = await alice.submit('/sites/b.example.org/edit', '/sites/b.example.org/edit', { status: 'disabled', modules: 'node' });
    expect(edited.status).toBe(303);
    expect((await api(product.url, 'GET', '/api/sites/b.example.org', undefined, bearer)).body).toMatchObject({ status: 'disabled', modules: ['node'] });

    const confirm = await alice.get('/sites/b.example.org/delete');
    expect(confirm.text).toContain('<button type="submit" class="danger">Delete site</button>');
    const deleted = await alice.submit('/sites/b.example.org/delete', '/sites/b.example.org/delete');
    expect(deleted.status).toBe(303);
    expect(deleted.headers.get('location')).toMatch(/^\/platforms\/files-1\?note=/);
    expect((await api(product.url, 'GET', '/api/sites/b.example.org', undefined, bearer)).status).toBe(404);
  });

  test('a platform is locked and unlocked, a site pinned, from their pages, with the reason and the signed-in user recorded', async () => {
    await api(product.url, 'POST', '/api/distributions', { slug: 'holds', title: 'Holds' }, bearer);
    await api(product.url, 'POST', '/api/platforms', { name: 'holds-1', distribution: 'holds', ref: 'main', commit: COMMIT }, bearer);
    const page = await alice.get('/platforms/holds-1');
    expect(page.text).toContain('<form method="post" action="/platforms/holds-1/lock" class="inline hold">');

    const empty = await alice.submit('/platforms/holds-1', '/platforms/holds-1/lock', { reason: '' });
    expect(empty.status).toBe(400);
    expect((await api(product.url, 'GET', '/api/platforms/holds-1', undefined, bearer)).body.lock).toBeNull();

    const locked = await alice.submit('/platforms/holds-1', '/platforms/holds-1/lock', { reason: 'security review' });
    expect(locked.status).toBe(303);
    // The redirect carries the result message, sealed for that page: it shows there once, escaped, as a status.
    const location = locked.headers.get('location')!;
    expect(location).toMatch(/^\/platforms\/holds-1\?note=[\w-]+\.\d+\.[\w-]+$/);
    expect((await alice.get(location)).text).toContain('<p class="ok-note" id="result-note" role="status">Locked holds-1.</p>');
    const note = new URL(location, product.url).searchParams.get('note')!;
    // Not on another page, not altered, not made up: those show nothing.
    expect((await alice.get(`/platforms/kept-1?note=${note}`)).text).not.toContain('id="result-note"');
    const [body, exp, sig] = note.split('.');
    const forged = Buffer.from('<script>alert(1)</script> Locked').toString('base64url');
    for (const bad of [`${forged}.${exp}.${sig}`, `${body}.${Number(exp) + 60}.${sig}`, `${body}.${exp}.${sig}x`, 'hello']) {
      const shown = await alice.get(`/platforms/holds-1?note=${encodeURIComponent(bad)}`);
      expect([shown.status, shown.text.includes('id="result-note"'), shown.text.includes('<script>alert')]).toEqual([200, false, false]);
    }
    const lock = (await api(product.url, 'GET', '/api/platforms/holds-1', undefined, bearer)).body.lock;
    expect(lock).toMatchObject({ reason: 'security review', by: { kind: 'user', id: 'alice', via: 'page' } });
    const after = await alice.get('/platforms/holds-1');
    expect(after.text).toContain('<em>security review</em>');
    expect(after.text).toContain('action="/platforms/holds-1/unlock"');
    // Without the session's CSRF token the form is refused and nothing changes.
    expect((await alice.request('POST', '/platforms/holds-1/unlock', {})).status).toBe(403);
    expect((await alice.submit('/platforms/holds-1', '/platforms/holds-1/unlock')).status).toBe(303);
    expect((await api(product.url, 'GET', '/api/platforms/holds-1', undefined, bearer)).body.lock).toBeNull();

    const audit = (await api(product.url, 'GET', '/api/audit?action=platform.lock,platform.unlock', undefined, bearer)).body.items as Array<{ action: string; source: string; actor: { id: string } }>;
    expect(audit.map((e) => [e.action, e.source, e.actor.id])).toEqual([
      ['platform.unlock', 'page', 'alice'],
      ['platform.lock', 'page', 'alice'],
    ]);
  });

  test('an invalid site name is shown next to the name field', async () => {
    const res = await alice.submit('/new-site', '/new-site', { name: 'not a host', platform: 'byhand-1', modules: 'node' });
    expect(res.status).toBe(400);
    expect(decode(res.text)).toMatch(/id="f-name-error">a host name such as/);
  });

  test('cancelling a task that does not exist is a 404 page, not a 500', async () => {
    const res = await alice.submit('/', '/tasks/999/cancel');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/html/);
  });

  test('the top navigation reaches Rollouts, Sites, Exposure and Audit; /sites pages and filters, /exposure lists', async () => {
    const home = await alice.get('/');
    for (const href of ['/rollouts', '/sites', '/exposure', '/audit']) expect(home.text).toContain(`<a href="${href}">`);
    await api(product.url, 'POST', '/api/distributions', { slug: 'lists', title: 'Lists' }, bearer);
    await api(product.url, 'POST', '/api/platforms', { name: 'lists-1', distribution: 'lists', ref: 'main', commit: COMMIT }, bearer);
    await mkdir(join(product.app.config.dataDir, 'platforms', 'lists-1', 'sites'), { recursive: true });
    for (const name of ['l1.example.org', 'l2.example.org', 'l3.example.org']) {
      expect((await alice.submit('/new-site?platform=lists-1', '/new-site', { name, platform: 'lists-1', modules: '' })).status).toBe(303);
    }
    const names = (text: string) => [...text.matchAll(/<td><a href="\/sites\/([^"]+)">/g)].map((m) => m[1]);
    const all = await alice.get('/sites?distribution=lists&platform=&status=&q=');
    expect(all.status).toBe(200);
    expect(names(all.text).sort()).toEqual(['l1.example.org', 'l2.example.org', 'l3.example.org']);
    expect(all.text).toContain('<option value="lists" selected>lists</option>');
    const first = await alice.get('/sites?distribution=lists&limit=2');
    expect(names(first.text)).toHaveLength(2);
    expect(decode(first.text)).toContain('1–2 of 3 · <a href="/sites?distribution=lists&limit=2&offset=2" rel="next">Next →</a>');
    const second = await alice.get('/sites?distribution=lists&limit=2&offset=2');
    expect([...names(first.text), ...names(second.text)].sort()).toEqual(['l1.example.org', 'l2.example.org', 'l3.example.org']);
    expect(names((await alice.get('/sites?platform=lists-1&q=l2')).text)).toEqual(['l2.example.org']);
    // Another distribution's sites are not listed under this one; a status filter narrows.
    expect(names((await alice.get('/sites?distribution=kept')).text)).toEqual([]);
    expect(names((await alice.get('/sites?distribution=lists&status=disabled')).text)).toEqual([]);
    const badStatus = await alice.get('/sites?status=sleeping');
    expect(badStatus.status).toBe(400);
    expect(decode(badStatus.text)).toContain('status');
    expect((await alice.get('/sites?distribution=nope')).status).toBe(404);

    const exposure = await alice.get('/exposure?distribution=lists');
    expect(exposure.status).toBe(200);
    expect(exposure.text).toContain('<h1>Security exposure</h1>');
    expect(exposure.text).toContain('No site runs a version covered by a security advisory.');
    expect((await alice.get('/exposure?limit=0')).status).toBe(400);
    expect((await alice.get('/rollouts')).status).toBe(200);
  });

  test('a hand-locked platform offers no "Add a site here" (it says why), and the 422 of adding one names the hand lock and its reason', async () => {
    await api(product.url, 'POST', '/api/distributions', { slug: 'frozen', title: 'Frozen' }, bearer);
    await api(product.url, 'POST', '/api/platforms', { name: 'frozen-1', distribution: 'frozen', ref: 'main', commit: COMMIT }, bearer);
    await mkdir(join(product.app.config.dataDir, 'platforms', 'frozen-1', 'sites'), { recursive: true });
    expect((await alice.get('/platforms/frozen-1')).text).toContain('<a class="button" href="/new-site?platform=frozen-1">Add a site here</a>');
    expect((await alice.submit('/platforms/frozen-1', '/platforms/frozen-1/lock', { reason: 'security review' })).status).toBe(303);
    const page = await alice.get('/platforms/frozen-1');
    expect(page.text).not.toContain('href="/new-site?platform=frozen-1"');
    expect(page.text).toContain('<button type="button" disabled aria-describedby="add-site-why">Add a site here</button> <span class="reason" id="add-site-why">Locked by hand: no new sites until it is unlocked.</span>');
    const refused = await alice.submit('/new-site?platform=frozen-1', '/new-site', { name: 'f.example.org', platform: 'frozen-1', modules: '' });
    expect(refused.status).toBe(422);
    expect(decode(refused.text)).toContain('Platform <code>frozen-1</code> is locked by hand by alice');
    expect(decode(refused.text)).toContain(': security review. No new sites until it is unlocked.');
    expect((await api(product.url, 'GET', '/api/sites/f.example.org', undefined, bearer)).status).toBe(404);
  });

  test('a platform is deleted from its page through the confirmation step (audited); the target or one with sites says why instead', async () => {
    await api(product.url, 'POST', '/api/distributions', { slug: 'plat', title: 'Plat' }, bearer);
    // Distinct commits: one distribution registers a commit once.
    for (const [name, commit] of [['plat-1', 'b'], ['plat-2', 'c']] as const) {
      expect((await api(product.url, 'POST', '/api/platforms', { name, distribution: 'plat', ref: 'main', commit: commit.repeat(40) }, bearer)).status).toBe(201);
    }
    await mkdir(join(product.app.config.dataDir, 'platforms', 'plat-1', 'sites'), { recursive: true });
    expect((await alice.submit('/new-site?platform=plat-1', '/new-site', { name: 'p.example.org', platform: 'plat-1', modules: '' })).status).toBe(303);
    expect((await api(product.url, 'PUT', '/api/distributions/plat/target', { platform: 'plat-2' }, bearer)).status).toBe(200);

    const target = await alice.get('/platforms/plat-2');
    expect(target.text).toContain('<span class="reason" id="delete-why">It is the upgrade target; choose another target first.</span>');
    expect(target.text).not.toContain('href="/platforms/plat-2/delete"');
    const hosting = await alice.get('/platforms/plat-1');
    expect(hosting.text).toContain('<span class="reason" id="delete-why">It hosts 1 site; migrate or delete them first.</span>');
    // Posted anyway (a stale page), the refusal is the service's sentence and nothing is deleted.
    const refused = await alice.submit('/platforms/plat-1', '/platforms/plat-1/delete');
    expect(refused.status).toBe(409);
    expect(decode(refused.text)).toContain('still hosts 1 site; migrate or delete them first.');

    expect((await api(product.url, 'POST', '/api/platforms', { name: 'plat-3', distribution: 'plat', ref: 'main', commit: 'd'.repeat(40) }, bearer)).status).toBe(201);
    const free = await alice.get('/platforms/plat-3');
    expect(free.text).toContain('<a class="button" href="/platforms/plat-3/delete">Delete</a>');
    const confirm = await alice.get('/platforms/plat-3/delete');
    expect(confirm.text).toContain('<form method="post" action="/platforms/plat-3/delete"');
    expect(confirm.text).toContain('<button type="submit" class="danger">Delete platform</button>');
    expect((await api(product.url, 'GET', '/api/platforms/plat-3', undefined, bearer)).status).toBe(200);
    // Without the CSRF token nothing happens; an operator may not (admins register and delete platforms).
    expect((await alice.request('POST', '/platforms/plat-3/delete', {})).status).toBe(403);
    const olivia = new SessionClient(product.url);
    await olivia.login('olivia', PASSWORDS.olivia);
    expect((await olivia.get('/platforms/plat-3')).text).not.toContain('/platforms/plat-3/delete');
    expect((await olivia.submit('/platforms/plat-3', '/platforms/plat-3/delete')).status).toBe(403);
    const deleted = await alice.submit('/platforms/plat-3/delete', '/platforms/plat-3/delete');
    expect(deleted.status).toBe(303);
    expect((await alice.get(deleted.headers.get('location')!)).text).toContain('role="status">Deleted plat-3.</p>');
    expect((await api(product.url, 'GET', '/api/platforms/plat-3', undefined, bearer)).status).toBe(404);
    const [entry] = (await api(product.url, 'GET', '/api/audit?action=platform.delete', undefined, bearer)).body.items as Array<{ source: string; actor: { id: string }; subject: { name: string } }>;
    expect([entry!.source, entry!.actor.id, entry!.subject.name]).toEqual(['page', 'alice', 'plat-3']);
  });
});
