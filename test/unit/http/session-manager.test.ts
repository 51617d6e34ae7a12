/** Session expiry, removal of users, and the throttle's rules, on a clock the test moves. */
import { afterEach, describe, expect, test } from '@jest/globals';
import type { Request, Response } from 'express';
import { ABSOLUTE_MS, IDLE_MS, SessionManager } from '../../../src/http/session/session-manager.js';
import { throttleAttempt, type ThrottleRule, type ThrottleState } from '../../../src/domain/login-throttle.js';
import { parseAdminUsers } from '../../../src/lib/admin-users.js';
import { hashPassword } from '../../../src/lib/password-hash.js';
import { embeddedStore, type EmbeddedStore } from '../../support/embedded.js';

let store: EmbeddedStore;
const managers: SessionManager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
  await store?.repos.close();
});

const setup = async (names = ['alice']) => {
  store = embeddedStore();
  const h = await hashPassword('pw', { N: 1024, r: 8, p: 1 });
  const { users } = parseAdminUsers(names.map((n) => `${n}:operator:${h}`).join(','));
  let now = Date.UTC(2026, 0, 1);
  const clock = { advance: (ms: number) => void (now += ms) };
  const make = (list = users) => {
    const m = new SessionManager(store.repos, list, { secure: false, now: () => now });
    managers.push(m);
    return m;
  };
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
    const m = new SessionManager(store.repos, users, { secure: true });
    const headers: string[] = [];
    m.setCookie({ append: (_: string, v: string) => headers.push(v) } as unknown as Response, 't'.repeat(43));
    expect(headers).toEqual([`__Host-distro_session=${'t'.repeat(43)}; Path=/; HttpOnly; SameSite=Lax; Secure`]);
  });
});

describe('throttle rules', () => {
  const lock = { key: 'k', limit: 5, windowMs: 900_000 };
  const delay = { key: 'a', limit: 5, windowMs: 900_000, delay: { baseMs: 1000, maxMs: 30_000 } };
  const run = (rule: ThrottleRule, times: number, now = 0) => {
    let state: ThrottleState | null = null;
    const waits: number[] = [];
    for (let i = 0; i < times; i++) {
      const r = throttleAttempt(state, rule, now);
      if (r.state) state = r.state;
      waits.push(r.waitMs);
    }
    return { state, waits };
  };

  test('a lock rule counts 5 attempts, then refuses until its window ends, then starts over', () => {
    const { state, waits } = run(lock, 7);
    expect(waits).toEqual([0, 0, 0, 0, 0, 900_000, 900_000]);
    expect(throttleAttempt(state, lock, 899_999).waitMs).toBe(1);
    expect(throttleAttempt(state, lock, 900_000)).toEqual({ state: { count: 1, windowStart: 900_000, nextAt: 0 }, waitMs: 0 });
  });

  test('a delay rule never locks: after 5 attempts each waits a delay doubling from 1 s up to 30 s', () => {
    let state: ThrottleState | null = null;
    let now = 0;
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      const r = throttleAttempt(state, delay, now);
      expect(r.waitMs).toBe(0);
      state = r.state;
      delays.push(state!.nextAt ? state!.nextAt - now : 0);
      now = Math.max(now, state!.nextAt);
      // Trying before the delay is over is refused with the time left.
      if (state!.nextAt > 0) expect(throttleAttempt(state, delay, now - 1).waitMs).toBe(1);
    }
    expect(delays).toEqual([0, 0, 0, 0, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });
});
