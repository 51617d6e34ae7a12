import { describe, expect, test } from '@jest/globals';
import { parseAdminUsers } from '../../../src/lib/admin-users.js';
import { needsRehash, hashPassword, parsePasswordHash, passwordHashProblem, verifyPassword } from '../../../src/lib/password-hash.js';
import { loadConfig } from '../../../src/config.js';

const CHEAP = { N: 1024, r: 8, p: 1 };

describe('password hashes', () => {
  test('a hash verifies its password only, and two hashes of one password differ (random salt)', async () => {
    const a = await hashPassword('correct horse battery', CHEAP);
    const b = await hashPassword('correct horse battery', CHEAP);
    expect(a).toMatch(/^scrypt:1024:8:1:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery', parsePasswordHash(a))).toBe(true);
    expect(await verifyPassword('correct horse batterY', parsePasswordHash(a))).toBe(false);
    expect(await verifyPassword('', parsePasswordHash(a))).toBe(false);
  });

  test('the default cost is OWASP\'s N=2^17, r=8, p=1; weaker hashes need a re-hash', async () => {
    expect(await hashPassword('x')).toMatch(/^scrypt:131072:8:1:/);
    expect(needsRehash({ N: 32768, r: 8, p: 1 })).toBe(true);
    expect(needsRehash({ N: 131072, r: 8, p: 1 })).toBe(false);
  });

  test('malformed hashes and absurd costs are refused with a reason', () => {
    expect(passwordHashProblem('$2b$10$abc')).toMatch(/scrypt:N:r:p:salt:hash/);
    expect(passwordHashProblem(`scrypt:1000:8:1:${'a'.repeat(22)}:${'b'.repeat(43)}`)).toMatch(/power of two/);
    expect(passwordHashProblem(`scrypt:4194304:8:1:${'a'.repeat(22)}:${'b'.repeat(43)}`)).toMatch(/power of two from 1024/);
    expect(passwordHashProblem(`scrypt:1024:64:1:${'a'.repeat(22)}:${'b'.repeat(43)}`)).toMatch(/r must be/);
  });
});

describe('ADMIN_USERS', () => {
  test('entries separated by commas or newlines, each name:role:hash', async () => {
    const h = await hashPassword('pw', CHEAP);
    const { users, problems } = parseAdminUsers(`alice:admin:${h},\n bob:viewer:${h}\n\ncarol:operator:${h}`);
    expect(problems).toEqual([]);
    expect(users.map((u) => [u.name, u.role])).toEqual([['alice', 'admin'], ['bob', 'viewer'], ['carol', 'operator']]);
  });

  test('each bad entry is named with what is wrong', async () => {
    const h = await hashPassword('pw', CHEAP);
    const { problems } = parseAdminUsers(`Alice:admin:${h},bob:root:${h},carol:admin:plain,dave:admin:${h},dave:viewer:${h}`);
    expect(problems).toEqual([
      'entry 1: user name must be 1–64 lowercase letters, digits, dots, dashes or underscores',
      'entry 2 (bob): role must be one of viewer, operator, admin',
      'entry 3 (carol): not a password hash of the form scrypt:N:r:p:salt:hash (make one with `npm run admin:add-user`)',
      'entry 5 (dave): the user is listed twice',
    ]);
  });

  test('config fails fast naming ADMIN_USERS, and users alone satisfy production', async () => {
    expect(() => loadConfig({ ADMIN_USERS: 'alice:admin:secret' })).toThrow(/ADMIN_USERS: entry 1 \(alice\): not a password hash/);
    const prod = { NODE_ENV: 'production', SLACK_SIGNING_SECRET: 's', LINK_SECRET: 'l'.repeat(16) };
    expect(() => loadConfig(prod)).toThrow(/ADMIN_TOKEN: required \(or ADMIN_USERS/);
    const config = loadConfig({ ...prod, ADMIN_USERS: `alice:admin:${await hashPassword('pw', CHEAP)}` });
    expect(config.admin.users.map((u) => u.name)).toEqual(['alice']);
  });
});
