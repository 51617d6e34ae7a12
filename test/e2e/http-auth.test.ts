/** Admin authentication, signed links, /healthz and the 500 mapping, over real HTTP. */
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { isLoopback } from '../../src/http/auth.js';
import { LinkSigner } from '../../src/services/link-signer.js';
import { ADMIN_TOKEN, api, basicAuth, NO_AUTH, pathOf, PUBLIC_URL, startHttpServer, TOKEN_AUTH, type HttpTestServer } from '../support/http.js';
import { seedOpenSocial, type Seeded } from '../support/seed.js';
import { LINK_SECRET } from '../support/services-harness.js';

describe('bearer token', () => {
  let server: HttpTestServer;
  beforeAll(async () => {
    server = await startHttpServer({ auth: TOKEN_AUTH });
  });
  afterAll(() => server.close());

  test('no token and a wrong token are 401 with a challenge; the right one passes', async () => {
    const none = await api(server.baseUrl, 'GET', '/api/distributions', undefined, {});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(none.body.error.code).toBe('unauthorized');
    const wrong = await api(server.baseUrl, 'GET', '/api/distributions', undefined, { authorization: `Bearer ${ADMIN_TOKEN}x` });
    expect(wrong.status).toBe(401);
    const basic = await api(server.baseUrl, 'GET', '/api/distributions', undefined, basicAuth('admin', ADMIN_TOKEN));
    expect(basic.status).toBe(401);
    expect((await api(server.baseUrl, 'GET', '/api/distributions')).status).toBe(200);
  });

  test('an unauthenticated body is not parsed: the 401 comes first', async () => {
    const res = await api(server.baseUrl, 'POST', '/api/distributions', '{not json', {});
    expect(res.status).toBe(401);
  });

  test('pages need the login too', async () => {
    const res = await fetch(`${server.baseUrl}/`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/html/);
    const ok = await fetch(`${server.baseUrl}/`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(ok.status).toBe(200);
  });
});

describe('basic auth', () => {
  let server: HttpTestServer;
  const auth = { token: ADMIN_TOKEN, user: 'alice', password: 'correct horse battery' };
  beforeAll(async () => {
    server = await startHttpServer({ auth });
    await api(server.baseUrl, 'POST', '/api/distributions', { slug: 'd', title: 'D' });
  });
  afterAll(() => server.close());

  test('the basic-auth user is the actor', async () => {
    const res = await api(
      server.baseUrl,
      'POST',
      '/api/platforms',
      { name: 'd-1', distribution: 'd', ref: 'main', commit: 'abcdef1' },
      // Basic credentials are ambient in a browser: a state change also needs a same-origin proof.
      { ...basicAuth('alice', 'correct horse battery'), origin: PUBLIC_URL },
    );
    expect(res.status).toBe(201);
    expect(res.body.createdBy).toEqual({ kind: 'user', id: 'alice', name: 'alice', via: 'api', requestId: res.headers.get('x-request-id') });
  });

  test('wrong user or password is 401 with a Basic challenge (so browsers prompt on pages)', async () => {
    for (const headers of [basicAuth('alice', 'wrong'), basicAuth('bob', 'correct horse battery'), { authorization: 'Basic !!!' }]) {
      const res = await fetch(`${server.baseUrl}/distributions/d`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="Distro"/);
    }
    const ok = await fetch(`${server.baseUrl}/distributions/d`, { headers: basicAuth('alice', 'correct horse battery') });
    expect(ok.status).toBe(200);
  });

  test('the token still works alongside basic auth', async () => {
    expect((await api(server.baseUrl, 'GET', '/api/distributions/d')).status).toBe(200);
  });
});

describe('no credentials configured (embedded development default)', () => {
  test('loopback clients are let in', async () => {
    const server = await startHttpServer({ auth: NO_AUTH });
    try {
      expect((await api(server.baseUrl, 'GET', '/api/distributions', undefined, {})).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && !i.internal && i.family === 'IPv4');
  (external ? test : test.skip)('clients on another address are refused with 403', async () => {
    const server = await startHttpServer({ auth: NO_AUTH, host: external!.address });
    try {
      const res = await api(server.baseUrl, 'GET', '/api/distributions', undefined, {});
      expect(res.status).toBe(403);
      expect(res.body.error.message).toMatch(/ADMIN_TOKEN/);
      expect((await fetch(`${server.baseUrl}/`)).status).toBe(403);
    } finally {
      await server.close();
    }
  });
  if (!external) console.log('notice: no non-loopback IPv4 interface; the remote-client refusal test is skipped');

  test('isLoopback', () => {
    for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) expect([a, isLoopback(a)]).toEqual([a, true]);
    for (const a of [undefined, '', '10.0.0.1', '::ffff:10.0.0.1', '1127.0.0.1', '::2', '127.0.0.1.evil']) expect([a, isLoopback(a)]).toEqual([a, false]);
  });
});

describe('signed links', () => {
  let server: HttpTestServer;
  let seeded: Seeded;
  let comparePath: string;
  beforeAll(async () => {
    server = await startHttpServer({ auth: TOKEN_AUTH });
    seeded = await seedOpenSocial(server.services, { versions: ['12.3.3', '12.4.2'], sites: { '12.3.3': ['old.example.org'] } });
    comparePath = pathOf(server.services.links.compareUrl(seeded.platforms['12.3.3']!.id, seeded.platforms['12.4.2']!.id));
  });
  afterAll(() => server.close());

  test('a valid signed compare link opens without a login', async () => {
    expect(server.services.links.compareUrl('a', 'b').startsWith(`${PUBLIC_URL}/compare/a/b?`)).toBe(true);
    const res = await fetch(server.baseUrl + comparePath);
    expect(res.status).toBe(200);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await res.text()).toContain('social-12.3.3');
  });

  test('the same page without a signature needs a login', async () => {
    const res = await fetch(server.baseUrl + comparePath.slice(0, comparePath.indexOf('?')));
    expect(res.status).toBe(401);
  });

  test('a tampered signature, or a signature for another path, is a 403 page saying so', async () => {
    const url = new URL(server.baseUrl + comparePath);
    const sig = url.searchParams.get('sig')!;
    url.searchParams.set('sig', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
    const tampered = await fetch(url);
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toMatch(/altered or is not valid/);

    const otherPath = new URL(server.baseUrl + comparePath);
    otherPath.pathname = `/compare/${seeded.platforms['12.4.2']!.id}/${seeded.platforms['12.3.3']!.id}`;
    const swapped = await fetch(otherPath);
    expect(swapped.status).toBe(403);

    const laterExp = new URL(server.baseUrl + comparePath);
    laterExp.searchParams.set('exp', String(Number(laterExp.searchParams.get('exp')) + 3600));
    expect((await fetch(laterExp)).status).toBe(403);
  });

  test('an expired link is a 403 page that says it expired', async () => {
    const hourAgo = new LinkSigner({ secret: LINK_SECRET, ttlMs: 60_000, publicUrl: PUBLIC_URL, now: () => Date.now() - 3_600_000 });
    const res = await fetch(server.baseUrl + pathOf(hourAgo.compareUrl(seeded.platforms['12.3.3']!.id, seeded.platforms['12.4.2']!.id)));
    expect(res.status).toBe(403);
    const body = await res.text();
    expect(body).toMatch(/Link expired/);
    expect(body).toMatch(/has expired/);
  });

  test('a signed task link opens the task; a different secret does not', async () => {
    const plan = await server.services.upgrades.propose({ kind: 'site', name: 'old.example.org' }, { kind: 'user', id: 'U1' });
    const { view } = await server.services.upgrades.confirm(plan.plan.id, { kind: 'user', id: 'U1' });
    const task = view.tasks[0]!;
    const res = await fetch(server.baseUrl + pathOf(server.services.links.taskUrl(task.id)));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`Task #${task.number}`);

    const forged = new LinkSigner({ secret: 'another-secret-0123456789abcdef', ttlMs: 60_000, publicUrl: PUBLIC_URL });
    expect((await fetch(server.baseUrl + pathOf(forged.taskUrl(task.id)))).status).toBe(403);
  });

  test('a signed link grants only its own page', async () => {
    const query = comparePath.slice(comparePath.indexOf('?'));
    expect((await fetch(`${server.baseUrl}/platforms/social-12.3.3${query}`)).status).toBe(401);
    expect((await fetch(`${server.baseUrl}/api/platforms${query}`)).status).toBe(401);
  });
});

describe('/healthz and internal errors', () => {
  test('ok while the database answers, 503 degraded once it is gone; no auth needed', async () => {
    const server = await startHttpServer({ auth: TOKEN_AUTH });
    try {
      const ok = await api(server.baseUrl, 'GET', '/healthz', undefined, {});
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ status: 'ok', database: { ok: true }, queue: { ok: true, started: false, running: 0 } });
      expect(typeof ok.body.uptime).toBe('number');

      await server.repos.close();
      const degraded = await api(server.baseUrl, 'GET', '/healthz', undefined, {});
      expect(degraded.status).toBe(503);
      // The embedded job queue lives in the same database: it is gone with it.
      expect(degraded.body).toMatchObject({ status: 'degraded', database: { ok: false }, queue: { ok: false } });
    } finally {
      await server.close();
    }
  });

  test('an unexpected error is a 500 that does not leak its message', async () => {
    const server = await startHttpServer({
      auth: TOKEN_AUTH,
      mount: (app) =>
        app.get('/boom', () => {
          throw new Error('mongodb://root:hunter2@db.internal');
        }),
    });
    try {
      const page = await fetch(`${server.baseUrl}/boom`);
      expect(page.status).toBe(500);
      const text = await page.text();
      expect(text).not.toContain('hunter2');
      expect(text).toContain('Internal error');
    } finally {
      await server.close();
    }
  });
});
