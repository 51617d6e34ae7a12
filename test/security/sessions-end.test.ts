/**
 * Sessions do not outlive a changed password or role, and "sign out everywhere" works for oneself and, for an
 * admin, on any user (page and API, CSRF, role table, audited) — issue 21 item 6 (brief item 3).
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import type { DistroApp } from '../../src/app.js';
import { csrfOf, SessionClient } from '../support/sign-in.js';
import { SIGN_IN_TOKEN, startOn, tempDir, usersEnv } from './sign-in-app.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const dir = async (): Promise<string> => {
  const t = await tempDir();
  cleanups.push(t.remove);
  return t.dir;
};

const signedIn = async (url: string, user: string, password: string): Promise<SessionClient> => {
  const client = new SessionClient(url);
  expect((await client.login(user, password)).status).toBe(303);
  return client;
};

const moved = (url: string, client: SessionClient): SessionClient => Object.assign(new SessionClient(url), { cookie: client.cookie });

const stillIn = async (client: SessionClient): Promise<boolean> => (await client.get('/')).status === 200;

describe('a changed ADMIN_USERS entry ends the sessions opened under the old one', () => {
  /** olivia's entry changes from `before` to `after`; victor's stays exactly the same line. */
  const restartWith = async (before: string, after: string) => {
    const d = await dir();
    const victorLine = await usersEnv({ victor: 'viewer:victor-password' });
    const first = await startOn(d, { ADMIN_USERS: `${await usersEnv({ olivia: before })}\n${victorLine}` });
    const olivia = await signedIn(first.url!, 'olivia', before.replace(/^\w+:/, ''));
    const victor = await signedIn(first.url!, 'victor', 'victor-password');
    expect(await stillIn(olivia)).toBe(true);
    await first.stop();
    const second = await startOn(d, { ADMIN_USERS: `${await usersEnv({ olivia: after })}\n${victorLine}` });
    cleanups.push(() => second.stop());
    // The same browsers (cookies) against the restarted server.
    return { second, olivia: moved(second.url!, olivia), victor: moved(second.url!, victor) };
  };

  test('a new password: the old sessions end, the old password is refused, the new one works; others keep theirs', async () => {
    const { second, olivia, victor } = await restartWith('operator:old-password', 'operator:new-password');
    expect(await stillIn(olivia)).toBe(false);
    expect(await stillIn(victor)).toBe(true);
    expect((await new SessionClient(second.url!).login('olivia', 'old-password')).status).toBe(401);
    await signedIn(second.url!, 'olivia', 'new-password');
  });

  test('a new role: the old sessions end (the same password signs in again with the new role)', async () => {
    const { second, olivia, victor } = await restartWith('operator:olivia-password', 'viewer:olivia-password');
    expect(await stillIn(olivia)).toBe(false);
    expect(await stillIn(victor)).toBe(true);
    const again = await signedIn(second.url!, 'olivia', 'olivia-password');
    expect((await again.get('/')).text).toContain('Signed in as <strong>olivia</strong> (viewer)');
  });
});

describe('sign out everywhere', () => {
  let app: DistroApp;
  const start = async () => {
    app = await startOn(await dir(), { ADMIN_USERS: await usersEnv({ alice: 'admin:alice-password', olivia: 'operator:olivia-password', victor: 'viewer:victor-password' }) });
    cleanups.push(() => app.stop());
  };
  const audit = async (subject: string) =>
    (await app.repos.audit.list({ action: ['user.sign-out-everywhere'], subject }, { limit: 10 })).items.map((e) => ({ by: e.actorId, source: e.source, details: e.details }));

  test('for oneself, from the page: every session of the account ends, in one click, audited as page', async () => {
    await start();
    const laptop = await signedIn(app.url!, 'victor', 'victor-password');
    const phone = await signedIn(app.url!, 'victor', 'victor-password');
    const other = await signedIn(app.url!, 'olivia', 'olivia-password');
    const page = await laptop.get('/sessions');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<strong>2</strong> session(s)');
    // A viewer sees no other users' buttons.
    expect(page.text).not.toContain('Sign olivia out everywhere');
    // Without the CSRF token nothing happens.
    expect((await laptop.request('POST', '/sessions/sign-out-everywhere', {})).status).toBe(403);
    expect(await stillIn(phone)).toBe(true);
    const out = await laptop.submit('/sessions', '/sessions/sign-out-everywhere');
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toMatch(/^\/login\?note=/);
    expect((await laptop.get(out.headers.get('location')!)).text).toContain('role="status">Signed out everywhere: every session of yours has ended.</p>');
    expect(await stillIn(laptop)).toBe(false);
    expect(await stillIn(phone)).toBe(false);
    expect(await stillIn(other)).toBe(true);
    expect(await audit('victor')).toEqual([{ by: 'victor', source: 'page', details: { sessions: 2 } }]);
  });

  test('an admin on any user, from the page and the API; others are refused by the role table', async () => {
    await start();
    const olivia = await signedIn(app.url!, 'olivia', 'olivia-password');
    const victor = await signedIn(app.url!, 'victor', 'victor-password');
    const alice = await signedIn(app.url!, 'alice', 'alice-password');
    // An operator may not sign someone else out: 403 naming the role, on the page and the API.
    const refused = await olivia.submit('/sessions', '/users/victor/sign-out-everywhere');
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('admin role');
    const page = await olivia.get('/sessions');
    const apiRefused = await fetch(`${app.url}/api/users/victor/sessions`, {
      method: 'DELETE',
      headers: { cookie: olivia.cookie, origin: app.url!, 'x-csrf-token': csrfOf(page.text) },
    });
    expect(apiRefused.status).toBe(403);
    expect(await stillIn(victor)).toBe(true);

    const list = await alice.get('/sessions');
    expect(list.text).toContain('Sign victor out everywhere');
    const done = await alice.submit('/sessions', '/users/victor/sign-out-everywhere');
    expect(done.status).toBe(303);
    expect((await alice.get(done.headers.get('location')!)).text).toContain('role="status">Signed victor out everywhere.</p>');
    expect(await stillIn(victor)).toBe(false);
    expect(await stillIn(alice)).toBe(true);

    const api = await fetch(`${app.url}/api/users/olivia/sessions`, { method: 'DELETE', headers: { authorization: `Bearer ${SIGN_IN_TOKEN}` } });
    expect(api.status).toBe(200);
    expect(await api.json()).toEqual({ user: 'olivia', ended: 1 });
    expect(await stillIn(olivia)).toBe(false);
    const unknown = await fetch(`${app.url}/api/users/nobody/sessions`, { method: 'DELETE', headers: { authorization: `Bearer ${SIGN_IN_TOKEN}` } });
    expect(unknown.status).toBe(404);

    expect(await audit('victor')).toEqual([{ by: 'alice', source: 'page', details: { sessions: 1 } }]);
    expect(await audit('olivia')).toEqual([{ by: 'admin', source: 'api', details: { sessions: 1 } }]);
  });

  test('for oneself through the API (a session with its CSRF token)', async () => {
    await start();
    const a = await signedIn(app.url!, 'olivia', 'olivia-password');
    const b = await signedIn(app.url!, 'olivia', 'olivia-password');
    const page = await a.get('/sessions');
    const res = await fetch(`${app.url}/api/users/me/sessions`, { method: 'DELETE', headers: { cookie: a.cookie, origin: app.url!, 'x-csrf-token': csrfOf(page.text) } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ user: 'olivia', ended: 2 });
    expect(await stillIn(b)).toBe(false);
    // The bearer token is no user: it must name one.
    const token = await fetch(`${app.url}/api/users/me/sessions`, { method: 'DELETE', headers: { authorization: `Bearer ${SIGN_IN_TOKEN}` } });
    expect(token.status).toBe(400);
  });
});
