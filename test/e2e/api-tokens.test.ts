/**
 * Personal API tokens on the product as composed by src/app.ts: created on /tokens by a signed-in user (shown once,
 * role capped at theirs), accepted as bearer tokens with the lower role, audited under the user and the token's
 * name, and refused at once after revocation.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ADMIN_TOKEN, api } from '../support/http.js';
import { startProduct, type ProductServer } from '../support/product-server.js';
import { adminUsersEnv, PASSWORDS, SessionClient } from '../support/sign-in.js';

let product: ProductServer;
const bearer = (token: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...extra });

beforeAll(async () => {
  product = await startProduct({ ADMIN_TOKEN, ADMIN_USERS: await adminUsersEnv() });
  const made = await api(product.url, 'POST', '/api/distributions', { slug: 'social', title: 'Open Social' });
  expect(made.status).toBe(201);
});
afterAll(() => product.stop());

const SECRET = /<code id="new-token">(dst_[A-Za-z0-9_-]{43})<\/code>/;

const createToken = async (client: SessionClient, form: Record<string, string>) => {
  const res = await client.submit('/tokens', '/tokens', form);
  return { ...res, secret: SECRET.exec(res.text)?.[1] ?? null };
};

describe('personal API tokens', () => {
  let olivia: SessionClient;
  let operatorToken: string;

  beforeAll(async () => {
    olivia = new SessionClient(product.url);
    expect((await olivia.login('olivia', PASSWORDS.olivia)).status).toBe(303);
  });

  test('a role above the user\'s own, a bad name or expiry is refused next to its field', async () => {
    const res = await createToken(olivia, { name: 'ci', role: 'admin', expiresInDays: '' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('at most your own role (operator)');
    expect(res.secret).toBeNull();
    const bad = await createToken(olivia, { name: '<x>', role: 'viewer', expiresInDays: '9999' });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/1–64 letters/);
    expect(bad.text).toMatch(/whole number of days from 1 to 366/);
  });

  test('created on the page: the secret is shown once and never listed again', async () => {
    const res = await createToken(olivia, { name: 'ci deploy', role: 'operator', expiresInDays: '30' });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.secret).not.toBeNull();
    operatorToken = res.secret!;
    const again = await olivia.get('/tokens');
    expect(again.text).toContain('ci deploy');
    expect(again.text).not.toContain(operatorToken);
    const dup = await createToken(olivia, { name: 'ci deploy', role: 'viewer', expiresInDays: '' });
    expect(dup.status).toBe(400);
    expect(dup.text).toContain('already have a token named');
  });

  test('the API accepts it as a bearer token with its role; the audit log names the user and the token', async () => {
    const me = await api(product.url, 'GET', '/api/me', undefined, bearer(operatorToken));
    expect(me.body).toEqual({ user: 'olivia', role: 'operator', credential: 'token', token: 'ci deploy' });
    // An operator action, no Origin needed (a bearer credential is never ambient).
    const pin = await api(product.url, 'PUT', '/api/distributions/social/pin', { reason: 'freeze' }, bearer(operatorToken, { 'user-agent': 'distro-cli/0.1' }));
    expect(pin.status).toBe(200);
    const admin = await api(product.url, 'POST', '/api/distributions', { slug: 'other', title: 'Other' }, bearer(operatorToken));
    expect(admin.status).toBe(403);
    expect(admin.body.error.code).toBe('role_required');
    const audit = await api(product.url, 'GET', '/api/audit?action=distribution.pin');
    expect(audit.body.items[0]).toMatchObject({ actorId: 'olivia', source: 'cli', actor: { kind: 'user', id: 'olivia', token: 'ci deploy' } });
    const created = await api(product.url, 'GET', '/api/audit?action=token.create');
    expect(created.body.items[0]).toMatchObject({ actorId: 'olivia', source: 'page', subject: { kind: 'token', name: 'olivia/ci deploy' }, details: { role: 'operator' } });
  });

  test('a token acts with the lower of its role and its owner\'s', async () => {
    const viewer = await createToken(olivia, { name: 'read only', role: 'viewer', expiresInDays: '' });
    expect(viewer.status).toBe(201);
    const pin = await api(product.url, 'DELETE', '/api/distributions/social/pin', undefined, bearer(viewer.secret!));
    expect(pin.status).toBe(403);
    expect((await api(product.url, 'GET', '/api/distributions', undefined, bearer(viewer.secret!))).status).toBe(200);
  });

  test('tokens are listed without secrets or hashes; a token cannot mint tokens; ADMIN_TOKEN has none', async () => {
    const list = await api(product.url, 'GET', '/api/tokens', undefined, bearer(operatorToken));
    expect(list.status).toBe(200);
    expect(list.body.items.map((t: { name: string }) => t.name).sort()).toEqual(['ci deploy', 'read only']);
    expect(JSON.stringify(list.body)).not.toMatch(/hash|secret|dst_/);
    const mint = await api(product.url, 'POST', '/api/tokens', { name: 'more' }, bearer(operatorToken));
    expect(mint.status).toBe(403);
    expect(mint.body.error.code).toBe('session_required');
    const bootstrap = await api(product.url, 'GET', '/api/tokens', undefined, bearer(ADMIN_TOKEN));
    expect(bootstrap.status).toBe(403);
    expect(bootstrap.body.error.code).toBe('no_user');
  });

  test('another user cannot see or revoke it; a wrong or malformed token is a 401', async () => {
    const victor = new SessionClient(product.url);
    await victor.login('victor', PASSWORDS.victor);
    const page = await victor.get('/tokens');
    expect(page.text).not.toContain('ci deploy');
    const id = (await api(product.url, 'GET', '/api/tokens', undefined, bearer(operatorToken))).body.items.find((t: { name: string }) => t.name === 'ci deploy').id as string;
    const steal = await victor.submit('/tokens', `/tokens/${id}/revoke`);
    expect(steal.status).toBe(404);
    expect((await api(product.url, 'GET', '/api/me', undefined, bearer(operatorToken))).status).toBe(200);
    for (const wrong of [`${operatorToken.slice(0, -1)}${operatorToken.endsWith('A') ? 'B' : 'A'}`, 'dst_short', `${operatorToken}x`]) {
      expect((await api(product.url, 'GET', '/api/me', undefined, bearer(wrong))).status).toBe(401);
    }
  });

  test('revoking on the page takes effect at once and is audited', async () => {
    const id = (await api(product.url, 'GET', '/api/tokens', undefined, bearer(operatorToken))).body.items.find((t: { name: string }) => t.name === 'ci deploy').id as string;
    const res = await olivia.submit('/tokens', `/tokens/${id}/revoke`);
    expect(res.status).toBe(303);
    expect((await api(product.url, 'GET', '/api/me', undefined, bearer(operatorToken))).status).toBe(401);
    const audit = await api(product.url, 'GET', '/api/audit?action=token.revoke');
    expect(audit.body.items[0]).toMatchObject({ actorId: 'olivia', subject: { name: 'olivia/ci deploy' } });
  });
});
