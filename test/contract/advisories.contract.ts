/**
 * What every AdvisoryRepository adapter must do: a snapshot becomes in force together with its event in one step,
 * of racing pollers after the same snapshot exactly one wins, and an announcement is claimed (and its follow-up
 * marked) by exactly one caller.
 */
import { afterEach, beforeEach, describe, expect } from '@jest/globals';
import type { NewAdvisoryEvent, NewAdvisorySnapshot } from '../../src/domain/advisory-feed.js';
import type { Repositories } from '../../src/domain/ports.js';
import { contractTest } from '../support/mongo-wire-gaps.js';

export type AdvisoryRepositoryFactory = () => Promise<{ repos: Repositories; cleanup(): Promise<void> }>;

const SOURCE = 'git:https://example.org/advisories.git#9.x';
const at = new Date('2024-01-17T12:00:00Z');

const snapshot = (commit: string, conflict: Record<string, string>, source = SOURCE): NewAdvisorySnapshot => ({ source, commit, fetchedAt: at, conflict });
const event = (commit: string, previousSnapshotId: string | null, names: string[], source = SOURCE): NewAdvisoryEvent => ({
  source,
  previousSnapshotId,
  commit,
  at,
  changes: names.map((name) => ({ name, before: null, after: '<1.0' })),
  initial: previousSnapshotId === null,
});

export const advisoryContract = (name: string, factory: AdvisoryRepositoryFactory): void => {
  const test = contractTest('advisories', name);
  describe(`AdvisoryRepository contract [${name}]`, () => {
    let repos: Repositories;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ repos, cleanup } = await factory());
    });
    afterEach(async () => cleanup());

    test('a committed snapshot is in force with its event; conflict keys with dots survive', async () => {
      expect(await repos.advisories.inForce(SOURCE)).toBeNull();
      expect(await repos.advisories.inForceIds()).toEqual([]);
      const first = await repos.advisories.commitSnapshot(snapshot('c1', { 'drupal/core': '<10.1', 'drupal/a.b': '1.0' }), event('c1', null, ['drupal/core']), null);
      expect(first).not.toBeNull();
      const inForce = await repos.advisories.inForce(SOURCE);
      expect(inForce).toMatchObject({ id: first!.snapshot.id, commit: 'c1', conflict: { 'drupal/core': '<10.1', 'drupal/a.b': '1.0' } });
      expect(inForce!.fetchedAt.getTime()).toBe(at.getTime());
      expect(await repos.advisories.inForceIds()).toEqual([first!.snapshot.id]);
      expect(await repos.advisories.getEvent(first!.event.id)).toMatchObject({ snapshotId: first!.snapshot.id, initial: true, announced: true, changes: [{ name: 'drupal/core', before: null, after: '<1.0' }] });

      const second = await repos.advisories.commitSnapshot(snapshot('c2', { 'drupal/core': '<10.2' }), event('c2', first!.snapshot.id, ['drupal/core', 'drupal/Views']), first!.snapshot.id);
      expect(second!.event).toMatchObject({ initial: false, announced: false, previousSnapshotId: first!.snapshot.id });
      expect(second!.event.seq).toBeGreaterThan(first!.event.seq);
      expect((await repos.advisories.inForce(SOURCE))!.commit).toBe('c2');
      expect((await repos.advisories.listEvents({}, { limit: 10, offset: 0 })).items.map((e) => e.commit)).toEqual(['c2', 'c1']);
      expect((await repos.advisories.listEvents({ packageName: 'drupal/views' }, { limit: 10, offset: 0 })).items.map((e) => e.commit)).toEqual(['c2']);
      expect((await repos.advisories.listEvents({ unannounced: true }, { limit: 10, offset: 0 })).items.map((e) => e.commit)).toEqual(['c2']);
      await repos.advisories.markAnnounced(second!.event.id);
      expect((await repos.advisories.listEvents({ unannounced: true }, { limit: 10, offset: 0 })).total).toBe(0);
    });

    test('a stale expected snapshot writes nothing; of 5 racing commits after one snapshot exactly one wins', async () => {
      const first = await repos.advisories.commitSnapshot(snapshot('c1', { a: '1' }), event('c1', null, ['a']), null);
      expect(await repos.advisories.commitSnapshot(snapshot('cx', { a: '2' }), event('cx', null, ['a']), null)).toBeNull();
      const results = await Promise.all(
        [1, 2, 3, 4, 5].map((n) => repos.advisories.commitSnapshot(snapshot(`r${n}`, { a: `${n}` }), event(`r${n}`, first!.snapshot.id, ['a']), first!.snapshot.id)),
      );
      const winners = results.filter((r) => r !== null);
      expect(winners).toHaveLength(1);
      expect((await repos.advisories.inForce(SOURCE))!.id).toBe(winners[0]!.snapshot.id);
      expect((await repos.advisories.listEvents({}, { limit: 10, offset: 0 })).total).toBe(2);
    });

    test('sources are independent', async () => {
      await repos.advisories.commitSnapshot(snapshot('g1', { a: '1' }), event('g1', null, ['a']), null);
      await repos.advisories.commitSnapshot(snapshot('f1', { b: '1' }, 'file:/x.json'), event('f1', null, ['b'], 'file:/x.json'), null);
      expect((await repos.advisories.listInForce()).map((s) => s.commit).sort()).toEqual(['f1', 'g1']);
      expect(await repos.advisories.inForceIds()).toHaveLength(2);
    });

    test('an announcement is claimed once; a stale claim without a message is offered again; fixedBy is set once', async () => {
      const first = await repos.advisories.commitSnapshot(snapshot('c1', { a: '1' }), event('c1', null, ['a']), null);
      const e = first!.event.id;
      const now = new Date('2024-01-17T12:00:00Z');
      const claims = await Promise.all([1, 2, 3].map(() => repos.advisories.claimAnnouncement(e, 'd1', 'C1', now, 60_000)));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await repos.advisories.claimAnnouncement(e, 'd1', 'C1', new Date(now.getTime() + 1000), 60_000)).toBe(false);
      expect(await repos.advisories.claimAnnouncement(e, 'd1', 'C1', new Date(now.getTime() + 61_000), 60_000)).toBe(true);
      expect(await repos.advisories.listOpenAnnouncements('d1')).toEqual([]);
      await repos.advisories.setAnnouncementTs(e, 'd1', '123.456');
      expect(await repos.advisories.claimAnnouncement(e, 'd1', 'C1', new Date(now.getTime() + 999_000), 60_000)).toBe(false);
      expect(await repos.advisories.listOpenAnnouncements('d1')).toMatchObject([{ eventId: e, distributionId: 'd1', channel: 'C1', ts: '123.456', fixedBy: null }]);
      const marks = await Promise.all([1, 2].map((n) => repos.advisories.markFixed(e, 'd1', `p${n}`)));
      expect(marks.filter(Boolean)).toHaveLength(1);
      expect(await repos.advisories.listOpenAnnouncements('d1')).toEqual([]);
      expect((await repos.advisories.getAnnouncement(e, 'd1'))!.fixedBy).toMatch(/^p[12]$/);
    });

    test('feed state merges keys', async () => {
      expect(await repos.advisories.getFeedState(SOURCE)).toEqual({});
      await repos.advisories.updateFeedState(SOURCE, { commit: 'c1', etag: 'W/"1"' });
      await repos.advisories.updateFeedState(SOURCE, { lastError: 'bad' });
      expect(await repos.advisories.getFeedState(SOURCE)).toEqual({ commit: 'c1', etag: 'W/"1"', lastError: 'bad' });
    });
  });
};
