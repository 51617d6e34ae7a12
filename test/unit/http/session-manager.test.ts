/** Session expiry, removal of users, and the throttle's bounded memory, on a clock the test moves. */
import { afterEach, describe, expect, test } from '@jest/globals';
import type { Request, Response } from 'express';
import { ABSOLUTE_MS, IDLE_MS, SessionManager } from '../../../src/http/session/session-manager.js';
import { LoginThrottle } from '../../../src/http/session/login-throttle.js';
import { parseAdminUsers } from '../../../src/lib/admin-users.js';
import { hashPassword } from '../../../src/lib/password-hash.js';
import { embeddedStore, type EmbeddedStore } from '../../support/embedded.js';

let store: EmbeddedStore;
afterEach(() => store?.repos.close());

const setup = async (names = ['alice']) => {
  store = embeddedStore();
  const h = await hashPassword('pw', { N: 1024, r: 8, p: 1 });
  const { users } = parseAdminUsers(names.map((n) => `${n}:operator:${h}`).join(','));
  let now = Date.UTC(2026, 0, 1);
  const clock = { advance: (ms: number) => void (now += ms) };
  const make = (list = users) => new SessionManager(store.repos.sessions, list, { secure: false, now: () => now });
  return { make, users, clock };
};

const requestWith = (cookie: string) => ({ get: (h: string) => (h === 'cookie' ? cookie : undefined) }) as unknown as Request;
const cookieOf = (m: SessionManager, token: string) => requestWith(`${m.cookieName}=${token}`);

describe('sessions', () => {
  test('a session ends after IDLE_MS without use, not while it is used', async () => {
    const { make, clock } = await setup();
    const m = make();
    const login = await m.login('alice', 'pw', '127.0.0.1');
    if (!login.ok) throw new Error('login failed');
    for (let i = 0; i < 4; i++) {
      clock.advance(IDLE_MS / 2);
      expect((await m.resolve(cookieOf(m, login.token)))?.user.name).toBe('alice');
    }
    clock.advance(IDLE_MS + 1);
    expect(await m.resolve(cookieOf(m, login.token))).toBeNull();
  });

  test('a session ends after ABSOLUTE_MS however busy', async () => {
    const { make, clock } = await setup();
    const m = make();
    const login = await m.login('alice', 'pw', '127.0.0.1');
    if (!login.ok) throw new Error('login failed');
    let elapsed = 0;
    while (elapsed + IDLE_MS / 2 <= ABSOLUTE_MS) {
      clock.advance(IDLE_MS / 2);
      elapsed += IDLE_MS / 2;
      expect(await m.resolve(cookieOf(m, login.token))).not.toBeNull();
    }
    clock.advance(ABSOLUTE_MS - elapsed + 1);
    expect(await m.resolve(cookieOf(m, login.token))).toBeNull();
  });

  test('removing a user from ADMIN_USERS ends their sessions; the store keeps only a hash of the token', async () => {
    const { make, users } = await setup(['alice', 'bob']);
    const before = make();
    const login = await before.login('bob', 'pw', '::1');
    if (!login.ok) throw new Error('login failed');
    expect(await store.repos.sessions.get(login.token)).toBeNull();
    expect(await before.resolve(cookieOf(before, login.token))).not.toBeNull();
    const after = make(users.filter((u) => u.name !== 'bob'));
    expect(await after.resolve(cookieOf(after, login.token))).toBeNull();
  });

  test('the cookie is __Host- and Secure behind https', async () => {
    const { users } = await setup();
    const m = new SessionManager(store.repos.sessions, users, { secure: true });
    const headers: string[] = [];
    m.setCookie({ append: (_: string, v: string) => headers.push(v) } as unknown as Response, 't'.repeat(43));
    expect(headers).toEqual([`__Host-distro_session=${'t'.repeat(43)}; Path=/; HttpOnly; SameSite=Lax; Secure`]);
  });
});

describe('login throttle', () => {
  test('remembers a bounded number of keys, forgetting the oldest', () => {
    const t = new LoginThrottle(() => 0);
    for (let i = 0; i < 25_000; i++) t.fail(`user${i}\n10.0.0.1`);
    expect(t.size).toBe(10_000);
  });

  test('blocks after 5 failures within 15 minutes, and lets the key try again after', () => {
    let now = 0;
    const t = new LoginThrottle(() => now);
    for (let i = 0; i < 5; i++) t.fail('k');
    expect(t.retryAfter('k')).toBe(900);
    now += 15 * 60_000;
    expect(t.retryAfter('k')).toBe(0);
  });
});
