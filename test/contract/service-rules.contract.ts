/**
 * The Aegir rules, exercised through the application services on a given store, so that every
 * guarantee (locking, no site on a locked platform, when Upgrade is offered, one schedule per Confirm)
 * holds on each persistence adapter, not only in pure functions.
 */
import { afterEach, beforeEach, describe, expect } from '@jest/globals';
import { contractTest } from '../support/mongo-wire-gaps.js';
import { ConflictError, NotFoundError, RuleViolationError, StaleError } from '../../src/domain/errors.js';
import type { JobQueue, Repositories } from '../../src/domain/ports.js';
import { createHarness, type Harness } from '../support/services-harness.js';
import { ADMIN, platformName, seedOpenSocial, type Seeded } from '../support/seed.js';

export type StoreFactory = () => Promise<{ repos: Repositories; jobs: JobQueue; cleanup(): Promise<void> }>;

const BOB = { kind: 'user' as const, id: 'UBOB', name: 'bob' };

export const serviceRulesContract = (name: string, factory: StoreFactory): void => {
  const test = contractTest('service rules', name);
  describe(`domain rules through services [${name}]`, () => {
    let h: Harness;
    let seeded: Seeded;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      const store = await factory();
      cleanup = store.cleanup;
      h = createHarness(store.repos, store.jobs);
      seeded = await seedOpenSocial(h.services, {
        versions: ['12.3.3', '12.4.1', '12.4.2'],
        sites: { '12.3.3': ['old.example.org'], '12.4.1': ['mid.example.org', 'mid2.example.org'], '12.4.2': ['new.example.org'] },
      });
    });
    afterEach(async () => cleanup());

    const status = async (version: string) => (await h.services.platforms.get(platformName('social', version))).status;

    test('designating a target locks every other ready platform of the distribution, and only those', async () => {
      const other = await h.services.distributions.create({ slug: 'other', title: 'Other' });
      const foreign = await h.services.platforms.register({ name: 'other-1', distribution: 'other', ref: '1', commit: 'a'.repeat(40) }, ADMIN);
      expect(await status('12.3.3')).toBe('locked');
      expect(await status('12.4.1')).toBe('locked');
      expect(await status('12.4.2')).toBe('ready');
      expect((await h.services.platforms.get(foreign.name)).status).toBe('ready');
      expect(other.targetPlatformId).toBeNull();
      // Re-choosing an older platform unlocks it and locks the previous target.
      const change = await h.services.distributions.setTarget('social', platformName('social', '12.4.1'), ADMIN);
      expect(change.changed).toBe(true);
      expect(change.unlocked).toEqual([seeded.platforms['12.4.1']!.id]);
      expect(change.locked).toEqual([seeded.platforms['12.4.2']!.id]);
      expect(await status('12.4.1')).toBe('ready');
      expect(await status('12.4.2')).toBe('locked');
      expect(await status('12.3.3')).toBe('locked');
      expect((await h.services.platforms.get(foreign.name)).status).toBe('ready');
    });

    test('a target change is announced once; setting the same target again announces nothing', async () => {
      const before = h.events.filter((e) => e.type === 'target.changed').length;
      await h.services.distributions.setTarget('social', platformName('social', '12.4.2'), ADMIN);
      expect(h.events.filter((e) => e.type === 'target.changed')).toHaveLength(before);
      await h.services.distributions.setTarget('social', platformName('social', '12.4.1'), BOB);
      const last = h.events.filter((e) => e.type === 'target.changed').at(-1);
      expect(last).toMatchObject({ previousTargetId: seeded.platforms['12.4.2']!.id, targetId: seeded.platforms['12.4.1']!.id, actor: BOB });
    });

    test("a target must be one of the distribution's own built platforms", async () => {
      await h.services.distributions.create({ slug: 'other', title: 'Other' });
      await h.services.platforms.register({ name: 'other-1', distribution: 'other', ref: '1', commit: 'b'.repeat(40) }, ADMIN);
      await expect(h.services.distributions.setTarget('social', 'other-1', ADMIN)).rejects.toThrow(RuleViolationError);
      const queued = await h.repos.platforms.create({
        name: 'social-next', distributionId: seeded.distribution.id, source: { ref: 'next', commit: 'c'.repeat(40) }, createdBy: { kind: 'poll' }, status: 'building',
      });
      await expect(h.services.distributions.setTarget('social', queued.name, ADMIN)).rejects.toThrow(/only a built/);
      await expect(h.services.distributions.setTarget('social', 'social-12.9.9', ADMIN)).rejects.toThrow(NotFoundError);
      expect((await h.services.distributions.get('social')).targetPlatformId).toBe(seeded.platforms['12.4.2']!.id);
    });

    test('no site can be created on a locked platform; the target takes new sites', async () => {
      await expect(h.services.sites.create({ name: 'x.example.org', platform: platformName('social', '12.3.3') }, ADMIN)).rejects.toThrow(RuleViolationError);
      expect(await h.repos.sites.getByName('x.example.org')).toBeNull();
      const ok = await h.services.sites.create({ name: 'x.example.org', platform: platformName('social', '12.4.2') }, ADMIN);
      expect(ok.site.platformId).toBe(seeded.platforms['12.4.2']!.id);
      await expect(h.services.sites.create({ name: 'x.example.org', platform: platformName('social', '12.4.2') }, ADMIN)).rejects.toThrow(ConflictError);
    });

    test('Upgrade is offered only for sites off the target', async () => {
      await expect(h.services.upgrades.propose({ kind: 'site', name: 'new.example.org' }, ADMIN)).rejects.toThrow(/already on the upgrade target/);
      const view = await h.services.upgrades.propose({ kind: 'site', name: 'old.example.org' }, ADMIN);
      expect(view.plan.moves).toEqual([{ siteId: seeded.sites['old.example.org']!.id, siteName: 'old.example.org', fromPlatformId: seeded.platforms['12.3.3']!.id }]);
      expect(view.target.id).toBe(seeded.platforms['12.4.2']!.id);
      const all = await h.services.upgrades.propose({ kind: 'distribution', slug: 'social' }, ADMIN);
      expect(all.plan.moves.map((m) => m.siteName).sort()).toEqual(['mid.example.org', 'mid2.example.org', 'old.example.org']);
      expect(all.groups.map((g) => g.from.name).sort()).toEqual([platformName('social', '12.3.3'), platformName('social', '12.4.1')]);
      const report = await h.services.distributions.status('social');
      expect(report[0]!.groups.flatMap((g) => g.sites.map((s) => s.name)).sort()).toEqual(['mid.example.org', 'mid2.example.org', 'old.example.org']);
      await expect(h.services.upgrades.propose({ kind: 'platform', name: platformName('social', '12.4.2') }, ADMIN)).rejects.toThrow(RuleViolationError);
    });

    test('a distribution without a target offers no upgrade', async () => {
      await h.services.distributions.create({ slug: 'bare', title: 'Bare' });
      const p = await h.services.platforms.register({ name: 'bare-1', distribution: 'bare', ref: '1', commit: 'd'.repeat(40) }, ADMIN);
      await h.services.sites.create({ name: 'bare.example.org', platform: p.name }, ADMIN);
      await expect(h.services.upgrades.propose({ kind: 'site', name: 'bare.example.org' }, ADMIN)).rejects.toThrow(/no upgrade target/);
    });

    test('Confirm schedules once: double click and concurrent confirms give one set of tasks', async () => {
      const view = await h.services.upgrades.propose({ kind: 'platform', name: platformName('social', '12.4.1') }, ADMIN);
      const outcomes = await Promise.all([1, 2, 3, 4, 5].map((i) => h.services.upgrades.confirm(view.plan.id, { kind: 'user', id: `U${i}` })));
      expect(outcomes.filter((o) => o.scheduled)).toHaveLength(1);
      const again = await h.services.upgrades.confirm(view.plan.id, BOB);
      expect(again.scheduled).toBe(false);
      const tasks = (await h.repos.tasks.list({ planId: view.plan.id })).items;
      expect(tasks).toHaveLength(2);
      expect(tasks.every((t) => t.type === 'migrate' && t.state === 'queued' && t.toPlatformId === seeded.platforms['12.4.2']!.id)).toBe(true);
      // A second plan for the same sites cannot start a second migration while the first is active.
      const second = await h.services.upgrades.propose({ kind: 'site', name: 'mid.example.org' }, ADMIN);
      const outcome = await h.services.upgrades.confirm(second.plan.id, ADMIN);
      expect(outcome.skipped).toEqual([{ site: 'mid.example.org', reason: 'a migration is already queued or running' }]);
      expect((await h.repos.tasks.list({ type: ['migrate'] })).total).toBe(2);
    });

    test('Confirm after the target changed is refused and the plan goes stale', async () => {
      const view = await h.services.upgrades.propose({ kind: 'site', name: 'old.example.org' }, ADMIN);
      await h.services.distributions.setTarget('social', platformName('social', '12.4.1'), ADMIN);
      await expect(h.services.upgrades.confirm(view.plan.id, ADMIN)).rejects.toThrow(StaleError);
      expect((await h.repos.plans.get(view.plan.id))!.state).toBe('stale');
      expect((await h.repos.tasks.list({})).total).toBe(0);
    });

    test('a cancelled plan cannot be confirmed, and a confirmed one cannot be cancelled', async () => {
      const a = await h.services.upgrades.propose({ kind: 'site', name: 'old.example.org' }, ADMIN);
      await h.services.upgrades.cancel(a.plan.id, ADMIN);
      await expect(h.services.upgrades.confirm(a.plan.id, ADMIN)).rejects.toThrow(ConflictError);
      const b = await h.services.upgrades.propose({ kind: 'site', name: 'old.example.org' }, ADMIN);
      await h.services.upgrades.confirm(b.plan.id, ADMIN);
      await expect(h.services.upgrades.cancel(b.plan.id, ADMIN)).rejects.toThrow(ConflictError);
    });

    test('a downgrade plan is blocked (Aegir refuses schema downgrades) and cannot be confirmed', async () => {
      await h.services.distributions.setTarget('social', platformName('social', '12.3.3'), ADMIN);
      const view = await h.services.upgrades.propose({ kind: 'site', name: 'new.example.org' }, ADMIN);
      expect(view.plan.blocked).toBe(true);
      expect(view.groups[0]!.compare.counts.downgrade).toBeGreaterThan(0);
      await expect(h.services.upgrades.confirm(view.plan.id, ADMIN)).rejects.toThrow(RuleViolationError);
      expect((await h.repos.tasks.list({})).total).toBe(0);
    });

    test('a queued task can be cancelled; a running one cannot', async () => {
      const view = await h.services.upgrades.propose({ kind: 'platform', name: platformName('social', '12.4.1') }, ADMIN);
      const { view: confirmed } = await h.services.upgrades.confirm(view.plan.id, ADMIN);
      const [first, second] = confirmed.tasks;
      const cancelled = await h.services.tasks.cancel(String(first!.number), BOB);
      expect(cancelled.state).toBe('cancelled');
      await h.repos.tasks.transition(second!.id, ['queued'], 'processing', { startedAt: new Date() });
      await expect(h.services.tasks.cancel(`#${second!.number}`, BOB)).rejects.toThrow(/already running/);
      await expect(h.services.tasks.cancel('nope', BOB)).rejects.toThrow(/not a task number/);
      await expect(h.services.tasks.cancel('99999', BOB)).rejects.toThrow(NotFoundError);
    });

    test('a target change decided on an older target is refused (compare-and-set)', async () => {
      const stale = seeded.platforms['12.4.1']!.id;
      await expect(
        h.services.distributions.setTarget('social', platformName('social', '12.3.3'), ADMIN, { expectedTargetId: stale }),
      ).rejects.toThrow(ConflictError);
      expect((await h.services.distributions.get('social')).targetPlatformId).toBe(seeded.platforms['12.4.2']!.id);
      const ok = await h.services.distributions.setTarget('social', platformName('social', '12.3.3'), ADMIN, {
        expectedTargetId: seeded.platforms['12.4.2']!.id,
      });
      expect(ok.changed).toBe(true);
    });

    test('unknown names suggest the closest match', async () => {
      await expect(h.services.sites.get('old.exampel.org')).rejects.toMatchObject({ suggestion: 'old.example.org' });
      await expect(h.services.distributions.get('socail')).rejects.toMatchObject({ suggestion: 'social' });
    });
  });
};
