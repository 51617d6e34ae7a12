/**
 * Runs `migrate` tasks: moves a site from its platform to another through the hosting driver's steps,
 * with a lease so a dead worker is noticed, a checkpoint after every step so another worker can finish
 * or undo the work, and a rollback from the backup so a failed migration leaves the site as it was.
 */
import { HostingError, TransientError, ValidationError } from '../domain/errors.js';
import type {
  Clock,
  EventPublisher,
  HostingDriver,
  LogFn,
  PlatformRepository,
  SiteRepository,
  TaskRepository,
} from '../domain/ports.js';
import type { Platform } from '../domain/platform.js';
import type { Site } from '../domain/site.js';
import type { Task, TaskLogLine } from '../domain/task.js';
import type { KeyedSemaphore } from './keyed-semaphore.js';

export const MIGRATION_STEPS = ['maintenanceOn', 'backup', 'moveSite', 'postMigrate', 'verify', 'maintenanceOff'] as const;
export type MigrationStep = (typeof MIGRATION_STEPS)[number];

/** Checkpoint keys. */
const CP_BACKUP = 'backup';
/** Set just before the site's files start to move: from then on a crash is rolled back, never resumed. */
const CP_MOVE_STARTED = 'moveStarted';
/** Set when a rollback starts, so a worker dying during the rollback is followed by another rollback. */
const CP_ROLLBACK = 'rollback';
/** Recorded as the step once beginMigration marked the site migrating. */
const STEP_BEGIN = 'begin';

export type MigrationOutcome = 'succeeded' | 'failed' | 'skipped' | 'lease-lost';

export interface MigrationServiceDeps {
  tasks: TaskRepository;
  sites: SiteRepository;
  platforms: PlatformRepository;
  driver: HostingDriver;
  events: EventPublisher;
  clock?: Clock;
  /** How long a claim lasts without renewal; renewed every third of it while the task runs. */
  leaseMs?: number;
  /** Per-server limit (platform.server of both platforms); none when absent. */
  servers?: KeyedSemaphore;
  /** Reports failures of background work (lease renewal) that have no caller to throw to. */
  onError?: (error: unknown) => void;
}

export interface RunOptions {
  /** This run's attempt and the queue's maximum: a TransientError before any destructive step is retried unless this is the last one. */
  attempt?: number;
  maxAttempts?: number;
}

const DEFAULT_LEASE_MS = 60_000;

class LeaseLostError extends Error {}

/** Buffers a task's log lines and appends them in order at step boundaries (one write per step, not per line). */
class TaskLog {
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
class Lease {
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

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class MigrationService {
  private readonly clock: Clock;
  private readonly leaseMs: number;

  constructor(private readonly deps: MigrationServiceDeps) {
    this.clock = deps.clock ?? { now: () => new Date() };
    this.leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  }

  /**
   * Executes a migrate task if this worker can claim it. A task that is cancelled, finished, or held by
   * another live worker is skipped. Throws TransientError when the queue should retry later.
   */
  async run(taskId: string, owner: string, options: RunOptions = {}): Promise<MigrationOutcome> {
    const task = await this.deps.tasks.get(taskId);
    if (!task) return 'skipped';
    if (task.type !== 'migrate') throw new ValidationError(`Task #${task.number} is a ${task.type} task, not a migration.`);
    const claimed = await this.claim(task.id, owner);
    return claimed ? this.execute(claimed, owner, options) : 'skipped';
  }

  /**
   * Takes over migrations whose worker died (expired lease): resumes those that had not started moving the
   * site, rolls back the others. Call at worker start. Returns each recovered task's outcome.
   */
  async recover(owner: string): Promise<Array<{ taskId: string; outcome: MigrationOutcome }>> {
    const expired = (await this.deps.tasks.listExpired(this.clock.now())).filter((t) => t.type === 'migrate');
    return Promise.all(
      expired.map(async (t) => {
        const claimed = await this.claim(t.id, owner);
        if (!claimed) return { taskId: t.id, outcome: 'skipped' as const };
        // No queue will retry a recovered task, so a transient failure rolls back at once.
        const outcome = await this.execute(claimed, owner, { attempt: 1, maxAttempts: 1 }, `Recovered by ${owner} after the worker ${t.lease?.owner ?? '?'} stopped`);
        return { taskId: t.id, outcome };
      }),
    );
  }

  private async claim(taskId: string, owner: string): Promise<Task | null> {
    const now = this.clock.now();
    const claimed = await this.deps.tasks.claim(taskId, owner, new Date(now.getTime() + this.leaseMs), now);
    // Slack shows the summary's sites going queued → processing → succeeded/failed.
    if (claimed) await this.deps.events.publish({ type: 'task.updated', taskId, state: 'processing' });
    return claimed;
  }

  private async execute(task: Task, owner: string, options: RunOptions, note?: string): Promise<MigrationOutcome> {
    const taskLog = new TaskLog(this.deps.tasks, task.id, this.clock);
    const log = taskLog.log;
    const lease = new Lease({ ...this.deps, clock: this.clock, leaseMs: this.leaseMs }, task.id, owner);
    if (note) log(note, 'warn');
    try {
      const [site, from, to] = await Promise.all([
        this.deps.sites.get(task.subject.id),
        task.fromPlatformId ? this.deps.platforms.get(task.fromPlatformId) : null,
        task.toPlatformId ? this.deps.platforms.get(task.toPlatformId) : null,
      ]);
      if (!site || !from || !to) {
        const missing = !site ? `site ${task.subject.name}` : !from ? 'source platform' : 'target platform';
        return await this.finish(task, taskLog, 'failed', `The ${missing} of this migration no longer exists.`);
      }
      const run: Run = { task, site, from, to, log, taskLog, lease, checkpoint: { ...task.checkpoint }, step: task.step };
      const servers = [from.server, to.server];
      if (this.deps.servers) {
        const busy = servers.filter((s) => this.deps.servers!.active(s) >= this.deps.servers!.limit);
        if (busy.length) log(`Waiting for a free migration slot on ${busy.join(', ')}`);
        return await this.deps.servers.run(servers, () => this.migrate(run, options));
      }
      return await this.migrate(run, options);
    } finally {
      lease.stop();
      await taskLog.flush();
    }
  }

  private async migrate(run: Run, options: RunOptions): Promise<MigrationOutcome> {
    const { task, site, from, to, log, lease } = run;
    const finished = run.step === MIGRATION_STEPS[MIGRATION_STEPS.length - 1] && !run.checkpoint[CP_ROLLBACK];
    if (!finished && (run.checkpoint[CP_MOVE_STARTED] || run.checkpoint[CP_ROLLBACK])) {
      return this.rollback(run, new HostingError('The worker stopped after the site started moving.'));
    }
    if (run.step) log(`Resuming after step ${run.step}`);
    else log(`Migrating ${site.name} from ${from.name} to ${to.name}`);

    if (!finished && !(await this.begin(run))) {
      const current = await this.deps.sites.get(site.id);
      const where = current?.platformId === to.id ? `already on ${to.name}` : `${current?.status ?? 'gone'}`;
      return this.finish(task, run.taskLog, 'failed', `${site.name} is ${where}, not an enabled site on ${from.name}; nothing was changed.`);
    }

    const done = MIGRATION_STEPS.indexOf(run.step as MigrationStep);
    try {
      for (const step of MIGRATION_STEPS.slice(done + 1)) {
        lease.check();
        if (step === 'moveSite') await this.record(run, run.step ?? STEP_BEGIN, { [CP_MOVE_STARTED]: this.clock.now().toISOString() });
        log(`Step ${step}`);
        // Written before the step runs, so a crash's log shows which step was in progress.
        await run.taskLog.flush();
        const checkpoint = await this.runStep(run, step);
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
      return this.rollback(run, error);
    }

    const now = this.clock.now();
    // A worker that died after every step may already have completed the site record; then it is on `to`.
    if (!(await this.deps.sites.completeMigration(site.id, to.id, task.id, now))) {
      const current = await this.deps.sites.get(site.id);
      if (current?.platformId !== to.id) log(`${site.name} was no longer marked migrating when the migration finished`, 'warn');
    }
    log(`Migrated ${site.name} to ${to.name}`);
    return this.finish(task, run.taskLog, 'succeeded', null);
  }

  /** Marks the site migrating; on a resumed run it may already be (the worker died after this). */
  private async begin(run: Run): Promise<boolean> {
    const { site, from } = run;
    if (await this.deps.sites.beginMigration(site.id, from.id)) {
      if (!run.step) await this.record(run, STEP_BEGIN, {});
      return true;
    }
    // One active migrate task per site (TaskRepository.create), so a migrating site on `from` is ours.
    const current = await this.deps.sites.get(site.id);
    return run.task.attempts > 1 && current?.status === 'migrating' && current.platformId === from.id;
  }

  private async runStep(run: Run, step: MigrationStep): Promise<Record<string, string>> {
    const { driver } = this.deps;
    const { site, from, to, log } = run;
    switch (step) {
      case 'maintenanceOn':
        await driver.maintenanceOn(site, from, log);
        return {};
      case 'backup':
        return { [CP_BACKUP]: await driver.backup(site, from, log) };
      case 'moveSite':
        await driver.moveSite(site, from, to, log);
        return {};
      case 'postMigrate':
        await driver.postMigrate(site, to, log);
        return {};
      case 'verify':
        await driver.verify(site, to, log);
        return {};
      case 'maintenanceOff':
        await driver.maintenanceOff(site, to, log);
        return {};
    }
  }

  private async record(run: Run, step: string, checkpoint: Record<string, string>): Promise<void> {
    await this.deps.tasks.setStep(run.task.id, step, checkpoint);
    Object.assign(run.checkpoint, checkpoint);
    run.step = step;
    await run.taskLog.flush();
  }

  /** Puts the site back on its old platform as the backup had it, then fails the task. */
  private async rollback(run: Run, cause: unknown): Promise<MigrationOutcome> {
    const { site, from, to, log } = run;
    const reason = messageOf(cause);
    log(`Failed: ${reason}`, 'error');
    log(`Rolling back ${site.name} to ${from.name}`, 'warn');
    await this.record(run, run.step ?? STEP_BEGIN, { [CP_ROLLBACK]: reason });
    try {
      if (run.checkpoint[CP_MOVE_STARTED]) {
        const backup = run.checkpoint[CP_BACKUP];
        if (!backup) throw new HostingError('No backup was recorded before the site moved.');
        await this.deps.driver.restore(site, from, to, backup, log);
      }
    } catch (error) {
      // The site may be half moved: keep it marked migrating so nobody upgrades or edits it until someone looks.
      const message = `${reason}. Rollback failed too: ${messageOf(error)}. ${site.name} needs manual attention (backup: ${run.checkpoint[CP_BACKUP] ?? 'none'}).`;
      return this.finish(run.task, run.taskLog, 'failed', message);
    }
    try {
      await this.deps.driver.maintenanceOff(site, from, log);
    } catch (error) {
      // Before any move, a failure to lift maintenance must not keep the site marked migrating.
      log(`Could not turn maintenance mode off: ${messageOf(error)}`, 'warn');
    }
    await this.deps.sites.abortMigration(site.id);
    log(`Rolled back: ${site.name} is on ${from.name} as before`, 'warn');
    await this.record(run, 'rolledBack', {});
    return this.finish(run.task, run.taskLog, 'failed', reason);
  }

  private async leaseLost(run: Run): Promise<MigrationOutcome> {
    run.log(`Another worker took over task #${run.task.number}; stopping here`, 'warn');
    return 'lease-lost';
  }

  private async finish(task: Task, taskLog: TaskLog, state: 'succeeded' | 'failed', error: string | null): Promise<MigrationOutcome> {
    if (error) taskLog.log(error, 'error');
    await taskLog.flush();
    const done = await this.deps.tasks.transition(task.id, ['processing'], state, { error, finishedAt: this.clock.now(), lease: null });
    if (!done) return 'lease-lost';
    await this.deps.events.publish({ type: 'task.updated', taskId: task.id, state });
    return state;
  }
}
