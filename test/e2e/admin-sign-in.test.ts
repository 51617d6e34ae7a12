/**
 * Sign-in of ADMIN_USERS users on the product as composed by src/app.ts (config parsing included): sessions,
 * CSRF, roles from the one table, logout, throttling, the actor recorded, and the bearer token still working.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { API_ACTIONS } from '../../src/http/api/api-index.js';
import { ADMIN_TOKEN, api } from '../support/http.js';
import { startProduct, type ProductServer } from '../support/product-server.js';
import { adminUsersEnv, csrfOf, PASSWORDS, SessionClient } from '../support/sign-in.js';

let product: ProductServer;
const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };

beforeAll(async () => {
  product = await startProduct({ ADMIN_TOKEN, ADMIN_USERS: await adminUsersEnv() });
});
afterAll(() => product.stop());

describe('signing in', () => {
  test('pages send a visitor to the login page; the API answers 401 naming the ways in', async () => {
    const res = await new SessionClient(product.url).get('/sites/x?y=1');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?next=%2Fsites%2Fx%3Fy%3D1');
    const login = await new SessionClient(product.url).get('/login');
    expect(login.status).toBe(200);
    expect(login.text).toContain('name="password"');
    const apiRes = await api(product.url, 'GET', '/api/distributions', undefined, {});
    expect(apiRes.status).toBe(401);
    expect(apiRes.body.error.message).toMatch(/sign in at \/login/);
  });

  test('a right password opens a session with a fresh HttpOnly SameSite cookie; a wrong one does not', async () => {
    const client = new SessionClient(product.url);
    const wrong = await client.login('alice', 'nope');
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('Wrong user name or password.');
    expect(wrong.text).toContain('value="alice"');
    expect(client.cookie).toBe('');
    const unknown = await client.login('mallory', 'whatever');
    expect(unknown.status).toBe(401);

    const ok = await client.request('POST', '/login', { user: 'alice', password: PASSWORDS.alice, next: '/sites/x' });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/sites/x');
    expect(ok.headers.getSetCookie()[0]).toMatch(/^distro_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
    const first = client.cookie;
    const home = await client.get('/');
    expect(home.status).toBe(200);
    expect(home.text).toContain('Signed in as <strong>alice</strong> (admin)');
    // A new sign-in (even from a browser holding a planted cookie) gets a new session id.
    await client.login('alice', PASSWORDS.alice);
    expect(client.cookie).not.toBe(first);
  });

  test('`next` only leads to a path on this site', async () => {
    const client = new SessionClient(product.url);
    for (const next of ['//evil.test/x', 'https://evil.test/', '/\\evil.test']) {
      const res = await client.request('POST', '/login', { user: 'alice', password: PASSWORDS.alice, next });
      expect(res.headers.get('location')).toBe('/');
    }
  });

  test('the login form is refused from another site (login CSRF)', async () => {
    const res = await new SessionClient(product.url).request('POST', '/login', { user: 'alice', password: PASSWORDS.alice }, { origin: 'https://evil.test' });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  test('repeated failures for one user and address are throttled (429), even with the right password', async () => {
    const client = new SessionClient(product.url);
    for (let i = 0; i < 5; i++) expect((await client.login('tess', 'wrong')).status).toBe(401);
    const blocked = await client.login('tess', PASSWORDS.tess);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Other users are not affected.
    expect((await client.login('olivia', PASSWORDS.olivia)).status).toBe(303);
  });

  test('logout ends the session on the server: the old cookie no longer works', async () => {
    const client = new SessionClient(product.url);
    await client.login('alice', PASSWORDS.alice);
    const stolen = client.cookie;
    const out = await client.submit('/', '/logout');
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    const replay = await fetch(`${product.url}/`, { headers: { cookie: stolen }, redirect: 'manual' });
    expect(replay.status).toBe(303);
    expect(replay.headers.get('location')).toMatch(/^\/login/);
  });
});

describe('CSRF and roles', () => {
  test('a session state change without the synchronizer token is refused; with it, it goes through', async () => {
    const client = new SessionClient(product.url);
    await client.login('alice', PASSWORDS.alice);
    const form = { slug: 'csrf-test', title: 'CSRF test', kind: 'none', 'policy.pollIntervalMinutes': '0' };
    const missing = await client.request('POST', '/new-distribution', form);
    expect(missing.status).toBe(403);
    expect(missing.text).toContain('CSRF token');
    const wrong = await client.request('POST', '/new-distribution', { ...form, _csrf: 'x'.repeat(43) });
    expect(wrong.status).toBe(403);
    const apiNoToken = await api(product.url, 'POST', '/api/distributions', { slug: 'csrf-api', title: 'X' }, { cookie: client.cookie, origin: product.url });
    expect(apiNoToken.status).toBe(403);
    const ok = await client.submit('/new-distribution', '/new-distribution', form);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toMatch(/^\/distributions\/csrf-test\?note=/);
    const page = await client.get('/new-distribution');
    const apiWithToken = await api(product.url, 'POST', '/api/distributions', { slug: 'csrf-api', title: 'X' }, { cookie: client.cookie, origin: product.url, 'x-csrf-token': csrfOf(page.text) });
    expect(apiWithToken.status).toBe(201);
  });

  test('the bearer token still works for scripts, with no CSRF token or Origin', async () => {
    const res = await api(product.url, 'POST', '/api/distributions', { slug: 'scripted', title: 'Scripted' }, bearer);
    expect(res.status).toBe(201);
  });

  test('a viewer reads but changes nothing: 403 naming the role needed, on pages and on the API', async () => {
    const viewer = new SessionClient(product.url);
    expect((await viewer.login('victor', PASSWORDS.victor)).status).toBe(303);
    const home = await viewer.get('/');
    expect(home.status).toBe(200);
    expect(home.text).toContain('Signed in as <strong>victor</strong> (viewer)');
    expect(home.text).not.toContain('New distribution');
    const dist = await viewer.get('/distributions/scripted');
    expect(dist.status).toBe(200);
    expect(dist.text).not.toMatch(/Poll now|Edit<|Delete</);
    const token = csrfOf(home.text);
    expect(token).not.toBe('');
    const page = await viewer.request('POST', '/distributions/scripted/delete', { _csrf: token });
    expect(page.status).toBe(403);
    expect(page.text).toContain('This needs the admin role; you are signed in as viewer.');
    const cancel = await api(product.url, 'POST', '/api/tasks/1/cancel', undefined, { cookie: viewer.cookie, origin: product.url, 'x-csrf-token': token });
    expect(cancel.status).toBe(403);
    expect(cancel.body.error.message).toBe('This needs the operator role; you are signed in as viewer.');
    expect((await api(product.url, 'GET', '/api/distributions', undefined, { cookie: viewer.cookie })).status).toBe(200);
    expect((await api(product.url, 'GET', '/api/distributions/scripted', undefined, bearer)).status).toBe(200);
  });

  test('operators run the fleet but do not create distributions; admins do', async () => {
    const operator = new SessionClient(product.url);
    await operator.login('olivia', PASSWORDS.olivia);
    const home = await operator.get('/');
    expect(home.text).not.toContain('New distribution');
    const form = await operator.get('/new-distribution');
    expect(form.status).toBe(403);
    expect(form.text).toContain('This needs the admin role; you are signed in as operator.');
    const token = csrfOf(home.text);
    const apiRes = await api(product.url, 'POST', '/api/distributions', { slug: 'op', title: 'Op' }, { cookie: operator.cookie, origin: product.url, 'x-csrf-token': token });
    expect(apiRes.status).toBe(403);
    expect(apiRes.body.error).toEqual({ code: 'role_required', message: 'This needs the admin role; you are signed in as operator.' });
    // Operators may propose upgrades: the refusal is the service's (no target), not the role's.
    const propose = await api(product.url, 'POST', '/api/upgrades', { scope: { kind: 'distribution', slug: 'scripted' } }, { cookie: operator.cookie, origin: product.url, 'x-csrf-token': token });
    expect(propose.status).toBe(422);
  });
});

describe('the API index', () => {
  test('GET /api lists the endpoints the router has, with the role each needs; every state change has its action', async () => {
    const res = await api(product.url, 'GET', '/api', undefined, bearer);
    expect(res.status).toBe(200);
    const endpoints = res.body.endpoints as { method: string; path: string; role: string }[];
    const has = (method: string, path: string) => endpoints.find((e) => e.method === method && e.path === path);
    expect(has('POST', '/api/distributions')?.role).toBe('admin');
    expect(has('GET', '/api/upgrades')?.role).toBe('viewer');
    expect(has('POST', '/api/upgrades/:id/confirm')?.role).toBe('operator');
    expect(has('GET', '/api')).toBeDefined();
    const changes = endpoints.filter((e) => e.method !== 'GET').map((e) => `${e.method} ${e.path.slice('/api'.length)}`);
    expect(changes.sort()).toEqual(Object.keys(API_ACTIONS).sort());
  });

  test('GET /api/upgrades lists plans, filtered and paged', async () => {
    const res = await api(product.url, 'GET', '/api/upgrades?state=pending&limit=5', undefined, bearer);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [], total: 0, limit: 5, offset: 0 });
    expect((await api(product.url, 'GET', '/api/upgrades?state=nope', undefined, bearer)).status).toBe(400);
    expect((await api(product.url, 'GET', '/api/upgrades?limit=100000', undefined, bearer)).status).toBe(400);
  });
});
