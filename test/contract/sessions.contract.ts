/** SessionStore contract: every adapter must pass it. */
import { describe, expect, it } from '@jest/globals';
import type { AdminSession } from '../../src/domain/ports.js';
import { freshRepos, type StoreInstance } from '../support/stores.js';

const at = (minutes: number): Date => new Date(Date.UTC(2026, 0, 1, 0, minutes));
const session = (id: string, user: string, created: Date, seen: Date = created): AdminSession => ({
  id,
  user,
  csrf: `csrf-${id}`,
  createdAt: created,
  lastSeenAt: seen,
  stamp: `stamp-${user}`,
});

export const sessionStoreContract = (label: string, create: () => Promise<StoreInstance>): void => {
  describe(`SessionStore (${label})`, () => {
    const repos = freshRepos(create);

    it('creates, reads back every field, and deletes a session', async () => {
      await repos().sessions.create(session('a1', 'alice', at(0), at(5)));
      expect(await repos().sessions.get('a1')).toEqual(session('a1', 'alice', at(0), at(5)));
      expect(await repos().sessions.get('nope')).toBeNull();
      await repos().sessions.delete('a1');
      expect(await repos().sessions.get('a1')).toBeNull();
      await repos().sessions.delete('a1');
    });

    it('touch moves the last activity forward, never back', async () => {
      await repos().sessions.create(session('b1', 'bob', at(0)));
      await repos().sessions.touch('b1', at(10));
      expect((await repos().sessions.get('b1'))?.lastSeenAt).toEqual(at(10));
      await repos().sessions.touch('b1', at(3));
      expect((await repos().sessions.get('b1'))?.lastSeenAt).toEqual(at(10));
      await repos().sessions.touch('missing', at(3));
      expect(await repos().sessions.get('missing')).toBeNull();
    });

    it('ends every session of one user (or those of an old stamp), and counts sessions per user', async () => {
      await repos().sessions.create({ ...session('c1', 'carol', at(0)), stamp: 'old' });
      await repos().sessions.create(session('c2', 'carol', at(1)));
      await repos().sessions.create({ ...session('c3', 'carol', at(2)), stamp: 'older' });
      await repos().sessions.create(session('d1', 'dave', at(0)));
      expect(await repos().sessions.countByUser()).toEqual({ carol: 3, dave: 1 });
      expect(await repos().sessions.deleteByUser('carol', 'stamp-carol')).toBe(2);
      expect(await repos().sessions.get('c2')).not.toBeNull();
      expect(await repos().sessions.deleteByUser('carol')).toBe(1);
      expect(await repos().sessions.get('c2')).toBeNull();
      expect((await repos().sessions.get('d1'))?.stamp).toBe('stamp-dave');
      expect(await repos().sessions.countByUser()).toEqual({ dave: 1 });
    });

    it('prunes sessions idle too long or too old, and keeps the others', async () => {
      await repos().sessions.create(session('idle', 'a', at(50), at(50)));
      await repos().sessions.create(session('old', 'b', at(0), at(100)));
      await repos().sessions.create(session('fresh', 'c', at(60), at(100)));
      expect(await repos().sessions.prune(at(90), at(30))).toBe(2);
      expect(await repos().sessions.get('idle')).toBeNull();
      expect(await repos().sessions.get('old')).toBeNull();
      expect((await repos().sessions.get('fresh'))?.user).toBe('c');
    });
  });
};
