/**
 * Rollouts (src/domain/rollout.ts): Confirm makes one from a plan, `advance` (the rollout.advance job) moves it
 * wave by wave, and people pause, resume or cancel it. Every change is a compare-and-set on the rollout's version
 * computed by a pure function, committed before anything acts on it; each method here is the single place its
 * change happens (the audit log hooks in here). Durable by construction: starting a wave creates its tasks, their
 * jobs and the wave record in one transaction (embedded store); on MongoDB a crash between them is repaired by the
 * next advance, which adopts the wave's tasks already made for the plan instead of making new ones — so no site is
 * ever migrated twice.
 */
import type { Hold } from '../domain/hold.js';
import { describeActor, type Actor } from '../domain/actor.js';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.js';
import {
  MIGRATE_JOB,
  migrateJobKey,
  ROLLOUT_ADVANCE_JOB,
  rolloutAdvanceKey,
  type MigrateJobData,
  type RolloutAdvanceJobData,
} from '../domain/jobs.js';
import { describeWindows, formatInZone, nextOpening, type MaintenanceWindow } from '../domain/maintenance-window.js';
import type { AuditDetails } from '../domain/audit.js';
import { skipsWindows, type RolloutSecurity } from '../domain/security-policy.js';
import type { AuditLog } from './audit-log.js';
import type { HoldService } from './hold-service.js';
import { windowsForSite, type RolloutPolicy } from '../domain/rollout-policy.js';
import { ALL_ITEMS, type Clock, type DomainEvent, type EventPublisher, type JobQueue, type Page, type PageRequest, type Repositories, type RolloutFilter } from '../domain/ports.js';
import {
  assignWaves,
  BAKE_REASON_PREFIX,
  currentWave,
  MAX_ROLLOUT_NOTES,
  replanPendingWaves,
  exceedsThreshold,
  isFinalRollout,
  rolloutAction,
  type Rollout,
  type RolloutAction,
  type RolloutPatch,
  type StartGate,
  type Wave,
  type WaveSite,
} from '../domain/rollout.js';
import type { Site } from '../domain/site.js';
import { isActive, type Task } from '../domain/task.js';
import type { PlanSkip, PlannedMove, UpgradePlan } from '../domain/upgrade-plan.js';
import { crashPoint } from '../lib/crash-point.js';
import { plural } from '../lib/plural.js';
import { errorSummary } from '../lib/error-summary.js';
import { mustGet } from './lookup.js';

export interface RolloutServiceDeps {
  repos: Repositories;
  jobs: JobQueue;
  events: EventPublisher;
  /** Records pause / resume / cancel with who did it (in the same commit on the embedded store). */
  audit: AuditLog;
  /** Pinned sites are left out of a rollout, at Confirm and when their wave starts. */
  holds: HoldService;
  clock?: Clock;
}

/** Longest reason a rollout records (a pause names each failed site with its error, as many as fit). */
const MAX_REASON_CHARS = 2000;

/** How often a compare-and-set that lost a race is tried again before giving up (a busy rollout). */
const CAS_TRIES = 20;

/** What advance did, for logs and tests. */
export type AdvanceResult = 'idle' | 'waiting-for-window' | 'baking' | 'wave-started' | 'paused' | 'done' | 'final';

export class RolloutService {
  private readonly clock: Clock;

  constructor(private readonly deps: RolloutServiceDeps) {
    this.clock = deps.clock ?? { now: () => new Date() };
  }

  private get repos(): Repositories {
    return this.deps.repos;
  }

  // ---------------------------------------------------------------- reads

  /** Accepts a rollout number (`3`, `#3`) or id. */
  async get(key: string): Promise<Rollout> {
    const trimmed = key.trim().replace(/^#/, '');
    const rollout = /^\d{1,9}$/.test(trimmed)
      ? await this.repos.rollouts.getByNumber(Number(trimmed))
      : /^[a-f0-9]{24}$/.test(trimmed)
        ? await this.repos.rollouts.get(trimmed)
        : null;
    if (rollout) return rollout;
    if (!/^\d{1,9}$/.test(trimmed) && !/^[a-f0-9]{24}$/.test(trimmed)) {
      throw new ValidationError(`\`${key.slice(0, 40)}\` is not a rollout number.`, ['rollout: a rollout number, e.g. 3'], {
        hint: 'Use the number shown on the upgrade summary, e.g. `pause 3`.',
      });
    }
    throw new NotFoundError('rollout', key.slice(0, 40));
  }

  getByPlan(planId: string): Promise<Rollout | null> {
    return this.repos.rollouts.getByPlan(planId);
  }

  list(filter: RolloutFilter, page: PageRequest): Promise<Page<Rollout>> {
    return this.repos.rollouts.list(filter, page);
  }

  /** The tasks of every wave, by id. */
  async tasksOf(rollout: Rollout): Promise<Map<string, Task>> {
    const ids = rollout.waves.flatMap((w) => w.sites.map((s) => s.taskId)).filter((id): id is string => id !== null);
    return new Map((await this.repos.tasks.getMany(ids)).map((t) => [t.id, t]));
  }

  // ---------------------------------------------------------------- Confirm

  /**
   * Makes the rollout of a just-confirmed plan (called inside Confirm's transaction): the movable sites in waves
   * as the distribution's policy says, and starts the first wave now if a window is open. Returns the sites left
   * out (moved or deleted since the summary).
   */
  async createForPlan(plan: UpgradePlan, actor: Actor, security: RolloutSecurity | null = null): Promise<{ rollout: Rollout; skipped: PlanSkip[] }> {
    const distribution = await mustGet('distribution', plan.distributionId, (id) => this.repos.distributions.get(id));
    const policy = distribution.policy.rollout ?? {};
    const skipped: PlanSkip[] = [];
    const moves: PlannedMove[] = [];
    const current = new Map((await this.repos.sites.getMany(plan.moves.map((m) => m.siteId))).map((s) => [s.id, s]));
    const pins = await this.deps.holds.map('site', plan.moves.map((m) => m.siteId));
    for (const move of plan.moves) {
      const site = current.get(move.siteId);
      const pin = pins.get(move.siteId);
      if (!site || site.platformId !== move.fromPlatformId) skipped.push({ site: move.siteName, reason: site ? 'moved to another platform since the summary' : 'deleted' });
      else if (pin) skipped.push({ site: move.siteName, reason: `pinned by ${describeActor(pin.by)}: ${pin.reason}` });
      else moves.push(move);
    }
    const rollout = await this.repos.rollouts.create({
      planId: plan.id,
      distributionId: plan.distributionId,
      targetPlatformId: plan.targetPlatformId,
      waves: assignWaves(moves, policy.waves ?? {}),
      failureThreshold: policy.failureThreshold ?? 0,
      createdBy: actor,
      security,
    });
    await this.repos.plans.setTaskIds(plan.id, [], skipped);
    // Inside Confirm's transaction: no events here (Confirm publishes plan.updated once it is committed).
    const started = await this.step(rollout, actor, []);
    // The first wave's start may have left more sites out (a migration of the site already queued or running).
    return { rollout: started.rollout, skipped: (await this.repos.plans.get(plan.id))?.skipped ?? skipped };
  }

  // ---------------------------------------------------------------- people

  pause(key: string, actor: Actor): Promise<Rollout> {
    return this.act(key, 'pause', actor);
  }

  resume(key: string, actor: Actor): Promise<Rollout> {
    return this.act(key, 'resume', actor);
  }

  cancel(key: string, actor: Actor): Promise<Rollout> {
    return this.act(key, 'cancel', actor);
  }

  /**
   * Pause: running migrations finish, queued ones wait (the migrate job's gate, asked again in one transaction with
   * a migration's first change) and no wave starts. Resume (of a paused rollout, or of one whose last wave failed):
   * the sites that failed in the wave that stopped it are tried again (the fix is what the resume is for), then the
   * rollout goes on. Cancel: queued migrations are cancelled, running ones finish.
   */
  private async act(key: string, action: RolloutAction, actor: Actor): Promise<Rollout> {
    let rollout = await this.get(key);
    for (let i = 0; i < CAS_TRIES; i++) {
      const now = this.clock.now();
      const patch = rolloutAction(rollout, action, actor, now);
      if (action === 'resume') patch.waves = await this.retryFailed(rollout);
      const updated = await this.deps.audit.change(
        () => this.repos.rollouts.update(rollout.id, rollout.version, patch),
        (u) => (u ? { actor, action: `rollout.${action}` as const, subject: { kind: 'rollout' as const, id: u.id, name: `#${u.number}` }, details: { state: u.state } } : null),
      );
      if (updated) {
        crashPoint(`rollout:${action}:committed`);
        if (action === 'cancel') await this.cancelQueued(updated, actor);
        if (action === 'resume') await this.enqueueAdvance(updated, `resume:${updated.version}`);
        await this.deps.events.publish({ type: 'rollout.updated', rolloutId: updated.id, planId: updated.planId });
        return updated;
      }
      rollout = await mustGet('rollout', rollout.id, (id) => this.repos.rollouts.get(id));
    }
    throw new ConflictError(`Rollout ${rollout.number} is changing too fast; try again.`);
  }

  /** The waves with the failed sites of a finished current wave reset for another try. */
  private async retryFailed(rollout: Rollout): Promise<Wave[]> {
    // A failed rollout's last wave (recorded done by older versions) is the one to retry.
    const wave = currentWave(rollout) ?? (rollout.state === 'failed' ? (rollout.waves[rollout.waves.length - 1] ?? null) : null);
    if (!wave || wave.state === 'pending') return rollout.waves;
    const tasks = await this.repos.tasks.getMany(wave.sites.map((s) => s.taskId).filter((id): id is string => id !== null));
    if (tasks.some((t) => isActive(t.state))) return rollout.waves;
    const failed = new Set(tasks.filter((t) => t.state === 'failed').map((t) => t.id));
    if (!failed.size) return rollout.waves;
    return rollout.waves.map((w) =>
      w.index !== wave.index
        ? w
        : {
            ...w,
            state: 'pending' as const,
            finishedAt: null,
            sites: w.sites.map((s) => (s.taskId && failed.has(s.taskId) ? { ...s, taskId: null, attempts: [...(s.attempts ?? []), s.taskId] } : s)),
          },
    );
  }

  private async cancelQueued(rollout: Rollout, actor: Actor): Promise<void> {
    const now = this.clock.now();
    for (const wave of rollout.waves) {
      for (const s of wave.sites) {
        if (!s.taskId) continue;
        const done = await this.repos.tasks.transition(s.taskId, ['queued'], 'cancelled', { finishedAt: now });
        if (!done) continue;
        await this.repos.tasks.appendLog(s.taskId, [{ at: now, level: 'warn', message: `Cancelled with rollout ${rollout.number} by ${describeActor(actor)}` }]);
        await this.deps.events.publish({ type: 'task.updated', taskId: s.taskId, state: 'cancelled' });
      }
    }
  }

  // ---------------------------------------------------------------- policy changes

  /**
   * A distribution's policy changed (`changes`: path → "before → after", as audited): its unfinished rollouts take
   * it up at once. Waves that have not started are split again, the failure threshold is the new one, a note on
   * each says what changed, and each is advanced now, so a window that now contains the present starts the waiting
   * wave, and a shorter bake ends the wait. A paused rollout stays paused (resuming is a person's decision).
   */
  async policyChanged(distributionId: string, changes: AuditDetails, actor: Actor): Promise<Rollout[]> {
    const relevant = Object.entries(changes).filter(([k]) => k.startsWith('rollout.') || k.startsWith('security.'));
    if (!relevant.length) return [];
    const text = `Policy changed by ${describeActor(actor)}: ${relevant.map(([k, v]) => `${k.replace(/^rollout\./, '')} ${String(v)}`).join('; ')}`.slice(0, 1000);
    const { items } = await this.repos.rollouts.list({ distributionId, state: ['scheduled', 'running', 'paused'] }, { limit: 1000, offset: 0 });
    const changed: Rollout[] = [];
    for (const found of items) {
      let rollout = found;
      for (let i = 0; i < CAS_TRIES; i++) {
        if (isFinalRollout(rollout.state)) break;
        const policy = await this.policyOf(rollout);
        const waves = replanPendingWaves(rollout, policy?.waves ?? {});
        const patch: RolloutPatch = {
          failureThreshold: policy?.failureThreshold ?? 0,
          notes: [...(rollout.notes ?? []), { at: this.clock.now(), by: actor, text }].slice(-MAX_ROLLOUT_NOTES),
          ...(waves ? { waves } : {}),
        };
        const { rollout: updated, won } = await this.apply(rollout, patch);
        rollout = updated;
        if (!won) continue;
        if (updated.state !== 'paused') await this.enqueueAdvance(updated, `policy:${updated.version}`);
        await this.deps.events.publish({ type: 'rollout.updated', rolloutId: updated.id, planId: updated.planId });
        changed.push(updated);
        break;
      }
    }
    return changed;
  }

  // ---------------------------------------------------------------- the job

  /**
   * Moves the rollout on as far as it can now (the rollout.advance job). Safe to run any number of times, at
   * once in several workers (compare-and-set) and after a crash at any point.
   */
  async advance(rolloutId: string): Promise<AdvanceResult> {
    const rollout = await this.repos.rollouts.get(rolloutId);
    if (!rollout) return 'final';
    const events: DomainEvent[] = [];
    const { result } = await this.step(rollout, { kind: 'system' }, events);
    for (const e of events) await this.deps.events.publish(e);
    return result;
  }

  /** Whether a queued migrate task may start now: not while its rollout is paused, cancelled or outside a window. */
  async mayStart(taskId: string): Promise<boolean> {
    return (await this.gate(taskId)) === 'start';
  }

  /**
   * The rollout's word on a migration that has not changed its site yet (queued, or claimed and about to begin):
   * `wait` while the rollout is paused or outside the site's window, `cancel` once it was cancelled. MigrationService
   * asks it in one transaction with the migration's first change, so a committed pause is a hard stop.
   */
  async gate(taskId: string): Promise<StartGate> {
    const task = await this.repos.tasks.get(taskId);
    if (!task?.planId || !isActive(task.state)) return 'start';
    const rollout = await this.repos.rollouts.getByPlan(task.planId);
    if (!rollout) return 'start';
    if (rollout.state === 'cancelled') return 'cancel';
    if (rollout.state !== 'running' && rollout.state !== 'scheduled') return 'wait';
    const windows = (await this.windowsOf(rollout))(task.subject.name);
    const now = this.clock.now();
    const opening = nextOpening(windows, now);
    if (opening.getTime() === now.getTime()) return 'start';
    // Started in a window that has closed since: wait for the next one (advance then enqueues the queued tasks again).
    const events: DomainEvent[] = [];
    await this.waitForWindow(rollout, `${task.subject.name}: ${describeWindows(windows)}`, opening, events, windows[0]?.timeZone);
    for (const e of events) await this.deps.events.publish(e);
    return 'wait';
  }

  /** A migration of a rollout ended (or its job found nothing to do): move the rollout on. */
  async taskEnded(taskId: string): Promise<void> {
    const task = await this.repos.tasks.get(taskId);
    if (!task?.planId || isActive(task.state)) return;
    const rollout = await this.repos.rollouts.getByPlan(task.planId);
    if (rollout && !isFinalRollout(rollout.state)) await this.enqueueAdvance(rollout, `task:${taskId}`);
  }

  /** Unfinished rollouts (for a worker's start: each is advanced once, in case a trigger was lost). */
  async unfinished(): Promise<Rollout[]> {
    return (await this.repos.rollouts.list({ state: ['scheduled', 'running'] }, { limit: 10_000, offset: 0 })).items;
  }

  enqueueAdvance(rollout: Pick<Rollout, 'id'>, cause: string, runAt?: Date): Promise<void> {
    return this.deps.jobs.enqueue<RolloutAdvanceJobData>(
      ROLLOUT_ADVANCE_JOB,
      { rolloutId: rollout.id },
      { uniqueKey: rolloutAdvanceKey(rollout.id, cause), ...(runAt ? { runAt } : {}) },
    );
  }

  /** One pass of advance from a loaded rollout; loops through finished waves, retrying lost compare-and-sets. */
  private async step(start: Rollout, actor: Actor, events: DomainEvent[]): Promise<{ rollout: Rollout; result: AdvanceResult }> {
    let rollout = start;
    for (let i = 0; i < CAS_TRIES * 4; i++) {
      if (rollout.state !== 'scheduled' && rollout.state !== 'running') return { rollout, result: isFinalRollout(rollout.state) ? 'final' : 'idle' };
      const outcome = await this.stepOnce(rollout, actor, events);
      if (outcome.result === 'wave-started') return { rollout: outcome.rollout, result: outcome.result };
      if (outcome.result !== 'again') return { rollout: outcome.rollout, result: outcome.result };
      rollout = outcome.rollout;
    }
    return { rollout, result: 'idle' };
  }

  private async reload(rollout: Rollout): Promise<Rollout> {
    return mustGet('rollout', rollout.id, (id) => this.repos.rollouts.get(id));
  }

  /** Applies a patch; on a lost race returns the fresh rollout to look at again. */
  private async apply(rollout: Rollout, patch: RolloutPatch): Promise<{ rollout: Rollout; won: boolean }> {
    const updated = await this.repos.rollouts.update(rollout.id, rollout.version, patch);
    return updated ? { rollout: updated, won: true } : { rollout: await this.reload(rollout), won: false };
  }

  /** One move: finish, start the current wave, wait, pause, or close the current wave ('again': look once more). */
  private async stepOnce(rollout: Rollout, actor: Actor, events: DomainEvent[]): Promise<{ rollout: Rollout; result: AdvanceResult | 'again' }> {
    const wave = currentWave(rollout);
    const now = this.clock.now();
    if (!wave) {
      const { rollout: done, won } = await this.apply(rollout, { state: 'done', finishedAt: now, reason: null, waitingUntil: null });
      if (won) events.push({ type: 'rollout.updated', rolloutId: done.id, planId: done.planId });
      return { rollout: done, result: won ? 'done' : 'again' };
    }
    if (wave.state === 'pending') return this.startWave(rollout, wave, actor, events);
    const tasks = await this.repos.tasks.getMany(wave.sites.map((s) => s.taskId).filter((id): id is string => id !== null));
    if (tasks.some((t) => isActive(t.state))) {
      // Queued tasks a pause or closed window held back get their jobs again (a no-op when still enqueued).
      for (const t of tasks) if (t.state === 'queued') await this.deps.jobs.enqueue<MigrateJobData>(MIGRATE_JOB, { taskId: t.id }, { uniqueKey: migrateJobKey(t.id) });
      return { rollout, result: 'idle' };
    }
    const failed = tasks.filter((t) => t.state === 'failed');
    const total = wave.sites.length;
    if (exceedsThreshold({ failed: failed.map((t) => t.subject.name), total }, rollout.failureThreshold)) {
      // Each site's error keeps its cause (the command is shortened, never the error).
      // Whole sites' errors only: the ones that do not fit are counted, never cut in the middle.
      const names = failed.map((t) => `${t.subject.name}: ${errorSummary(t.error, 400, 'failed')}`);
      let reason =
        `Wave ${wave.index + 1}${wave.canary ? ' (canary)' : ''}: ${failed.length} of ${plural(total, 'site')} failed ` +
        `(threshold ${Math.round(rollout.failureThreshold * 100)}%). `;
      let shown = 0;
      for (const n of names) {
        if (reason.length + n.length + 60 > MAX_REASON_CHARS) break;
        reason += `${shown ? '; ' : ''}${n}`;
        shown++;
      }
      if (shown < names.length) reason += `; and ${names.length - shown} more (their errors are on the rollout's page)`;
      const last = wave.index === rollout.waves.length - 1;
      if (last) {
        // Nothing is left to hold back: the rollout ends as failed (each failure is already in the summary's thread).
        // The wave stays open, so a resume retries its failed sites.
        const { rollout: failedRollout, won } = await this.apply(rollout, { state: 'failed', finishedAt: now, reason: reason.slice(0, 2000) });
        if (won) events.push({ type: 'rollout.updated', rolloutId: failedRollout.id, planId: failedRollout.planId });
        return { rollout: failedRollout, result: won ? 'done' : 'again' };
      }
      const { rollout: paused, won } = await this.apply(rollout, { state: 'paused', pausedBy: { kind: 'system' }, pausedAt: now, reason: reason.slice(0, 2000) });
      if (won) events.push({ type: 'rollout.updated', rolloutId: paused.id, planId: paused.planId, notice: 'paused' });
      return { rollout: paused, result: won ? 'paused' : 'again' };
    }
    const waves = rollout.waves.map((w) => (w.index === wave.index ? { ...w, state: 'done' as const, finishedAt: now } : w));
    const { rollout: next } = await this.apply(rollout, { waves });
    crashPoint(`rollout:wave-closed:${wave.index}`);
    return { rollout: next, result: 'again' };
  }

  private async policyOf(rollout: Pick<Rollout, 'distributionId'>): Promise<RolloutPolicy | null> {
    return (await this.repos.distributions.get(rollout.distributionId))?.policy.rollout ?? null;
  }

  /**
   * The maintenance windows each site's migrations of this rollout start in: none (any time) for a security
   * rollout of a distribution whose policy.security.skipWindows is on; the waves still go in order, canary first.
   */
  private async windowsOf(rollout: Pick<Rollout, 'distributionId' | 'security'>): Promise<(site: string) => MaintenanceWindow[]> {
    const policy = (await this.repos.distributions.get(rollout.distributionId))?.policy;
    if (skipsWindows(policy, rollout)) return () => [];
    return (site) => windowsForSite(policy?.rollout, site);
  }

  /**
   * Records that the rollout waits for `opening` and schedules an advance then. The reason gives the time in the
   * window's zone and in UTC ("continues Tue 01:00 Europe/Amsterdam (Tue 00:00 UTC)").
   */
  private async waitForWindow(rollout: Rollout, windows: string, opening: Date, events: DomainEvent[], timeZone?: string): Promise<Rollout> {
    const zoned = timeZone && timeZone !== 'UTC' ? `${formatInZone(opening, timeZone)} (${formatInZone(opening, 'UTC')}, ${opening.toISOString()})` : `${formatInZone(opening, 'UTC')} (${opening.toISOString()})`;
    return this.waitUntil(rollout, `Waiting for a maintenance window (${windows}); continues ${zoned}.`, opening, events, `window:${opening.toISOString()}`);
  }

  /** Records that the rollout waits until `at` (a window, or the bake time between waves), and schedules an advance then. */
  private async waitUntil(rollout: Rollout, reason: string, at: Date, events: DomainEvent[], cause: string): Promise<Rollout> {
    const opening = at;
    let current = rollout;
    if (current.waitingUntil?.getTime() !== opening.getTime()) {
      const { rollout: updated, won } = await this.apply(current, { state: 'running', waitingUntil: opening, reason });
      current = updated;
      if (won) events.push({ type: 'rollout.updated', rolloutId: current.id, planId: current.planId });
    }
    await this.enqueueAdvance(current, cause, opening);
    return current;
  }

  /**
   * Starts a wave: inside a maintenance window, creates the migrate tasks of its sites (adopting any a crashed
   * earlier start already made for this plan), enqueues their jobs and records them, in one transaction.
   */
  private async startWave(rollout: Rollout, wave: Wave, actor: Actor, events: DomainEvent[]): Promise<{ rollout: Rollout; result: AdvanceResult | 'again' }> {
    // The wave starts when a window of one of its sites is open (each migration then waits for its own site's).
    const policy = await this.policyOf(rollout);
    const windowsOf = await this.windowsOf(rollout);
    const now = this.clock.now();
    // Bake time: the next wave starts only once the previous one has been finished for bakeMinutes (read at each
    // advance, so a changed policy applies to the wait in progress).
    const previous = wave.index > 0 ? rollout.waves[wave.index - 1] : undefined;
    const bake = policy?.bakeMinutes ?? 0;
    if (bake > 0 && previous?.finishedAt && previous.finishedAt.getTime() + bake * 60_000 > now.getTime()) {
      const until = new Date(previous.finishedAt.getTime() + bake * 60_000);
      const reason = `${BAKE_REASON_PREFIX} after wave ${previous.index + 1} (${bake} min between waves); wave ${wave.index + 1} starts ${formatInZone(until, 'UTC')} (${until.toISOString()}) at the earliest.`;
      return { rollout: await this.waitUntil(rollout, reason, until, events, `bake:${until.toISOString()}`), result: 'baking' };
    }
    const soonest = wave.sites
      .map((s) => ({ site: s.siteName, windows: windowsOf(s.siteName) }))
      .map((s) => ({ ...s, opening: nextOpening(s.windows, now) }))
      .sort((a, b) => a.opening.getTime() - b.opening.getTime())[0];
    if (soonest && soonest.opening.getTime() !== now.getTime()) {
      const own = policy?.siteWindows && Object.hasOwn(policy.siteWindows, soonest.site) ? `${soonest.site}: ` : '';
      return {
        rollout: await this.waitForWindow(rollout, own + describeWindows(soonest.windows), soonest.opening, events, soonest.windows[0]?.timeZone),
        result: 'waiting-for-window',
      };
    }
    const plan = await mustGet('upgrade', rollout.planId, (id) => this.repos.plans.get(id));
    const outcome = await this.repos.transaction(async () => {
      // Read once for the whole wave (a wave may hold thousands of sites): the plan's tasks, the wave's sites, their pins.
      const todo = wave.sites.filter((s) => !s.taskId);
      const [planTasks, current, pins] = await Promise.all([
        this.repos.tasks.list({ planId: plan.id, type: ['migrate'] }, ALL_ITEMS),
        this.repos.sites.getMany(todo.map((s) => s.siteId)),
        this.deps.holds.map('site', todo.map((s) => s.siteId)),
      ]);
      const lookup: WaveLookup = { planTasks: new Map(), sites: new Map(current.map((x) => [x.id, x])), pins };
      for (const t of planTasks.items) lookup.planTasks.set(t.subject.id, [...(lookup.planTasks.get(t.subject.id) ?? []), t]);
      const sites: WaveSite[] = [];
      const made: string[] = [];
      const skipped: PlanSkip[] = [];
      for (const s of wave.sites) {
        if (s.taskId) {
          sites.push(s);
          continue;
        }
        const got = await this.taskFor(plan, rollout, s, actor, lookup);
        if ('taskId' in got) {
          made.push(got.taskId);
          await this.deps.jobs.enqueue<MigrateJobData>(MIGRATE_JOB, { taskId: got.taskId }, { uniqueKey: migrateJobKey(got.taskId) });
        } else skipped.push({ site: s.siteName, reason: got.skip });
        sites.push({ ...s, taskId: 'taskId' in got ? got.taskId : null });
      }
      const waves = rollout.waves.map((w) => (w.index === wave.index ? { ...w, sites, state: 'running' as const, startedAt: w.startedAt ?? now } : w));
      // Test-only kill point (test/crash): tasks and jobs made, the wave not recorded (not committed, embedded store).
      crashPoint(`rollout:wave-starting:${wave.index}`);
      const updated = await this.repos.rollouts.update(rollout.id, rollout.version, { state: 'running', waves, waitingUntil: null, reason: null });
      const allSkipped = [...(plan.skipped ?? []).filter((x) => !skipped.some((y) => y.site === x.site)), ...skipped];
      if (updated) await this.repos.plans.setTaskIds(plan.id, [...new Set([...plan.taskIds, ...made])], allSkipped);
      return updated ? { updated, made } : null;
    });
    if (!outcome) return { rollout: await this.reload(rollout), result: 'again' };
    crashPoint(`rollout:wave-started:${wave.index}`);
    events.push({ type: 'plan.updated', planId: plan.id });
    // A wave that started no migration (its sites moved, were deleted, or finished in an earlier try) closes at once:
    // no task will end to trigger the next advance.
    return { rollout: outcome.updated, result: outcome.made.length ? 'wave-started' : 'again' };
  }

  /**
   * The migrate task of one wave site: one this plan already has for the site and the rollout has not recorded
   * (a start that crashed before recording it), else a new one; or why the site is left out.
   */
  private async taskFor(plan: UpgradePlan, rollout: Rollout, s: WaveSite, actor: Actor, lookup: WaveLookup): Promise<{ taskId: string } | { skip: string }> {
    const known = new Set([...(s.attempts ?? [])]);
    const adoptable = (tasks: readonly Task[]) => tasks.find((t) => !known.has(t.id))?.id ?? null;
    const adopted = adoptable(lookup.planTasks.get(s.siteId) ?? []);
    if (adopted) return { taskId: adopted };
    const site = lookup.sites.get(s.siteId);
    if (!site) return { skip: 'deleted' };
    if (site.platformId !== s.fromPlatformId) return { skip: 'moved to another platform since the summary' };
    // Pinned after Confirm, before its wave: held out like a site pinned before.
    const pin = lookup.pins.get(site.id);
    if (pin) return { skip: `pinned by ${describeActor(pin.by)}: ${pin.reason}` };
    try {
      const task = await this.repos.tasks.create({
        type: 'migrate',
        subject: { kind: 'site', id: site.id, name: site.name },
        fromPlatformId: s.fromPlatformId,
        toPlatformId: rollout.targetPlatformId,
        planId: plan.id,
        requestedBy: plan.requestedBy,
        confirmedBy: plan.confirmedBy ?? actor,
      });
      return { taskId: task.id };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      // A migration of this site is already queued or running: this plan's (another worker starting the same wave
      // just made it) is adopted; another plan's leaves the site out.
      const { items } = await this.repos.tasks.list({ planId: plan.id, subjectId: s.siteId, type: ['migrate'] }, { limit: 50, offset: 0 });
      const raced = adoptable(items);
      return raced ? { taskId: raced } : { skip: 'a migration is already queued or running' };
    }
  }
}

/** What a wave start read once for all its sites. */
interface WaveLookup {
  planTasks: Map<string, Task[]>;
  sites: Map<string, Site>;
  pins: Map<string, Hold>;
}
