/**
 * Runs `migrate` tasks: moves a site from its platform to another through the hosting driver's steps,
 * with a lease so a dead worker is noticed, and a rollback from the backup so a failed migration leaves the
 * site as it was. Write-ahead: each step's intent is committed before the step runs and its result after, so
 * whatever instant a worker dies, recovery knows whether the site may be on the old platform, the new one or
 * only in the backup — and asks the driver where it is before it resumes or rolls back.
 */
import { CHECKPOINT_INTENT, CHECKPOINT_INTERRUPTIONS, CHECKPOINT_ROLLBACK, interruptionsOf } from '../domain/task-progress.js';
import { MIGRATE_JOB, migrateRetryJobKey, type MigrateJobData } from '../domain/jobs.js';
import type { StartGate } from '../domain/rollout.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { HostingError, TransientError, ValidationError } from '../domain/errors.js';
import { MIGRATION_STEPS, type MigrationStep } from '../domain/migration-steps.js';
import type {
  Clock,
  EventPublisher,
  HealthChecker,
  HostingDriver,
  JobQueue,
  LimitedClaim,
  LogFn,
  PlatformRepository,
  SiteLocation,
  SiteRepository,
  StepProgress,
  TaskRepository,
} from '../domain/ports.js';
import type { Platform } from '../domain/platform.js';
import type { Site } from '../domain/site.js';
import type { Task, TaskLogLine } from '../domain/task.js';
import { crashPoint } from '../lib/crash-point.js';

export { MIGRATION_STEPS, type MigrationStep } from '../domain/migration-steps.js';

/** Checkpoint keys. */
const CP_BACKUP = 'backup';
/** Content hash of the site's files when the backup was taken: a rollback is verified against it. */
const CP_BACKUP_DIGEST = 'backupDigest';
/** The checkpoint keys a later rollback (RollbackService) and the backup pruner read from a finished migration. */
export const MIGRATION_BACKUP_KEYS = { backup: CP_BACKUP, digest: CP_BACKUP_DIGEST, pruned: 'backupPruned' } as const;
/** The step about to run, committed before it touches anything. */
const CP_INTENT = CHECKPOINT_INTENT;
/**
 * Committed before the site's files start to move: from then on a crash is rolled back, never resumed, unless
 * the site was already verified on its new platform (then only maintenanceOff is left to do).
 */
const CP_MOVE_STARTED = 'moveStarted';
/** Set when a rollback starts, so a worker dying during the rollback is followed by another rollback. */
const CP_ROLLBACK = CHECKPOINT_ROLLBACK;
/** Recorded as the step once beginMigration marked the site migrating. */
const STEP_BEGIN = 'begin';
/** Set with CP_ROLLBACK when the rollback undoes a crash, not a failed step: the task is then queued again. */
const CP_INTERRUPTED = 'rollbackAfterCrash';
/** Prefix of the checkpoint keys that record an external command of a step as completed (StepProgress). */
const CP_COMMAND_DONE = 'done:';

/**
 * `requeued`: a crash cut the migration while the site moved; it was rolled back and queued again as a new attempt.
 * `held`: its rollout is paused or outside its window, so it went back to queued untouched; `cancelled`: its rollout was.
 */
export type MigrationOutcome = 'succeeded' | 'failed' | 'skipped' | 'lease-lost' | 'requeued' | 'held' | 'cancelled';

export type { StartGate } from '../domain/rollout.js';

export interface MigrationServiceDeps {
  tasks: TaskRepository;
  sites: SiteRepository;
  platforms: PlatformRepository;
  driver: HostingDriver;
  events: EventPublisher;
  /** The health check step (policy.rollout.healthCheck); without it the step passes. */
  health?: HealthChecker;
  clock?: Clock;
  /** How long a claim lasts without renewal; renewed every third of it while the task runs. */
  leaseMs?: number;
  /**
   * Migrations at once per server (platform.server of both platforms) and overall, counted in the task store so
   * they hold across processes; none when absent. A migration over a limit waits, it does not fail.
   */
  limits?: MigrationLimits;
  /** How often a migration waiting for a slot asks again. */
  slotWaitMs?: number;
  /** Reports failures of background work (lease renewal) that have no caller to throw to. */
  onError?: (error: unknown) => void;
  /**
   * Rollouts: asked right before a migration's first change to its site, in one transaction with that change
   * (`transaction`), so nothing starts after a pause or cancel has committed.
   */
  gate?: (taskId: string) => Promise<StartGate>;
  /** Runs repository (and job-queue) calls as one unit (Repositories.transaction); without it they run in order. */
  transaction?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Queues a crash-cut migration again (a new attempt); without it such a migration fails after its rollback. */
  jobs?: JobQueue;
  /** JOB_MAX_ATTEMPTS: attempts of one migration, crash-cut ones included (default 3). */
  maxAttempts?: number;
}

export interface MigrationLimits {
  perServer: number;
  overall: number;
}

export interface RunOptions {
  /** This run's attempt and the queue's maximum: a TransientError before any destructive step is retried unless this is the last one. */
  attempt?: number;
  maxAttempts?: number;
  /** Aborts a wait for a migration slot (queue stopping); the job is then run again later. */
  signal?: AbortSignal;
}

/** Short, so a dead worker's migrations are taken over within seconds; renewed every third of it. */
export const DEFAULT_LEASE_MS = 15_000;
const DEFAULT_SLOT_WAIT_MS = 500;
/** An instant after every lease: recovery at the start of the single embedded process takes over all its tasks. */
const EVERY_LEASE_EXPIRED = new Date(8.64e15);

export interface RecoverOptions {
  /**
   * Take over every processing migration, live lease or not. Only for the embedded single-process mode at
   * start: there, a task still processing was left by the previous run of this process, which is gone.
   */
  everyLease?: boolean;
}

export class LeaseLostError extends Error {}

/** Buffers a task's log lines and appends them in order at step boundaries (one write per step, not per line). */
export class TaskLog {
  private pending: TaskLogLine[] = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly tasks: TaskRepository,
    private readonly taskId: string,
    private readonly clock: Clock,
  ) {}

  readonly log: LogFn = (message, level = 'info') => {
    this.pending.push({ at: this.clock.now(), level, message });
  };

  flush(): Promise<void> {
    const lines = this.pending;
    this.pending = [];
    if (lines.length) this.chain = this.chain.then(() => this.tasks.appendLog(this.taskId, lines));
    return this.chain;
  }
}

/** Renews the claim while the task runs; `lost` turns true if another worker took the task over. */
export class Lease {
  lost = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly deps: Pick<MigrationServiceDeps, 'tasks' | 'onError'> & { clock: Clock; leaseMs: number },
    private readonly taskId: string,
    private readonly owner: string,
  ) {
    this.timer = setInterval(() => void this.renew(), Math.max(1, Math.floor(deps.leaseMs / 3)));
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    try {
      const until = new Date(this.deps.clock.now().getTime() + this.deps.leaseMs);
      if (!(await this.deps.tasks.renewLease(this.taskId, this.owner, until))) this.lost = true;
    } catch (error) {
      this.deps.onError?.(error);
    }
  }

  check(): void {
    if (this.lost) throw new LeaseLostError(`Lost the lease on task ${this.taskId}`);
  }

  /** Lets another worker claim the task straight away (used before a queue retry). */
  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.deps.tasks.renewLease(this.taskId, this.owner, new Date(this.deps.clock.now().getTime() - 1));
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

interface Run {
  task: Task;
  site: Site;
  from: Platform;
  to: Platform;
  log: LogFn;
  taskLog: TaskLog;
  lease: Lease;
  checkpoint: Record<string, string>;
  step: string | null;
}

/** What a step handler is given of the run (and the health checker, for the service's own step). */
export type MigrationStepContext = Pick<Run, 'site' | 'from' | 'to' | 'log'> & { health?: HealthChecker; progress?: StepProgress };

/** The task log's note that a worker took over a migration whose worker died. */
export const recoveredNote = (owner: string, previous: string): string => `Recovered by ${owner} after the worker ${previous} stopped`;

export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

const placeOf = (where: SiteLocation, run: Pick<Run, 'from' | 'to'>): string =>
  ({
    from: `on ${run.from.name}`,
    to: `on ${run.to.name}`,
    both: `on both ${run.from.name} and ${run.to.name}`,
    missing: `on neither platform`,
    unknown: 'somewhere the driver cannot tell',
  })[where];

/**
 * What each migration step does on the driver and which checkpoint values it returns; keyed by every step of
 * MIGRATION_STEPS, so the compiler refuses a step without a handler (and a handler without a step).
 */
export const MIGRATION_STEP_HANDLERS: {
  readonly [S in MigrationStep]: (driver: HostingDriver, run: MigrationStepContext) => Promise<Record<string, string>>;
} = {
  maintenanceOn: async (driver, { site, from, log }) => {
    await driver.maintenanceOn(site, from, log);
    return {};
  },
  backup: async (driver, { site, from, log }) => {
    const backup = await driver.backup(site, from, log);
    // In maintenance nothing changes the files: this hash is what the archive holds.
    const digest = await driver.siteDigest(site, from, log);
    return { [CP_BACKUP]: backup, ...(digest ? { [CP_BACKUP_DIGEST]: digest } : {}) };
  },
  moveSite: async (driver, { site, from, to, log }) => {
    await driver.moveSite(site, from, to, log);
    return {};
  },
  postMigrate: async (driver, { site, to, log, progress }) => {
    await driver.postMigrate(site, to, log, progress);
    return {};
  },
  verify: async (driver, { site, to, log }) => {
    await driver.verify(site, to, log);
    return {};
  },
  maintenanceOff: async (driver, { site, to, log }) => {
    await driver.maintenanceOff(site, to, log);
    return {};
  },
  healthCheck: async (_driver, { site, to, log, health }) => {
    await health?.check(site, to, log);
    return {};
  },
};

/** A move task's site and its from/to platforms, or which of them no longer exists (migrations and rollbacks). */
export const loadMove = async (
  deps: Pick<MigrationServiceDeps, 'sites' | 'platforms'>,
  task: Task,
): Promise<{ site: Site; from: Platform; to: Platform; missing?: never } | { missing: 'site' | 'from' | 'to' }> => {
  const [site, from, to] = await Promise.all([
    deps.sites.get(task.subject.id),
    task.fromPlatformId ? deps.platforms.get(task.fromPlatformId) : null,
    task.toPlatformId ? deps.platforms.get(task.toPlatformId) : null,
  ]);
  if (!site) return { missing: 'site' };
  if (!from) return { missing: 'from' };
  if (!to) return { missing: 'to' };
  return { site, from, to };
};

/** Slot keys (TaskRepository.claimWithinLimits). */
const ALL_SLOTS = 'all';
const SERVER_SLOT = 'server:';

export class MigrationService {
  private readonly clock: Clock;
  private readonly leaseMs: number;
  private readonly slotWaitMs: number;
  /** Tasks this process is executing now: recovery takes over this owner's other processing tasks (a run that died here). */
  private readonly active = new Set<string>();

  constructor(private readonly deps: MigrationServiceDeps) {
    this.clock = deps.clock ?? { now: () => new Date() };
    this.leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
    this.slotWaitMs = deps.slotWaitMs ?? DEFAULT_SLOT_WAIT_MS;
  }

  private tx<T>(fn: () => Promise<T>): Promise<T> {
    return this.deps.transaction ? this.deps.transaction(fn) : fn();
  }

  /**
   * Executes a migrate task if this worker can claim it. A task that is cancelled, finished, or held by
   * another live worker is skipped. While a migration limit is full it waits (the task stays queued, the store
   * is asked again every slotWaitMs) until a slot frees or options.signal aborts. Throws TransientError when the
   * queue should retry later.
   */
  async run(taskId: string, owner: string, options: RunOptions = {}): Promise<MigrationOutcome> {
    // Held from before the claim, so this process's recovery never takes over a task it is about to run.
    this.active.add(taskId);
    try {
      return await this.claimAndRun(taskId, owner, options);
    } finally {
      this.active.delete(taskId);
    }
  }

  private async claimAndRun(taskId: string, owner: string, options: RunOptions): Promise<MigrationOutcome> {
    const task = await this.deps.tasks.get(taskId);
    if (!task) return 'skipped';
    if (task.type !== 'migrate') throw new ValidationError(`Task #${task.number} is a ${task.type} task, not a migration.`);
    // The queue retrying a dead worker's job (its lock expired) can claim the task before the recover job does.
    const previous = task.state === 'processing' && task.lease && task.lease.owner !== owner ? task.lease.owner : null;
    let waiting = false;
    for (;;) {
      const result = await this.claim(task, owner, this.clock.now());
      if (result.task) return this.execute(result.task, owner, options, previous ? recoveredNote(owner, previous) : undefined);
      if (!result.busy.length) return 'skipped';
      if (!waiting) {
        waiting = true;
        const on = result.busy.map((k) => (k === ALL_SLOTS ? 'all servers' : k.slice(SERVER_SLOT.length))).join(', ');
        await this.deps.tasks.appendLog(task.id, [{ at: this.clock.now(), level: 'info', message: `Waiting for a free migration slot on ${on}` }]);
      }
      // Rejects when the queue stops: the job is handed back and runs again later, the task still queued.
      await sleep(this.slotWaitMs, undefined, options.signal ? { signal: options.signal } : {});
    }
  }

  /**
   * Takes over migrations whose worker died (expired lease): resumes those that had not started moving the
   * site or were verified on the new one, rolls back the others. Run by the recover job (every
   * MIGRATION_RECOVER_EVERY_MS, and at start). Returns each recovered task's outcome.
   */
  async recover(owner: string, options: RecoverOptions = {}): Promise<Array<{ taskId: string; outcome: MigrationOutcome }>> {
    const now = options.everyLease ? EVERY_LEASE_EXPIRED : this.clock.now();
    // Our own only when no run of it is going on here: a run that ended without settling its task (a write that
    // failed on a full disk) left it processing under this process, and nothing else would ever take it over.
    // (its lease really expired: everyLease never takes a task this process claimed and is about to run).
    const realNow = this.clock.now().getTime();
    const ownStuck = (t: Task) => !this.active.has(t.id) && (t.lease?.until.getTime() ?? 0) < realNow;
    const expired = (await this.deps.tasks.listExpired(now)).filter((t) => t.type === 'migrate' && (t.lease?.owner !== owner || ownStuck(t)));
    return Promise.all(
      expired.map(async (t) => {
        // Over a limit (lowered since): left for the next recovery round.
        const claimed = (await this.claim(t, owner, now)).task;
        if (!claimed) return { taskId: t.id, outcome: 'skipped' as const };
        // No queue will retry a recovered task, so a transient failure rolls back at once.
        const outcome = await this.execute(claimed, owner, { attempt: 1, maxAttempts: 1 }, recoveredNote(owner, t.lease?.owner ?? '?'));
        return { taskId: t.id, outcome };
      }),
    );
  }

  /** Claims the task within the migration limits; `now` decides which leases count as expired. */
  private async claim(task: Task, owner: string, now: Date): Promise<LimitedClaim> {
    const leaseUntil = new Date(this.clock.now().getTime() + this.leaseMs);
    const result = await this.deps.tasks.claimWithinLimits(task.id, owner, leaseUntil, now, await this.slotLimits(task));
    // Slack shows the summary's sites going queued → processing → succeeded/failed.
    if (result.task) await this.deps.events.publish({ type: 'task.updated', taskId: task.id, state: 'processing' });
    return result;
  }

  /** Slot keys and limits for a migration: one per server involved and one overall (none when unlimited). */
  private async slotLimits(task: Task): Promise<Record<string, number>> {
    const limits = this.deps.limits;
    if (!limits) return {};
    const platforms = await this.deps.platforms.getMany([task.fromPlatformId, task.toPlatformId].filter((id): id is string => id !== null));
    const slots: Record<string, number> = { [ALL_SLOTS]: limits.overall };
    for (const p of platforms) slots[`${SERVER_SLOT}${p.server}`] = limits.perServer;
    return slots;
  }

  private async execute(task: Task, owner: string, options: RunOptions, note?: string): Promise<MigrationOutcome> {
    const taskLog = new TaskLog(this.deps.tasks, task.id, this.clock);
    const log = taskLog.log;
    const lease = new Lease({ ...this.deps, clock: this.clock, leaseMs: this.leaseMs }, task.id, owner);
    if (note) log(note, 'warn');
    const mine = !this.active.has(task.id);
    if (mine) this.active.add(task.id);
    try {
      const move = await loadMove(this.deps, task);
      if (move.missing) {
        const missing = { site: `site ${task.subject.name}`, from: 'source platform', to: 'target platform' }[move.missing];
        return await this.finish(task, taskLog, 'failed', `The ${missing} of this migration no longer exists.`);
      }
      const { site, from, to } = move;
      const run: Run = { task, site, from, to, log, taskLog, lease, checkpoint: { ...task.checkpoint }, step: task.step };
      return await this.migrate(run, options);
    } finally {
      if (mine) this.active.delete(task.id);
      lease.stop();
      await taskLog.flush();
    }
  }

  private async migrate(run: Run, options: RunOptions): Promise<MigrationOutcome> {
    const { task, site, from, to, log, lease } = run;
    const finished = run.step === MIGRATION_STEPS[MIGRATION_STEPS.length - 1] && !run.checkpoint[CP_ROLLBACK];
    // The move's result is committed: the site is whole on the new platform, and every step left is safe to repeat
    // (post-migrate commands known to have completed are skipped, the one a crash cut runs again; verify, lifting
    // maintenance and the health check only read or set a flag), so a crash is resumed, not undone. Only a crash
    // inside the move itself is rolled back (and the migration queued again as a new attempt).
    const moved = MIGRATION_STEPS.indexOf(run.step as MigrationStep) >= MIGRATION_STEPS.indexOf('moveSite') || finished;
    if (run.checkpoint[CP_ROLLBACK]) return this.rollback(run, run.checkpoint[CP_ROLLBACK], Boolean(run.checkpoint[CP_INTERRUPTED]));
    if (run.checkpoint[CP_MOVE_STARTED] && !moved) return this.rollback(run, 'The worker stopped while the site was moving.', true);
    if (run.step) log(`Resuming after step ${run.step}`);
    else log(`Migrating ${site.name} from ${from.name} to ${to.name}${interruptionsOf(task) ? ` (attempt ${interruptionsOf(task) + 1}, after a crash)` : ''}`);

    if (!finished) {
      const started = run.step ? ((await this.begin(run)) ? 'start' : 'refused') : await this.start(run);
      if (started === 'wait' || started === 'cancel') return this.hold(run, started);
      if (started === 'refused') {
        const current = await this.deps.sites.get(site.id);
        const where = current?.platformId === to.id ? `already on ${to.name}` : `${current?.status ?? 'gone'}`;
        return this.finish(task, run.taskLog, 'failed', `${site.name} is ${where}, not an enabled site on ${from.name}; nothing was changed.`);
      }
    }

    const done = MIGRATION_STEPS.indexOf(run.step as MigrationStep);
    try {
      for (const step of MIGRATION_STEPS.slice(done + 1)) {
        lease.check();
        log(`Step ${step}`);
        // Write-ahead: the intent is committed (with the log line) before the step touches anything.
        const moving: Record<string, string> = step === 'moveSite' ? { [CP_MOVE_STARTED]: this.clock.now().toISOString() } : {};
        await this.record(run, run.step ?? STEP_BEGIN, { [CP_INTENT]: step, ...moving });
        crashPoint(`${step}:before`, site.name);
        const checkpoint = await this.runStep(run, step);
        crashPoint(`${step}:after`, site.name);
        await this.record(run, step, checkpoint);
      }
      lease.check();
    } catch (error) {
      if (error instanceof LeaseLostError) return this.leaseLost(run);
      const destructive = Boolean(run.checkpoint[CP_MOVE_STARTED]);
      const attempt = options.attempt ?? 1;
      if (error instanceof TransientError && !destructive && attempt < (options.maxAttempts ?? 1)) {
        // Nothing has moved: keep the site migrating, let the queue retry (it resumes after the last step).
        log(`${messageOf(error)}; will retry (attempt ${attempt} of ${options.maxAttempts})`, 'warn');
        await run.taskLog.flush();
        await lease.release();
        throw error;
      }
      return this.rollback(run, messageOf(error));
    }

    const now = this.clock.now();
    // A worker that died after every step may already have completed the site record; then it is on `to`.
    if (!(await this.deps.sites.completeMigration(site.id, to.id, task.id, now))) {
      const current = await this.deps.sites.get(site.id);
      if (current?.platformId !== to.id) log(`${site.name} was no longer marked migrating when the migration finished`, 'warn');
    }
    crashPoint('migrate:completed');
    log(`Migrated ${site.name} to ${to.name}`);
    return this.finish(task, run.taskLog, 'succeeded', null);
  }

  /**
   * A fresh start: asks the rollout's gate and, in the same transaction, marks the site migrating and commits the
   * first step's intent. A pause or cancel committed before it is seen here; one committed after it finds the
   * migration started (and lets it finish).
   */
  private async start(run: Run): Promise<StartGate | 'refused'> {
    return this.tx(async () => {
      const gate = this.deps.gate ? await this.deps.gate(run.task.id) : 'start';
      if (gate !== 'start') return gate;
      return (await this.begin(run)) ? 'start' : 'refused';
    });
  }

  /** Hands a migration that has not changed anything back to queued (paused rollout) or cancels it (cancelled rollout). */
  private async hold(run: Run, gate: 'wait' | 'cancel'): Promise<MigrationOutcome> {
    const { task } = run;
    const now = this.clock.now();
    run.log(gate === 'wait' ? 'Not started: its rollout is paused or waiting for a window; it starts when the rollout goes on' : 'Not started: its rollout was cancelled', 'warn');
    await run.taskLog.flush();
    // The claim counted an attempt that did not happen.
    const done =
      gate === 'wait'
        ? await this.deps.tasks.transition(task.id, ['processing'], 'queued', { lease: null, attempts: Math.max(0, run.task.attempts - 1) })
        : await this.deps.tasks.transition(task.id, ['processing'], 'cancelled', { lease: null, finishedAt: now });
    if (!done) return 'lease-lost';
    await this.deps.events.publish({ type: 'task.updated', taskId: task.id, state: done.state });
    return gate === 'wait' ? 'held' : 'cancelled';
  }

  /** Marks the site migrating; on a resumed run it may already be (the worker died after this). */
  private async begin(run: Run): Promise<boolean> {
    const { site, from } = run;
    if (await this.deps.sites.beginMigration(site.id, from.id)) {
      crashPoint('migrate:begun');
      // The first step's intent commits with the begin (one transaction with the rollout's gate).
      if (!run.step) await this.record(run, STEP_BEGIN, { [CP_INTENT]: MIGRATION_STEPS[0]! });
      return true;
    }
    // One active migrate task per site (TaskRepository.create), so a migrating site on `from` is ours.
    const current = await this.deps.sites.get(site.id);
    return run.task.attempts > 1 && current?.status === 'migrating' && current.platformId === from.id;
  }

  private runStep(run: Run, step: MigrationStep): Promise<Record<string, string>> {
    const progress: StepProgress = {
      done: (key) => Boolean(run.checkpoint[CP_COMMAND_DONE + key]),
      // The end of each external command is committed right after it returns, so recovery never runs it again.
      completed: async (key) => {
        await this.record(run, run.step ?? STEP_BEGIN, { [CP_COMMAND_DONE + key]: this.clock.now().toISOString() });
        crashPoint(`${step}:command-committed`);
      },
    };
    return MIGRATION_STEP_HANDLERS[step](this.deps.driver, { ...run, progress, ...(this.deps.health ? { health: this.deps.health } : {}) });
  }

  private async record(run: Run, step: string, checkpoint: Record<string, string>): Promise<void> {
    await this.deps.tasks.setStep(run.task.id, step, checkpoint);
    Object.assign(run.checkpoint, checkpoint);
    run.step = step;
    await run.taskLog.flush();
  }

  /**
   * Puts the site back on its old platform as the backup had it, then fails the task. Reports "rolled back" only
   * when the driver confirms the files are on the old platform and hash like the backup; otherwise the task fails
   * saying the site needs attention. Safe to repeat: a crash during a rollback is followed by another one.
   */
  private async rollback(run: Run, reason: string, afterCrash = false): Promise<MigrationOutcome> {
    const { site, from, log } = run;
    log(afterCrash ? `Interrupted: ${reason}` : `Failed: ${reason}`, afterCrash ? 'warn' : 'error');
    log(`Rolling back ${site.name} to ${from.name}`, 'warn');
    if (run.checkpoint[CP_ROLLBACK] !== reason) {
      await this.record(run, run.step ?? STEP_BEGIN, { [CP_ROLLBACK]: reason, ...(afterCrash ? { [CP_INTERRUPTED]: '1' } : {}) });
    }
    crashPoint('rollback:before');
    let verified: boolean;
    try {
      verified = await this.putBack(run);
    } catch (error) {
      return this.needsAttention(run, reason, messageOf(error));
    }
    crashPoint('rollback:restored');
    try {
      await this.deps.driver.maintenanceOff(site, from, log);
    } catch (error) {
      // The files are back on `from`, so the record may say so; but the site is not serving.
      await this.deps.sites.abortMigration(site.id);
      return this.needsAttention(run, reason, `could not turn maintenance mode off on ${from.name}: ${messageOf(error)}`);
    }
    await this.deps.sites.abortMigration(site.id);
    crashPoint('rollback:recorded');
    if (verified) log(`Rolled back: ${site.name} is on ${from.name} as before`, 'warn');
    else log(`Restored ${site.name} on ${from.name}; the ${this.deps.driver.name} driver cannot check its files, so this is not verified`, 'warn');
    await this.record(run, 'rolledBack', {});
    if (afterCrash) return this.retry(run, reason);
    return this.finish(run.task, run.taskLog, 'failed', reason);
  }

  /**
   * A crash cut the migration while the site moved and it is rolled back: queued again as a new attempt (its job in
   * the same transaction), not failed — a crash delays work, it does not fail it — unless JOB_MAX_ATTEMPTS attempts
   * were cut already.
   */
  private async retry(run: Run, reason: string): Promise<MigrationOutcome> {
    const { task, log } = run;
    const cut = interruptionsOf(run) + 1;
    const max = this.deps.maxAttempts ?? 3;
    const jobs = this.deps.jobs;
    if (!jobs || cut >= max) {
      return this.finish(task, run.taskLog, 'failed', `${reason} A crash cut this migration ${cut === 1 ? 'once' : `${cut} times`}; it is not tried again (attempts: ${max}).`);
    }
    log(`Queued again as attempt ${cut + 1} of ${max}: a crash is not a failure of the site`, 'warn');
    await run.taskLog.flush();
    const requeued = await this.tx(async () => {
      const t = await this.deps.tasks.transition(task.id, ['processing'], 'queued', {
        lease: null,
        error: null,
        step: null,
        checkpoint: { [CHECKPOINT_INTERRUPTIONS]: String(cut) },
      });
      if (t) await jobs.enqueue<MigrateJobData>(MIGRATE_JOB, { taskId: task.id }, { uniqueKey: migrateRetryJobKey(task.id, cut + 1) });
      return t;
    });
    if (!requeued) return 'lease-lost';
    await this.deps.events.publish({ type: 'task.updated', taskId: task.id, state: 'queued' });
    return 'requeued';
  }

  /**
   * Asks the driver where the files are and restores the backup unless they are already whole on `from`.
   * Returns whether the result was verified (location and content hash); throws when the site is not back.
   */
  private async putBack(run: Run): Promise<boolean> {
    const { driver } = this.deps;
    const { site, from, to, log, checkpoint } = run;
    const digest = checkpoint[CP_BACKUP_DIGEST] ?? null;
    const where = await driver.locateSite(site, from, to, log);
    if (!checkpoint[CP_MOVE_STARTED]) {
      // Write-ahead: no move was ever intended, so nothing of ours changed the files (maintenance flag aside).
      if (where !== 'from' && where !== 'unknown') log(`${site.name} is ${placeOf(where, run)}, as it was before this migration`, 'warn');
      return true;
    }
    const intact = where === 'from' && digest !== null && (await driver.siteDigest(site, from, log)) === digest;
    if (intact) log(`${site.name} is whole on ${from.name} (its files match the backup)`);
    else {
      const backup = checkpoint[CP_BACKUP];
      if (!backup) throw new HostingError('No backup was recorded before the site moved.');
      log(`${site.name} is ${placeOf(where, run)}; restoring ${backup}`, 'warn');
      await driver.restore(site, from, to, backup, log);
    }
    const after = await driver.locateSite(site, from, to, log);
    if (after !== 'from' && after !== 'unknown') throw new HostingError(`after the restore ${site.name} is ${placeOf(after, run)}.`);
    if (digest === null) return false;
    const now = await driver.siteDigest(site, from, log);
    if (now !== digest) throw new HostingError(`the files of ${site.name} on ${from.name} do not match its backup.`);
    return after === 'from';
  }

  /** A rollback that could not put the site back as it was: it stays marked migrating so nobody changes it meanwhile. */
  private needsAttention(run: Run, reason: string, problem: string): Promise<MigrationOutcome> {
    const backup = run.checkpoint[CP_BACKUP] ?? 'none';
    const message = `${reason}. The rollback did not complete: ${problem} ${run.site.name} needs attention (backup: ${backup}).`;
    return this.finish(run.task, run.taskLog, 'failed', message);
  }

  private async leaseLost(run: Run): Promise<MigrationOutcome> {
    run.log(`Another worker took over task #${run.task.number}; stopping here`, 'warn');
    return 'lease-lost';
  }

  private finish(task: Task, taskLog: TaskLog, state: 'succeeded' | 'failed', error: string | null): Promise<MigrationOutcome> {
    return finishTask({ ...this.deps, clock: this.clock }, task, taskLog, state, error);
  }
}

/** Ends a processing task (migration or rollback) with its last log lines; 'lease-lost' when another worker holds it. */
export const finishTask = async (
  deps: Pick<MigrationServiceDeps, 'tasks' | 'events'> & { clock: Clock },
  task: Task,
  taskLog: TaskLog,
  state: 'succeeded' | 'failed',
  error: string | null,
): Promise<MigrationOutcome> => {
  if (error) taskLog.log(error, 'error');
  await taskLog.flush();
  const done = await deps.tasks.transition(task.id, ['processing'], state, { error, finishedAt: deps.clock.now(), lease: null });
  if (!done) return 'lease-lost';
  await deps.events.publish({ type: 'task.updated', taskId: task.id, state });
  return state;
};
