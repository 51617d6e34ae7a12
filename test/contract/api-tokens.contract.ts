/** ApiTokenStore contract: every adapter must pass it. */
import { describe, expect, it } from '@jest/globals';
import type { ApiToken } from '../../src/domain/api-token.js';
import { freshRepos, type StoreInstance } from '../support/stores.js';

const at = (minutes: number): Date => new Date(Date.UTC(2026, 0, 1, 0, minutes));
const token = (id: string, user: string, name: string, created: Date, extra: Partial<ApiToken> = {}): ApiToken => ({
  id,
  user,
  name,
  role: 'operator',
  hash: `hash-${id}`.padEnd(64, '0'),
  createdAt: created,
  expiresAt: null,
  lastUsedAt: null,
  ...extra,
});

export const apiTokenStoreContract = (label: string, create: () => Promise<StoreInstance>): void => {
  describe(`ApiTokenStore (${label})`, () => {
    const repos = freshRepos(create);

    it('creates and finds a token by hash with every field', async () => {
      const t = token('t1', 'alice', 'ci deploy', at(0), { role: 'viewer', expiresAt: at(60 * 24), lastUsedAt: at(5) });
      await repos().apiTokens.create(t);
      expect(await repos().apiTokens.findByHash(t.hash)).toEqual(t);
      expect(await repos().apiTokens.findByHash('0'.repeat(64))).toBeNull();
      const never = token('t2', 'alice', 'laptop', at(1));
      await repos().apiTokens.create(never);
      expect(await repos().apiTokens.findByHash(never.hash)).toEqual(never);
    });

    it("lists one user's tokens, newest first, and no one else's", async () => {
      await repos().apiTokens.create(token('a1', 'alice', 'one', at(0)));
      await repos().apiTokens.create(token('b1', 'bob', 'one', at(1)));
      await repos().apiTokens.create(token('a2', 'alice', 'two', at(2)));
      expect((await repos().apiTokens.listByUser('alice')).map((t) => t.id)).toEqual(['a2', 'a1']);
      expect((await repos().apiTokens.listByUser('bob')).map((t) => t.id)).toEqual(['b1']);
      expect(await repos().apiTokens.listByUser('carol')).toEqual([]);
    });

    it("revokes only the owner's token, at once: it is no longer found", async () => {
      const t = token('r1', 'alice', 'ci', at(0));
      await repos().apiTokens.create(t);
      expect(await repos().apiTokens.revoke('bob', 'r1')).toBeNull();
      expect(await repos().apiTokens.findByHash(t.hash)).toEqual(t);
      expect(await repos().apiTokens.revoke('alice', 'r1')).toEqual(t);
      expect(await repos().apiTokens.findByHash(t.hash)).toBeNull();
      expect(await repos().apiTokens.listByUser('alice')).toEqual([]);
      expect(await repos().apiTokens.revoke('alice', 'r1')).toBeNull();
    });

    it('touch moves the last use forward, never back', async () => {
      const t = token('u1', 'alice', 'ci', at(0));
      await repos().apiTokens.create(t);
      await repos().apiTokens.touch('u1', at(10));
      expect((await repos().apiTokens.findByHash(t.hash))?.lastUsedAt).toEqual(at(10));
      await repos().apiTokens.touch('u1', at(3));
      expect((await repos().apiTokens.findByHash(t.hash))?.lastUsedAt).toEqual(at(10));
      await repos().apiTokens.touch('missing', at(3));
    });
  });
};
