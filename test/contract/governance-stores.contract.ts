/** What every AuditStore and HoldStore adapter must do: append-only newest-first pages with filters and cursors; one hold per subject. */
import { afterEach, beforeEach, describe, expect } from '@jest/globals';
import type { Actor } from '../../src/domain/actor.js';
import { auditActorId, auditSource, type AuditAction, type NewAuditEntry } from '../../src/domain/audit.js';
import { ValidationError } from '../../src/domain/errors.js';
import type { Repositories } from '../../src/domain/ports.js';
import { contractTest } from '../support/mongo-wire-gaps.js';

export type StoreFactory = () => Promise<{ repos: Repositories; cleanup(): Promise<void> }>;

const ALICE: Actor = { kind: 'user', id: 'U0ALICE', name: 'alice', via: 'slack' };
const ADMIN: Actor = { kind: 'user', id: 'admin', via: 'api' };
const POLL: Actor = { kind: 'poll' };

const entry = (actor: Actor, action: AuditAction, subject: string, at: Date, details: NewAuditEntry['details'] = {}): NewAuditEntry => ({
  at,
  actor,
  actorId: auditActorId(actor),
  source: auditSource(actor),
  action,
  subject: { kind: 'site', id: `id-${subject}`, name: subject },
  details,
});

export const governanceStoreContract = (name: string, factory: StoreFactory): void => {
  const test = contractTest('governance stores', name);
  describe(`AuditStore and HoldStore contract [${name}]`, () => {
    let repos: Repositories;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ repos, cleanup } = await factory());
    });
    afterEach(async () => cleanup());

    const seed = async (): Promise<string[]> => {
      const ids: string[] = [];
      const day = (d: number) => new Date(Date.UTC(2026, 0, d, 12));
      const rows: NewAuditEntry[] = [
        entry(ALICE, 'site.pin', 'a.example.org', day(1), { reason: 'client sign-off' }),
        entry(POLL, 'target.set', 'social', day(2), { from: null, to: 'social-12.4.2', locked: 2 }),
        entry(ADMIN, 'site.create', 'b.example.org', day(3)),
        entry(ALICE, 'site.rollback', 'a.example.org', day(4), { task: 7, ok: true }),
        entry(ADMIN, 'site.delete', 'b.example.org', day(5)),
      ];
      for (const r of rows) ids.push((await repos.audit.append(r)).id);
      return ids;
    };

    test('append returns the entry with an id; list gives entries back newest first, as appended', async () => {
      const ids = await seed();
      expect(new Set(ids).size).toBe(5);
      const page = await repos.audit.list({}, { limit: 10 });
      expect(page.next).toBeNull();
      expect(page.items.map((e) => e.id)).toEqual([...ids].reverse());
      const rollback = page.items[1]!;
      expect(rollback).toEqual({
        id: ids[3],
        at: new Date(Date.UTC(2026, 0, 4, 12)),
        actor: ALICE,
        actorId: 'U0ALICE',
        source: 'slack',
        action: 'site.rollback',
        subject: { kind: 'site', id: 'id-a.example.org', name: 'a.example.org' },
        details: { task: 7, ok: true },
      });
    });

    test('cursor pages: each entry exactly once, `next` null on the last page; a malformed cursor is a ValidationError', async () => {
      const ids = await seed();
      const seen: string[] = [];
      let before: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await repos.audit.list({}, { limit: 2, ...(before ? { before } : {}) });
        seen.push(...page.items.map((e) => e.id));
        if (!page.next) break;
        expect(page.items).toHaveLength(2);
        before = page.next;
      }
      expect(seen).toEqual([...ids].reverse());
      await expect(repos.audit.list({}, { limit: 2, before: 'not-a-cursor!' })).rejects.toThrow(ValidationError);
    });

    test('filters: actor id, actions, subject name or id, source, since/until (until exclusive), combined', async () => {
      await seed();
      const actions = async (filter: Parameters<Repositories['audit']['list']>[0]) => (await repos.audit.list(filter, { limit: 50 })).items.map((e) => e.action);
      expect(await actions({ actorId: 'U0ALICE' })).toEqual(['site.rollback', 'site.pin']);
      expect(await actions({ actorId: 'poll' })).toEqual(['target.set']);
      expect(await actions({ action: ['site.create', 'site.delete'] })).toEqual(['site.delete', 'site.create']);
      expect(await actions({ subject: 'b.example.org' })).toEqual(['site.delete', 'site.create']);
      expect(await actions({ subject: 'id-a.example.org' })).toEqual(['site.rollback', 'site.pin']);
      expect(await actions({ source: ['api'] })).toEqual(['site.delete', 'site.create']);
      expect(await actions({ since: new Date(Date.UTC(2026, 0, 2)), until: new Date(Date.UTC(2026, 0, 4, 12)) })).toEqual(['site.create', 'target.set']);
      expect(await actions({ actorId: 'U0ALICE', since: new Date(Date.UTC(2026, 0, 3)) })).toEqual(['site.rollback']);
      expect(await actions({ actorId: 'nobody' })).toEqual([]);
    });

    test('filtered pages follow the cursor within the filter', async () => {
      await seed();
      const first = await repos.audit.list({ subject: 'a.example.org' }, { limit: 1 });
      expect(first.items.map((e) => e.action)).toEqual(['site.rollback']);
      const second = await repos.audit.list({ subject: 'a.example.org' }, { limit: 1, before: first.next! });
      expect(second.items.map((e) => e.action)).toEqual(['site.pin']);
      expect(second.next).toBeNull();
    });

    test('holds: set, get, replace (one per subject), list by kind and ids, clear returns the removed hold', async () => {
      const at = new Date(Date.UTC(2026, 1, 1));
      const lock = { kind: 'platform' as const, subjectId: 'p1', reason: 'security review', by: ALICE, at };
      expect(await repos.holds.set(lock)).toEqual(lock);
      expect(await repos.holds.get('platform', 'p1')).toEqual(lock);
      expect(await repos.holds.get('site', 'p1')).toBeNull();
      const replaced = { ...lock, reason: 'still reviewing', by: ADMIN, at: new Date(Date.UTC(2026, 1, 2)) };
      await repos.holds.set(replaced);
      expect(await repos.holds.list('platform')).toEqual([replaced]);
      await repos.holds.set({ kind: 'site', subjectId: 's1', reason: 'pinned', by: ADMIN, at });
      await repos.holds.set({ kind: 'site', subjectId: 's2', reason: 'pinned too', by: ADMIN, at: replaced.at });
      expect((await repos.holds.list('site', ['s2', 'nope'])).map((h) => h.subjectId)).toEqual(['s2']);
      expect((await repos.holds.list('site')).map((h) => h.subjectId).sort()).toEqual(['s1', 's2']);
      expect(await repos.holds.clear('platform', 'p1')).toEqual(replaced);
      expect(await repos.holds.clear('platform', 'p1')).toBeNull();
      expect(await repos.holds.get('platform', 'p1')).toBeNull();
    });
  });
};
