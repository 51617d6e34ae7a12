/** ApiTokenService on the embedded store: hashed at rest, expiry, and last use recorded at most once a minute. */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { SYSTEM_ACTOR, AuditLog } from '../../src/services/audit-log.js';
import { ApiTokenService, hashTokenSecret } from '../../src/services/api-token-service.js';
import { embeddedStore, type EmbeddedStore } from '../support/embedded.js';

describe('ApiTokenService', () => {
  let store: EmbeddedStore;
  let now: Date;
  let tokens: ApiTokenService;
  const owner = { name: 'olivia', role: 'operator' as const };
  beforeEach(() => {
    store = embeddedStore();
    now = new Date(Date.UTC(2026, 5, 1));
    const clock = { now: () => now };
    tokens = new ApiTokenService({ repos: store.repos, audit: new AuditLog({ repos: store.repos, clock }), clock });
  });
  afterEach(() => store.repos.close());

  test('stores only the SHA-256 of the secret', async () => {
    const { token, secret } = await tokens.create(owner, { name: 'ci' }, SYSTEM_ACTOR);
    expect(secret).toMatch(/^dst_[A-Za-z0-9_-]{43}$/);
    expect(token.hash).toBe(hashTokenSecret(secret));
    expect(JSON.stringify(await store.repos.apiTokens.listByUser('olivia'))).not.toContain(secret);
    expect(token.role).toBe('operator');
  });

  test('an expired token is refused from its expiry on', async () => {
    const { secret } = await tokens.create(owner, { name: 'ci', expiresInDays: 1 }, SYSTEM_ACTOR);
    now = new Date(now.getTime() + 24 * 3600_000 - 1);
    expect(await tokens.verify(secret)).not.toBeNull();
    now = new Date(now.getTime() + 1);
    expect(await tokens.verify(secret)).toBeNull();
  });

  test('last use is recorded, at most once a minute', async () => {
    const { secret, token } = await tokens.create(owner, { name: 'ci' }, SYSTEM_ACTOR);
    const first = now;
    await tokens.verify(secret);
    now = new Date(first.getTime() + 30_000);
    await tokens.verify(secret);
    expect((await store.repos.apiTokens.findByHash(token.hash))?.lastUsedAt).toEqual(first);
    now = new Date(first.getTime() + 60_000);
    await tokens.verify(secret);
    expect((await store.repos.apiTokens.findByHash(token.hash))?.lastUsedAt).toEqual(now);
  });
});
