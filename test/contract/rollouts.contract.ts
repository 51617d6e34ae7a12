/**
 * The rollout contract, run over every store: the RolloutStore port itself (numbers, one rollout per plan,
 * compare-and-set on version, dates round-trip) and the rollout service on it — waves, a failing canary that
 * pauses the rollout and starts nothing else, resume after the fix, a maintenance window that defers a wave
 * (injectable clock), cancel, and a wave start that crashed half-way being repaired without a second migration.
 * Migrations are not run here (the queue is not started): tests end tasks themselves, as a worker would.
 */
import { afterEach, beforeEach, describe, expect } from '@jest/globals';
import type { Actor } from '../../src/domain/actor.js';
import { ConflictError, ValidationError } from '../../src/domain/errors.js';
import { MIGRATE_JOB, ROLLOUT_ADVANCE_JOB } from '../../src/domain/jobs.js';
import type { Repositories } from '../../src/domain/ports.js';
import { assignWaves, type NewRollout } from '../../src/domain/rollout.js';
import type { RolloutPolicy } from '../../src/domain/rollout-policy.js';
import type { Task } from '../../src/domain/task.js';
import { createServices } from '../../src/services/create-services.js';
import { EventBus } from '../../src/services/event-bus.js';
import type { Services } from '../../src/services/services.js';
import { contractTest } from '../support/mongo-wire-gaps.js';
import { ADMIN, seedOpenSocial, type Seeded } from '../support/seed.js';
import type { StoreInstance } from '../support/stores.js';

const BOB: Actor = { kind: 'user', id: 'U0BOB', name: 'bob', via: 'slack' };
const SITES = ['a.example.org', 'b.example.org', 'c.example.org', 'd.example.org', 'e.example.org'];

/** Enqueued jobs are observed through the queue port: a wrapper records them. */
interface Recorded {
  name: string;
  data: unknown;
  key?: string;
  runAt?: Date;
}

export const rolloutContract = (label: string, create: () => Promise<StoreInstance>): void => {
  const test = contractTest('rollouts', label);
  describe(`Rollout contract [${label}]`, () => {
    let instance: StoreInstance;
    let repos: Repositories;
    let services: Services;
    let seeded: Seeded;
    let now: Date;
    let enqueued: Recorded[];

    beforeEach(async () => {
      instance = await create();
      repos = instance.repos;
      now = new Date('2026-03-29T12:00:00Z'); // a Sunday
      enqueued = [];
      const jobs = instance.jobs;
      const recording = Object.assign(Object.create(jobs) as typeof jobs, {
        enqueue: async <T>(name: string, data: T, options: { uniqueKey?: string; runAt?: Date } = {}) => {
          enqueued.push({ name, data, ...(options.uniqueKey ? { key: options.uniqueKey } : {}), ...(options.runAt ? { runAt: options.runAt } : {}) });
          return jobs.enqueue(name, data, options);
        },
      });
      services = createServices({
        repos,
        jobs: recording,
        events: new EventBus(),
        links: { secret: 'rollout-contract-secret-0123456789', ttlMs: 60_000, publicUrl: 'http://127.0.0.1:1' },
        clock: { now: () => now },
      });
      seeded = await seedOpenSocial(services, { versions: ['12.3.3', '12.4.2'], sites: { '12.3.3': SITES } });
    });
    afterEach(async () => instance.cleanup());

    const setPolicy = (rollout: RolloutPolicy) => services.distributions.update('social', { policy: { rollout } });
    const confirmPlatform = async () => {
      const view = await services.upgrades.propose({ kind: 'platform', name: 'social-12.3.3' }, ADMIN);
      await services.upgrades.confirm(view.plan.id, BOB);
      return (await services.rollouts.getByPlan(view.plan.id))!;
    };
    const tasksOfPlan = async (planId: string): Promise<Task[]> => (await repos.tasks.list({ planId }, { limit: 100, offset: 0 })).items;
    /** Ends a task as a worker would (queued → processing → final). */
    const end = async (task: Task, state: 'succeeded' | 'failed', error: string | null = null) => {
      expect(await repos.tasks.claim(task.id, 'worker', new Date(Date.now() + 60_000), new Date())).not.toBeNull();
      expect(await repos.tasks.transition(task.id, ['processing'], state, { error, finishedAt: now, lease: null })).not.toBeNull();
    };
    const newRollout = (planId: string): NewRollout => ({
      planId,
      distributionId: seeded.distribution.id,
      targetPlatformId: seeded.platforms['12.4.2']!.id,
      waves: assignWaves(SITES.map((n, i) => ({ siteId: `s${i}`, siteName: n, fromPlatformId: 'p' })), { canaries: 1, batchSize: 2 }),
      failureThreshold: 0.25,
      createdBy: ADMIN,
    });

    test('the store numbers rollouts, keeps one per plan, finds them, lists newest first and round-trips dates', async () => {
      const first = await repos.rollouts.create(newRollout('plan-1'));
      const second = await repos.rollouts.create(newRollout('plan-2'));
      expect([first.number, second.number]).toEqual([1, 2]);
      expect(first).toMatchObject({ state: 'scheduled', version: 1, failureThreshold: 0.25, pausedBy: null, reason: null, waitingUntil: null });
      expect(first.waves.map((w) => w.sites.map((s) => s.siteName))).toEqual([['a.example.org'], ['b.example.org', 'c.example.org'], ['d.example.org', 'e.example.org']]);
      await expect(repos.rollouts.create(newRollout('plan-1'))).rejects.toThrow(ConflictError);
      expect((await repos.rollouts.getByNumber(2))?.id).toBe(second.id);
      expect((await repos.rollouts.getByPlan('plan-1'))?.id).toBe(first.id);
      expect(await repos.rollouts.get('ffffffffffffffffffffffff')).toBeNull();
      const started = new Date('2026-03-30T01:02:03.004Z');
      const waves = first.waves.map((w) => (w.index === 0 ? { ...w, state: 'running' as const, startedAt: started } : w));
      const updated = await repos.rollouts.update(first.id, 1, { state: 'paused', waves, pausedBy: BOB, pausedAt: started, waitingUntil: started });
      const read = (await repos.rollouts.get(first.id))!;
      expect(read).toEqual(updated);
      expect(read.waves[0]!.startedAt).toEqual(started);
      expect(read.pausedAt).toEqual(started);
      expect(read).toMatchObject({ state: 'paused', version: 2, pausedBy: BOB });
      const list = await repos.rollouts.list({}, { limit: 10, offset: 0 });
      expect(list.items.map((r) => r.number)).toEqual([2, 1]);
      expect(list.total).toBe(2);
      expect((await repos.rollouts.list({ state: ['paused'] }, { limit: 10, offset: 0 })).items.map((r) => r.number)).toEqual([1]);
      expect((await repos.rollouts.list({ distributionId: 'other' }, { limit: 10, offset: 0 })).total).toBe(0);
    });

    test('security rollouts: the mark round-trips; an advisory event starts at most one automatic rollout per distribution', async () => {
      const plain = await repos.rollouts.create(newRollout('plan-plain'));
      expect(plain.security).toBeNull();
      expect((await repos.rollouts.get(plain.id))!.security).toBeNull();
      const event = 'e'.repeat(24);
      // A person's security rollouts may answer the same event (different scopes): no key.
      const manual = await repos.rollouts.create({ ...newRollout('plan-manual-1'), security: { advisoryEventId: event, automatic: false } });
      await repos.rollouts.create({ ...newRollout('plan-manual-2'), security: { advisoryEventId: event, automatic: false } });
      expect((await repos.rollouts.get(manual.id))!.security).toEqual({ advisoryEventId: event, automatic: false });
      expect(await repos.rollouts.getAutomatic(event, seeded.distribution.id)).toBeNull();
      const auto = await repos.rollouts.create({ ...newRollout('plan-auto-1'), security: { advisoryEventId: event, automatic: true } });
      expect(auto.security).toEqual({ advisoryEventId: event, automatic: true });
      expect(await repos.rollouts.getAutomatic(event, seeded.distribution.id)).toEqual(auto);
      await expect(repos.rollouts.create({ ...newRollout('plan-auto-2'), security: { advisoryEventId: event, automatic: true } })).rejects.toThrow(ConflictError);
      // Another distribution, or another event, has its own.
      expect(await repos.rollouts.getAutomatic(event, 'other')).toBeNull();
      await repos.rollouts.create({ ...newRollout('plan-auto-3'), distributionId: 'other', security: { advisoryEventId: event, automatic: true } });
      await repos.rollouts.create({ ...newRollout('plan-auto-4'), security: { advisoryEventId: 'f'.repeat(24), automatic: true } });
      expect((await repos.rollouts.getAutomatic(event, 'other'))!.planId).toBe('plan-auto-3');
      expect((await repos.rollouts.list({}, { limit: 20, offset: 0 })).total).toBe(6);
    });

    test('compare-and-set: of 10 updates from one version exactly one wins, and a stale version changes nothing', async () => {
      const r = await repos.rollouts.create(newRollout('plan-cas'));
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => repos.rollouts.update(r.id, 1, { reason: `writer ${i}` })));
      const winners = results.filter((x) => x !== null);
      expect(winners).toHaveLength(1);
      const stored = (await repos.rollouts.get(r.id))!;
      expect(stored.reason).toBe(winners[0]!.reason);
      expect(stored.version).toBe(2);
      expect(await repos.rollouts.update(r.id, 1, { reason: 'late' })).toBeNull();
      expect((await repos.rollouts.get(r.id))!.reason).toBe(winners[0]!.reason);
    });

    test('3 waves: a failing canary pauses the rollout and nothing else starts; resume after the fix finishes it, each site migrated once', async () => {
      await setPolicy({ waves: { canaries: 1, batchSize: 2 } });
      const rollout = await confirmPlatform();
      expect(rollout.waves.map((w) => [w.canary, w.sites.map((s) => s.siteName)])).toEqual([
        [true, ['a.example.org']],
        [false, ['b.example.org', 'c.example.org']],
        [false, ['d.example.org', 'e.example.org']],
      ]);
      expect(rollout.state).toBe('running');
      const [canary, ...others] = await tasksOfPlan(rollout.planId);
      expect(others).toEqual([]);
      expect(canary!.subject.name).toBe('a.example.org');
      expect(enqueued.filter((j) => j.name === MIGRATE_JOB).map((j) => j.data)).toEqual([{ taskId: canary!.id }]);

      // Advancing while the canary runs does nothing.
      expect(await services.rollouts.advance(rollout.id)).toBe('idle');
      await end(canary!, 'failed', 'Health check failed: http://a.example.org/ answered 500, expected 200');
      expect(await services.rollouts.advance(rollout.id)).toBe('paused');
      const paused = await services.rollouts.get(String(rollout.number));
      expect(paused).toMatchObject({ state: 'paused', pausedBy: { kind: 'system' } });
      expect(paused.reason).toContain('Wave 1 (canary): 1 of 1 site failed');
      expect(paused.reason).toContain('a.example.org: Health check failed');
      expect(await tasksOfPlan(rollout.planId)).toHaveLength(1);
      expect(await services.rollouts.advance(rollout.id)).toBe('idle');
      expect(await tasksOfPlan(rollout.planId)).toHaveLength(1);

      // Wrong-state actions name the state.
      await expect(services.rollouts.pause(rollout.id, BOB)).rejects.toThrow(/is paused; it can be paused only when scheduled or running/);
      const resumed = await services.rollouts.resume(String(rollout.number), BOB);
      expect(resumed).toMatchObject({ state: 'running', resumedBy: BOB, reason: null });
      expect(resumed.waves[0]!.sites[0]!.attempts).toEqual([canary!.id]);
      await expect(services.rollouts.resume(rollout.id, BOB)).rejects.toThrow(ConflictError);
      expect(enqueued.some((j) => j.name === ROLLOUT_ADVANCE_JOB && j.key?.includes(':resume:'))).toBe(true);

      // The resume's advance job tries the canary again; then waves 2 and 3, each only after the previous one.
      expect(await services.rollouts.advance(rollout.id)).toBe('wave-started');
      let tasks = await tasksOfPlan(rollout.planId);
      const retry = tasks.find((t) => t.id !== canary!.id)!;
      expect(retry.subject.name).toBe('a.example.org');
      expect(tasks).toHaveLength(2);
      await end(retry, 'succeeded');
      expect(await services.rollouts.advance(rollout.id)).toBe('wave-started');
      tasks = await tasksOfPlan(rollout.planId);
      const wave2 = tasks.filter((t) => t.state === 'queued');
      expect(wave2.map((t) => t.subject.name).sort()).toEqual(['b.example.org', 'c.example.org']);
      for (const t of wave2) await end(t, 'succeeded');
      expect(await services.rollouts.advance(rollout.id)).toBe('wave-started');
      const wave3 = (await tasksOfPlan(rollout.planId)).filter((t) => t.state === 'queued');
      expect(wave3.map((t) => t.subject.name).sort()).toEqual(['d.example.org', 'e.example.org']);
      for (const t of wave3) await end(t, 'succeeded');
      expect(await services.rollouts.advance(rollout.id)).toBe('done');
      const done = (await repos.rollouts.get(rollout.id))!;
      expect(done.state).toBe('done');
      expect(done.finishedAt).toEqual(now);
      const succeeded = (await tasksOfPlan(rollout.planId)).filter((t) => t.state === 'succeeded').map((t) => t.subject.name).sort();
      expect(succeeded).toEqual(SITES);
      // The plan lists every task, so the summary shows them all.
      expect((await repos.plans.get(rollout.planId))!.taskIds).toHaveLength(6);
    });

    test('a failure within the threshold does not pause; a failing last wave ends the rollout as failed', async () => {
      await setPolicy({ waves: { batchSize: 2 }, failureThreshold: 0.5 });
      const rollout = await confirmPlatform();
      const [a, b] = await tasksOfPlan(rollout.planId);
      await end(a!, 'failed', 'post-migrate failed');
      await end(b!, 'succeeded');
      expect(await services.rollouts.advance(rollout.id)).toBe('wave-started');
      const next = (await tasksOfPlan(rollout.planId)).filter((t) => t.state === 'queued');
      for (const t of next) await end(t, 'failed', 'verify failed');
      // 2 of 2 failed, above 50%: paused before the last wave.
      expect(await services.rollouts.advance(rollout.id)).toBe('paused');
      await services.rollouts.resume(rollout.id, BOB);
      await services.rollouts.advance(rollout.id);
      for (const t of (await tasksOfPlan(rollout.planId)).filter((x) => x.state === 'queued')) await end(t, 'succeeded');
      await services.rollouts.advance(rollout.id);
      const last = (await tasksOfPlan(rollout.planId)).filter((t) => t.state === 'queued');
      expect(last.map((t) => t.subject.name)).toEqual(['e.example.org']);
      await end(last[0]!, 'failed', 'health check failed');
      expect(await services.rollouts.advance(rollout.id)).toBe('done');
      expect((await repos.rollouts.get(rollout.id))!).toMatchObject({ state: 'failed' });
      // Resumable: the last wave's failed site is tried again, and the rollout ends done once it succeeds.
      expect(await services.rollouts.resume(rollout.id, BOB)).toMatchObject({ state: 'running', finishedAt: null });
      expect(await services.rollouts.advance(rollout.id)).toBe('wave-started');
      const retried = (await tasksOfPlan(rollout.planId)).filter((t) => t.state === 'queued');
      expect(retried.map((t) => t.subject.name)).toEqual(['e.example.org']);
      expect(retried[0]!.id).not.toBe(last[0]!.id);
      await end(retried[0]!, 'succeeded');
      expect(await services.rollouts.advance(rollout.id)).toBe('done');
      expect((await repos.rollouts.get(rollout.id))!).toMatchObject({ state: 'done' });
      await expect(services.rollouts.resume(rollout.id, BOB)).rejects.toThrow(/is done/);
    });

    test('a site pinned after Confirm is held out when its wave starts, with the pin as the reason', async () => {
      await setPolicy({ waves: { canaries: 1, batchSize: 4 } });
      const rollout = await confirmPlatform();
      const [canary] = await tasksOfPlan(rollout.planId);
      expect(canary!.subject.name).toBe('a.example.org');
      await services.holds.set('site', 'c.example.org', 'waiting for client sign-off', BOB);
      await end(canary!, 'succeeded');
      expect(await services.rollouts.advance(rollout.id)).toBe('wave-started');
      const started = (await tasksOfPlan(rollout.planId)).filter((t) => t.state === 'queued').map((t) => t.subject.name).sort();
      expect(started).toEqual(['b.example.org', 'd.example.org', 'e.example.org']);
      const plan = await repos.plans.get(rollout.planId);
      expect(plan!.skipped).toContainEqual({ site: 'c.example.org', reason: 'pinned by bob: waiting for client sign-off' });
    });

    test('a maintenance window defers the first wave until it opens (injectable clock), and says when', async () => {
      await setPolicy({ windows: ['Mon 01:00-02:00 Europe/Amsterdam'] });
      const rollout = await confirmPlatform();
      // Sunday 29 March 2026 12:00 UTC; Amsterdam moved to summer time that night, so Monday 01:00 is 23:00 UTC Sunday.
      expect(rollout).toMatchObject({ state: 'running', waitingUntil: new Date('2026-03-29T23:00:00Z') });
      expect(rollout.reason).toContain('Waiting for a maintenance window (Mon 01:00-02:00 Europe/Amsterdam)');
      expect(await tasksOfPlan(rollout.planId)).toEqual([]);
      const scheduled = enqueued.filter((j) => j.name === ROLLOUT_ADVANCE_JOB);
      expect(scheduled.map((j) => j.runAt)).toEqual([new Date('2026-03-29T23:00:00Z')]);
      // The job may run early (a restart advances every rollout): still nothing.
      expect(await services.rollouts.advance(rollout.id)).toBe('waiting-for-window');
      expect(await tasksOfPlan(rollout.planId)).toEqual([]);
      now = new Date('2026-03-29T23:30:00Z');
      expect(await services.rollouts.advance(rollout.id)).toBe('wave-started');
      const tasks = await tasksOfPlan(rollout.planId);
      expect(tasks).toHaveLength(SITES.length);
      expect((await repos.rollouts.get(rollout.id))!.waitingUntil).toBeNull();
      // The window closes before the queued migrations got a slot: they wait for the next one.
      now = new Date('2026-03-30T00:00:00Z');
      expect(await services.rollouts.mayStart(tasks[0]!.id)).toBe(false);
      expect((await repos.rollouts.get(rollout.id))!.waitingUntil).toEqual(new Date('2026-04-05T23:00:00Z'));
    });

    test('a policy change takes effect at once: a widened window starts the waiting wave, waves and threshold are re-planned, the rollout notes what changed', async () => {
      await setPolicy({ windows: ['Mon 01:00-02:00 UTC'], waves: { canaries: 1, batchSize: 4 } });
      const rollout = await confirmPlatform();
      expect(rollout).toMatchObject({ state: 'running', waitingUntil: new Date('2026-03-30T01:00:00Z') });
      expect(rollout.waves.map((w) => w.sites.length)).toEqual([1, 4]);
      expect(rollout.reason).toContain('continues Mon 01:00 UTC');
      enqueued.length = 0;
      // The window now contains the present; the batches get smaller; failures up to half a wave are accepted.
      await services.distributions.update('social', { policy: { rollout: { windows: ['Sun 11:00-13:00 UTC'], waves: { canaries: 1, batchSize: 2 }, failureThreshold: 0.5 } } }, BOB);
      const changed = (await repos.rollouts.get(rollout.id))!;
      expect(changed.failureThreshold).toBe(0.5);
      expect(changed.waves.map((w) => w.sites.length)).toEqual([1, 2, 2]);
      expect(changed.notes).toHaveLength(1);
      expect(changed.notes![0]).toMatchObject({ by: BOB, at: now });
      expect(changed.notes![0]!.text).toContain('windows ["Mon 01:00-02:00 UTC"] → ["Sun 11:00-13:00 UTC"]');
      expect(changed.notes![0]!.text).toContain('waves.batchSize 4 → 2');
      expect(changed.notes![0]!.text).toContain('failureThreshold — → 0.5');
      // An advance is enqueued to run now (no runAt), and it starts the canary wave.
      const advances = enqueued.filter((j) => j.name === ROLLOUT_ADVANCE_JOB);
      expect(advances).toHaveLength(1);
      expect(advances[0]!.runAt).toBeUndefined();
      expect(await services.rollouts.advance(rollout.id)).toBe('wave-started');
      expect((await tasksOfPlan(rollout.planId)).map((t) => t.subject.name)).toEqual(['a.example.org']);
      // A change that is not a rollout setting leaves rollouts alone.
      await services.distributions.update('social', { policy: { pollIntervalMinutes: 5 } }, BOB);
      expect((await repos.rollouts.get(rollout.id))!.notes).toHaveLength(1);
    });

    test('bake time: the next wave starts only bakeMinutes after the previous one finished, and a shorter bake ends the wait', async () => {
      await setPolicy({ waves: { canaries: 1 }, bakeMinutes: 60 });
      const rollout = await confirmPlatform();
      const [canary] = await tasksOfPlan(rollout.planId);
      await end(canary!, 'succeeded');
      expect(await services.rollouts.advance(rollout.id)).toBe('baking');
      const baking = (await repos.rollouts.get(rollout.id))!;
      expect(baking).toMatchObject({ state: 'running', waitingUntil: new Date('2026-03-29T13:00:00Z') });
      expect(baking.reason).toMatch(/^Baking after wave 1 \(60 min between waves\); wave 2 starts Sun 13:00 UTC/);
      expect(enqueued.filter((j) => j.name === ROLLOUT_ADVANCE_JOB && j.runAt?.getTime() === new Date('2026-03-29T13:00:00Z').getTime())).toHaveLength(1);
      expect(await tasksOfPlan(rollout.planId)).toHaveLength(1);
      now = new Date('2026-03-29T12:30:00Z');
      expect(await services.rollouts.advance(rollout.id)).toBe('baking');
      await services.distributions.update('social', { policy: { rollout: { waves: { canaries: 1 }, bakeMinutes: 15 } } }, BOB);
      expect(await services.rollouts.advance(rollout.id)).toBe('wave-started');
      expect(await tasksOfPlan(rollout.planId)).toHaveLength(SITES.length);
      expect((await repos.rollouts.get(rollout.id))!).toMatchObject({ waitingUntil: null, reason: null });
    });

    test("a site's own window overrides the distribution's: its migration starts, the others wait for theirs", async () => {
      await setPolicy({ windows: ['Mon 01:00-02:00 UTC'], siteWindows: { 'c.example.org': ['Sun 11:00-13:00 UTC'] } });
      const rollout = await confirmPlatform();
      // c's window is open (Sunday 12:00 UTC): the wave starts; each migration then waits for its own site's window.
      expect(rollout).toMatchObject({ state: 'running', waitingUntil: null });
      const tasks = await tasksOfPlan(rollout.planId);
      expect(tasks).toHaveLength(SITES.length);
      const byName = new Map(tasks.map((t) => [t.subject.name, t]));
      expect(await services.rollouts.mayStart(byName.get('c.example.org')!.id)).toBe(true);
      expect(await services.rollouts.mayStart(byName.get('a.example.org')!.id)).toBe(false);
      const waiting = (await repos.rollouts.get(rollout.id))!;
      expect(waiting.waitingUntil).toEqual(new Date('2026-03-30T01:00:00Z'));
      expect(waiting.reason).toContain('a.example.org: Mon 01:00-02:00 UTC');
    });

    test('pause holds queued migrations back; cancel cancels them and records who', async () => {
      const rollout = await confirmPlatform();
      const tasks = await tasksOfPlan(rollout.planId);
      expect(tasks).toHaveLength(SITES.length);
      expect(await services.rollouts.mayStart(tasks[0]!.id)).toBe(true);
      const paused = await services.rollouts.pause(rollout.id, BOB);
      expect(paused).toMatchObject({ state: 'paused', pausedBy: BOB, pausedAt: now });
      expect(await services.rollouts.mayStart(tasks[0]!.id)).toBe(false);
      await end(tasks[1]!, 'succeeded'); // was already running when paused
      const cancelled = await services.rollouts.cancel(String(rollout.number), BOB);
      expect(cancelled).toMatchObject({ state: 'cancelled', cancelledBy: BOB, cancelledAt: now });
      const after = await tasksOfPlan(rollout.planId);
      expect(after.filter((t) => t.state === 'cancelled')).toHaveLength(SITES.length - 1);
      expect(after.filter((t) => t.state === 'succeeded')).toHaveLength(1);
      await expect(services.rollouts.cancel(rollout.id, BOB)).rejects.toThrow(/is cancelled/);
      expect(await services.rollouts.advance(rollout.id)).toBe('final');
      await expect(services.rollouts.get('not-a-number')).rejects.toThrow(ValidationError);
    });

    test('a wave start that died after making a task but before recording it adopts that task: no second migration', async () => {
      await setPolicy({ waves: { canaries: 1 } });
      const rollout = await confirmPlatform();
      const [canary] = await tasksOfPlan(rollout.planId);
      await end(canary!, 'succeeded');
      // As a crashed start on MongoDB (no transaction) would leave it: b's task exists, the rollout does not know it.
      const site = seeded.sites['b.example.org']!;
      const orphan = await repos.tasks.create({
        type: 'migrate',
        subject: { kind: 'site', id: site.id, name: site.name },
        fromPlatformId: site.platformId,
        toPlatformId: rollout.targetPlatformId,
        planId: rollout.planId,
        requestedBy: ADMIN,
      });
      expect(await services.rollouts.advance(rollout.id)).toBe('wave-started');
      const tasks = await tasksOfPlan(rollout.planId);
      const forB = tasks.filter((t) => t.subject.name === 'b.example.org');
      expect(forB.map((t) => t.id)).toEqual([orphan.id]);
      expect(tasks).toHaveLength(SITES.length);
      const wave = (await repos.rollouts.get(rollout.id))!.waves[1]!;
      expect(wave.sites.find((s) => s.siteName === 'b.example.org')!.taskId).toBe(orphan.id);
    });

    test('two advances at once (two workers) start a wave once: one task per site, all recorded', async () => {
      await setPolicy({ waves: { canaries: 1 } });
      const rollout = await confirmPlatform();
      const [canary] = await tasksOfPlan(rollout.planId);
      await end(canary!, 'succeeded');
      await Promise.all([services.rollouts.advance(rollout.id), services.rollouts.advance(rollout.id), services.rollouts.advance(rollout.id)]);
      const tasks = await tasksOfPlan(rollout.planId);
      expect(tasks.map((t) => t.subject.name).sort()).toEqual(SITES);
      const wave = (await repos.rollouts.get(rollout.id))!.waves[1]!;
      expect(wave.sites.map((s) => s.taskId).sort()).toEqual(tasks.filter((t) => t.subject.name !== 'a.example.org').map((t) => t.id).sort());
    });
  });
};
