/**
 * Sign-in that can't be raced, flooded or used to lock someone out (issue 21, items 1 and 2): attempts are
 * counted in the store before the password check, checks are bounded (a fast 429 beyond), the account limit only
 * delays, the counts survive a restart, weak hashes are re-hashed at OWASP settings, and X-Forwarded-For counts
 * only behind TRUST_PROXY.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { loadConfig } from '../../src/config.js';
import { SessionManager } from '../../src/http/session/session-manager.js';
import { parseAdminUsers } from '../../src/lib/admin-users.js';
import { hashPassword, parsePasswordHash } from '../../src/lib/password-hash.js';
import { embeddedStore, type EmbeddedStore } from '../support/embedded.js';
import { SessionClient } from '../support/sign-in.js';
import { loginFrom, startOn, tempDir as makeTempDir, usersEnv } from './sign-in-app.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const tempDir = async (): Promise<string> => {
  const t = await makeTempDir();
  cleanups.push(t.remove);
  return t.dir;
};

describe('attempts are reserved before the check', () => {
  let store: EmbeddedStore;
  afterEach(() => store?.repos.close());

  test('30 concurrent guesses from one address, 29 wrong and the last right: 5 checked, none signs in', async () => {
    store = embeddedStore();
    const { users } = parseAdminUsers(await usersEnv({ alice: 'right-password' }));
    // Room for every guess at once, so only the throttle can stop them.
    const m = new SessionManager(store.repos, users, { secure: false, checks: { concurrency: 4, queue: 30 } });
    cleanups.push(() => m.close());
    const guesses = [...Array.from({ length: 29 }, (_, i) => `wrong-${i}`), 'right-password'];
    const results = await Promise.all(guesses.map((pw) => m.login('alice', pw, '203.0.113.7')));
    expect(results.filter((r) => r.ok)).toEqual([]);
    const reasons = results.map((r) => (r.ok ? 'ok' : r.reason));
    expect(reasons.filter((r) => r === 'wrong')).toHaveLength(5);
    expect(reasons.filter((r) => r === 'throttled')).toHaveLength(25);
    expect(m.checker.started).toBe(5);
  });

  test('two processes sharing the store share the counts', async () => {
    store = embeddedStore();
    const { users } = parseAdminUsers(await usersEnv({ alice: 'right-password' }));
    const a = new SessionManager(store.repos, users, { secure: false });
    const b = new SessionManager(store.repos, users, { secure: false });
    cleanups.push(() => a.close(), () => b.close());
    for (let i = 0; i < 5; i++) expect(await (i % 2 ? a : b).login('alice', 'wrong', '203.0.113.8')).toMatchObject({ reason: 'wrong' });
    expect(await a.login('alice', 'right-password', '203.0.113.8')).toMatchObject({ ok: false, reason: 'throttled' });
    expect(await b.login('alice', 'right-password', '203.0.113.8')).toMatchObject({ ok: false, reason: 'throttled' });
  });
});

describe('on the HTTP surface', () => {
  test('beyond the checks at once and the few waiting, sign-ins get a 429 with Retry-After at once, without a check', async () => {
    const dir = await tempDir();
    // A real-cost hash (N=2^17): unknown names are checked against a dummy of the same cost, so each check is slow.
    const strong = `alice:operator:${await hashPassword('right-password')}`;
    const app = await startOn(dir, { ADMIN_USERS: strong, TRUST_PROXY: 'loopback' });
    cleanups.push(() => app.stop());
    const timed = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const t0 = performance.now();
        const r = await loginFrom(app.url!, `198.51.100.${i + 1}`, `nobody${i}`, 'x');
        return { ...r, ms: performance.now() - t0 };
      }),
    );
    expect(timed.every((r) => r.status === 401 || r.status === 429)).toBe(true);
    const busy = timed.filter((r) => r.status === 429);
    const checked = timed.filter((r) => r.status === 401);
    expect(busy.length).toBeGreaterThanOrEqual(20);
    for (const r of busy) {
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(r.text).toContain('Too many sign-ins at once');
    }
    // Refused without a check: every busy answer came back before the first check had finished.
    const fastestCheck = Math.min(...checked.map((r) => r.ms));
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    expect(median(busy.map((r) => r.ms))).toBeLessThan(fastestCheck);
  });

  test('in process: one check at once, four waiting, the rest refused at once', async () => {
    const store = embeddedStore();
    cleanups.push(() => store.repos.close());
    const { users } = parseAdminUsers(await usersEnv({ alice: 'right-password' }));
    const m = new SessionManager(store.repos, users, { secure: false });
    cleanups.push(() => m.close());
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => m.login(`nobody${i}`, 'x', `198.51.100.${i}`)));
    expect(results.filter((r) => !r.ok && r.reason === 'busy')).toHaveLength(35);
    expect(results.filter((r) => !r.ok && r.reason === 'wrong')).toHaveLength(5);
    expect(m.checker.peak).toEqual({ active: 1, waiting: 4 });
  });

  test('5 (or 30) wrong guesses from other addresses do not lock the user out: the account only waits a short, capped delay', async () => {
    const dir = await tempDir();
    const app = await startOn(dir, { ADMIN_USERS: await usersEnv({ olivia: 'olivia-password' }), TRUST_PROXY: 'loopback' });
    cleanups.push(() => app.stop());
    for (let i = 0; i < 5; i++) expect((await loginFrom(app.url!, `192.0.2.${i + 1}`, 'olivia', 'guess')).status).toBe(401);
    let res = await loginFrom(app.url!, '198.51.100.200', 'olivia', 'olivia-password');
    if (res.status === 429) {
      const wait = Number(res.headers.get('retry-after'));
      // After 5 failures the account waits 1 s, never the 15 min the old lock imposed.
      expect(wait).toBeLessThanOrEqual(1);
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
      res = await loginFrom(app.url!, '198.51.100.200', 'olivia', 'olivia-password');
    }
    expect(res.status).toBe(303);
    // Hammering it further from many addresses stretches the delay, capped at 30 s.
    let maxWait = 0;
    for (let i = 0; i < 30; i++) {
      const r = await loginFrom(app.url!, `192.0.2.${50 + i}`, 'olivia', 'guess');
      if (r.status === 429) maxWait = Math.max(maxWait, Number(r.headers.get('retry-after')));
    }
    expect(maxWait).toBeGreaterThan(0);
    expect(maxWait).toBeLessThanOrEqual(30);
  });

  test('a browser that signed in before (device cookie) is not held to the account delay; a forged one is', async () => {
    const dir = await tempDir();
    const app = await startOn(dir, { ADMIN_USERS: await usersEnv({ olivia: 'olivia-password' }), TRUST_PROXY: 'loopback' });
    cleanups.push(() => app.stop());
    const browser = new SessionClient(app.url!);
    expect((await browser.request('POST', '/login', { user: 'olivia', password: 'olivia-password' }, { 'x-forwarded-for': '203.0.113.5' })).status).toBe(303);
    expect(browser.device).toMatch(/^distro_device=[A-Za-z0-9_-]+\.\d+\.[A-Za-z0-9_-]+$/);
    // Guesses at olivia from elsewhere put the account behind a delay ...
    for (let i = 0; i < 8; i++) await loginFrom(app.url!, `192.0.2.${i + 1}`, 'olivia', 'guess');
    const forged = new SessionClient(app.url!);
    forged.device = browser.device.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await forged.request('POST', '/login', { user: 'olivia', password: 'olivia-password' }, { 'x-forwarded-for': '203.0.113.6' })).status).toBe(429);
    // ... which her own browser does not wait for.
    expect((await browser.request('POST', '/login', { user: 'olivia', password: 'olivia-password' }, { 'x-forwarded-for': '203.0.113.5' })).status).toBe(303);
  });

  test('one address guessing at many accounts is stopped after 30 attempts', async () => {
    const dir = await tempDir();
    const app = await startOn(dir, { ADMIN_USERS: await usersEnv({ alice: 'right-password' }), TRUST_PROXY: 'loopback' });
    cleanups.push(() => app.stop());
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) statuses.push((await loginFrom(app.url!, '192.0.2.99', `user${i}`, 'guess')).status);
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses[30]).toBe(429);
    // Another address is not affected.
    expect((await loginFrom(app.url!, '192.0.2.100', 'alice', 'right-password')).status).toBe(303);
  });

  test('the throttle survives a restart (it is in the store)', async () => {
    const dir = await tempDir();
    const env = { ADMIN_USERS: await usersEnv({ alice: 'right-password' }) };
    const first = await startOn(dir, env);
    for (let i = 0; i < 5; i++) expect((await loginFrom(first.url!, null, 'alice', 'wrong')).status).toBe(401);
    await first.stop();
    const second = await startOn(dir, env);
    cleanups.push(() => second.stop());
    const res = await loginFrom(second.url!, null, 'alice', 'right-password');
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(60);
  });

  test('without TRUST_PROXY a forged X-Forwarded-For changes nothing; with it, the client behind the proxy counts', async () => {
    const dir = await tempDir();
    const users = await usersEnv({ alice: 'right-password' });
    const direct = await startOn(dir, { ADMIN_USERS: users });
    for (let i = 0; i < 5; i++) expect((await loginFrom(direct.url!, `192.0.2.${i + 1}`, 'alice', 'wrong')).status).toBe(401);
    // Every attempt came from 127.0.0.1 whatever the header said: that pair is locked.
    expect((await loginFrom(direct.url!, '192.0.2.77', 'alice', 'right-password')).status).toBe(429);
    await direct.stop();

    const proxied = await startOn(await tempDir(), { ADMIN_USERS: users, TRUST_PROXY: '1' });
    cleanups.push(() => proxied.stop());
    for (let i = 0; i < 5; i++) expect((await loginFrom(proxied.url!, '192.0.2.1', 'alice', 'wrong')).status).toBe(401);
    expect((await loginFrom(proxied.url!, '192.0.2.1', 'alice', 'right-password')).status).toBe(429);
    // The same user from another client behind the proxy: only the account's short delay applies.
    let res = await loginFrom(proxied.url!, '192.0.2.2', 'alice', 'right-password');
    if (res.status === 429) {
      await new Promise((resolve) => setTimeout(resolve, Number(res.headers.get('retry-after')) * 1000));
      res = await loginFrom(proxied.url!, '192.0.2.2', 'alice', 'right-password');
    }
    expect(res.status).toBe(303);
  });

  test('TRUST_PROXY is validated at start: hop counts, addresses, ranges and Express names; never `true`', () => {
    const base = { ADVISORY_FEED_URL: 'off' };
    expect(loadConfig({ ...base, TRUST_PROXY: '2' }).http.trustProxy).toBe(2);
    expect(loadConfig({ ...base, TRUST_PROXY: '10.0.0.0/8, loopback,::1' }).http.trustProxy).toEqual(['10.0.0.0/8', 'loopback', '::1']);
    expect(loadConfig(base).http.trustProxy).toBe(false);
    expect(() => loadConfig({ ...base, TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY: true would trust/);
    expect(() => loadConfig({ ...base, TRUST_PROXY: 'proxy.example' })).toThrow(/TRUST_PROXY: `proxy.example` is not/);
    expect(() => loadConfig({ ...base, TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TRUST_PROXY/);
  });
});

describe('password hashing', () => {
  test('a hash below OWASP settings is re-hashed (scrypt N=2^17) at the next sign-in and used from then on, while the entry stays', async () => {
    const dir = await tempDir();
    const env = { ADMIN_USERS: await usersEnv({ alice: 'right-password' }) };
    const app = await startOn(dir, env);
    cleanups.push(() => app.stop());
    expect(await app.repos.signIns.getRehash('alice')).toBeNull();
    expect((await loginFrom(app.url!, null, 'alice', 'right-password')).status).toBe(303);
    const rehash = await app.repos.signIns.getRehash('alice');
    const parsed = parsePasswordHash(rehash!.hash);
    expect(parsed.N).toBe(131072);
    expect(rehash!.source).toBe(app.config.admin.users[0]!.hashDigest);
    expect((await loginFrom(app.url!, null, 'alice', 'right-password')).status).toBe(303);
    expect((await loginFrom(app.url!, null, 'alice', 'wrong')).status).toBe(401);
  });

  test('new hashes use N=2^17, r=8, p=1', async () => {
    const parsed = parsePasswordHash(await hashPassword('pw'));
    expect({ N: parsed.N, r: parsed.r, p: parsed.p }).toEqual({ N: 131072, r: 8, p: 1 });
  });
});
