/**
 * Runs `rollback` tasks on a worker: puts a migrated site back on its old platform from the migration's backup.
 * Write-ahead like migrations: each step's intent is committed before it runs. Until `restoreStarted` is
 * committed the site is whole on its current platform (an error there changes nothing: maintenance is lifted and
 * the task fails); from then on the only way is forward: the restore is idempotent (the local driver extracts aside
 * and renames in, fsync'd), so a worker dying at any instant is followed by a recovery that restores again and
 * finishes. "Rolled back" is reported only when the files hash like the backup on the old platform.
 */
import { HostingError } from '../domain/errors.js';
import type { Clock, SiteLocation } from '../domain/ports.js';
import type { Platform } from '../domain/platform.js';
import type { Site } from '../domain/site.js';
import type { Task } from '../domain/task.js';
import { crashPoint } from '../lib/crash-point.js';
import { DEFAULT_LEASE_MS, finishTask, Lease, loadMove, LeaseLostError, messageOf, recoveredNote, TaskLog, type MigrationOutcome, type MigrationServiceDeps, type RecoverOptions } from './migration-service.js';
import { ROLLBACK_KEYS } from './rollback-service.js';

/** Checkpoint keys of the run. */
const CP_INTENT = 'intent';
/** The site was marked migrating by this task (so a resumed run knows the mark is its own). */
const CP_BEGUN = 'begun';
/** Committed before the restore touches anything: from here on, a crash is followed by restoring again. */
const CP_RESTORE_STARTED = 'restoreStarted';

const EVERY_LEASE_EXPIRED = new Date(8.64e15);

export type RollbackRunnerDeps = Pick<MigrationServiceDeps, 'tasks' | 'sites' | 'platforms' | 'driver' | 'events' | 'clock' | 'leaseMs' | 'onError'>;

interface Run {
  task: Task;
  site: Site;
  /** The platform the site is on now (the migration's target) and the one it goes back to. */
  current: Platform;
  previous: Platform;
  log: TaskLog['log'];
  taskLog: TaskLog;
  lease: Lease;
  checkpoint: Record<string, string>;
}

const placeOf = (where: SiteLocation, run: Pick<Run, 'current' | 'previous'>): string =>
  ({
    from: `on ${run.previous.name}`,
    to: `on ${run.current.name}`,
    both: `on both ${run.previous.name} and ${run.current.name}`,
    missing: 'on neither platform',
    unknown: 'somewhere the driver cannot tell',
  })[where];

export class RollbackRunner {
  private readonly clock: Clock;
  private readonly leaseMs: number;

  constructor(private readonly deps: RollbackRunnerDeps) {
    this.clock = deps.clock ?? { now: () => new Date() };
    this.leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  }

  async run(taskId: string, owner: string): Promise<MigrationOutcome> {
    const task = await this.deps.tasks.get(taskId);
    if (!task || task.type !== 'rollback') return 'skipped';
    const previous = task.state === 'processing' && task.lease && task.lease.owner !== owner ? task.lease.owner : null;
    const claimed = await this.claim(task, owner, this.clock.now());
    if (!claimed) return 'skipped';
    return this.execute(claimed, owner, previous ? recoveredNote(owner, previous) : undefined);
  }

  /** Takes over rollbacks whose worker died (expired lease) and finishes them. */
  async recover(owner: string, options: RecoverOptions = {}): Promise<Array<{ taskId: string; outcome: MigrationOutcome }>> {
    const now = options.everyLease ? EVERY_LEASE_EXPIRED : this.clock.now();
    const expired = (await this.deps.tasks.listExpired(now)).filter((t) => t.type === 'rollback' && t.lease?.owner !== owner);
    return Promise.all(
      expired.map(async (t) => {
        const claimed = await this.claim(t, owner, now);
        if (!claimed) return { taskId: t.id, outcome: 'skipped' as const };
        return { taskId: t.id, outcome: await this.execute(claimed, owner, recoveredNote(owner, t.lease?.owner ?? '?')) };
      }),
    );
  }

  private async claim(task: Task, owner: string, now: Date): Promise<Task | null> {
    const claimed = await this.deps.tasks.claim(task.id, owner, new Date(this.clock.now().getTime() + this.leaseMs), now);
    if (claimed) await this.deps.events.publish({ type: 'task.updated', taskId: task.id, state: 'processing' });
    return claimed;
  }

  private async execute(task: Task, owner: string, note?: string): Promise<MigrationOutcome> {
    const taskLog = new TaskLog(this.deps.tasks, task.id, this.clock);
    const lease = new Lease({ ...this.deps, clock: this.clock, leaseMs: this.leaseMs }, task.id, owner);
    if (note) taskLog.log(note, 'warn');
    try {
      // A rollback task moves the site from its current platform (`from`) back to the previous one (`to`).
      const move = await loadMove(this.deps, task);
      if (move.missing) {
        const missing = { site: `site ${task.subject.name}`, from: 'current platform', to: 'platform to go back to' }[move.missing];
        return await this.finish(task, taskLog, 'failed', `The ${missing} of this rollback no longer exists; nothing was changed.`);
      }
      const { site, from: current, to: previous } = move;
      const run: Run = { task, site, current, previous, log: taskLog.log, taskLog, lease, checkpoint: { ...task.checkpoint } };
      return await this.rollBack(run);
    } catch (error) {
      if (error instanceof LeaseLostError) {
        taskLog.log(`Another worker took over task #${task.number}; stopping here`, 'warn');
        return 'lease-lost';
      }
      throw error;
    } finally {
      lease.stop();
      await taskLog.flush();
    }
  }

  private async rollBack(run: Run): Promise<MigrationOutcome> {
    const { site, current, previous, log, lease } = run;
    const backup = run.checkpoint[ROLLBACK_KEYS.backup];
    if (!backup) return this.finish(run.task, run.taskLog, 'failed', 'No backup was recorded for this rollback; nothing was changed.');
    if (!run.checkpoint[CP_RESTORE_STARTED]) {
      log(`Rolling back ${site.name} from ${current.name} to ${previous.name} from ${backup}`);
      if (!(await this.begin(run))) {
        const now = await this.deps.sites.get(site.id);
        return this.finish(run.task, run.taskLog, 'failed', `${site.name} is ${now?.status ?? 'gone'}${now?.platformId === current.id ? '' : ' elsewhere'}, not an enabled site on ${current.name}; nothing was changed.`);
      }
      try {
        lease.check();
        await this.record(run, 'begun', { [CP_INTENT]: 'maintenanceOn' });
        await this.deps.driver.maintenanceOn(site, current, log);
        crashPoint('siteRollback:maintenance');
        lease.check();
      } catch (error) {
        if (error instanceof LeaseLostError) throw error;
        // Nothing of the site was touched but the maintenance flag: lift it and leave the site where it is.
        await this.deps.driver.maintenanceOff(site, current, log).catch(() => undefined);
        await this.deps.sites.abortMigration(site.id);
        return this.finish(run.task, run.taskLog, 'failed', `Could not start the rollback: ${messageOf(error)}. ${site.name} stays on ${current.name}, unchanged.`);
      }
      // Write-ahead: from here on, a crash is followed by restoring again, never by leaving the site half moved.
      await this.record(run, 'maintenanceOn', { [CP_INTENT]: 'restore', [CP_RESTORE_STARTED]: this.clock.now().toISOString() });
      crashPoint('siteRollback:restore-intent');
    } else {
      log(`Resuming the restore of ${site.name} on ${previous.name}`);
    }
    try {
      await this.restore(run, backup);
    } catch (error) {
      if (error instanceof LeaseLostError) throw error;
      return this.finish(run.task, run.taskLog, 'failed', `The restore did not complete: ${messageOf(error)} ${site.name} needs attention (backup: ${backup}).`);
    }
    crashPoint('siteRollback:restored');
    await this.record(run, 'restored', {});
    try {
      await this.deps.driver.maintenanceOff(site, previous, log);
    } catch (error) {
      await this.deps.sites.completeMigration(site.id, previous.id, run.task.id, this.clock.now());
      return this.finish(run.task, run.taskLog, 'failed', `${site.name} is back on ${previous.name}, but maintenance mode could not be turned off: ${messageOf(error)}`);
    }
    if (!(await this.deps.sites.completeMigration(site.id, previous.id, run.task.id, this.clock.now()))) {
      const now = await this.deps.sites.get(site.id);
      if (now?.platformId !== previous.id) log(`${site.name} was no longer marked migrating when the rollback finished`, 'warn');
    }
    crashPoint('siteRollback:completed');
    log(`Rolled back: ${site.name} is on ${previous.name} as it was before its migration`);
    return this.finish(run.task, run.taskLog, 'succeeded', null);
  }

  /** Marks the site migrating (so nothing else moves or edits it meanwhile); on a resumed run the mark may be ours. */
  private async begin(run: Run): Promise<boolean> {
    const { site, current } = run;
    if (run.checkpoint[CP_BEGUN] === undefined) await this.record(run, 'requested', { [CP_INTENT]: 'begin', [CP_BEGUN]: '' });
    if (await this.deps.sites.beginMigration(site.id, current.id)) {
      await this.record(run, 'begun', { [CP_BEGUN]: this.clock.now().toISOString() });
      return true;
    }
    // The intent was committed before: a migrating site on `current` with no other active task is this run's own mark.
    const now = await this.deps.sites.get(site.id);
    if (now?.status !== 'migrating' || now.platformId !== current.id) return false;
    const others = await this.deps.tasks.list({ subjectId: site.id, type: ['migrate'], state: ['queued', 'processing'] }, { limit: 1, offset: 0 });
    return others.total === 0;
  }

  /** Restores the backup onto the old platform unless it is already whole there; verifies place and content hash. */
  private async restore(run: Run, backup: string): Promise<void> {
    const { driver } = this.deps;
    const { site, current, previous, log } = run;
    const digest = run.checkpoint[ROLLBACK_KEYS.digest] ?? null;
    // The driver's restore(site, from, to) puts the site back on `from` and nowhere else: `from` is the old platform.
    const where = await driver.locateSite(site, previous, current, log);
    const intact = where === 'from' && digest !== null && (await driver.siteDigest(site, previous, log)) === digest;
    if (intact) log(`${site.name} is already whole on ${previous.name} (its files match the backup)`);
    else {
      log(`${site.name} is ${placeOf(where, run)}; restoring ${backup}`);
      await driver.restore(site, previous, current, backup, log);
    }
    const after = await driver.locateSite(site, previous, current, log);
    if (after !== 'from' && after !== 'unknown') throw new HostingError(`after the restore ${site.name} is ${placeOf(after, run)}.`);
    if (digest === null) return log(`The ${driver.name} driver cannot hash site files, so the restore is not verified`, 'warn');
    if ((await driver.siteDigest(site, previous, log)) !== digest) throw new HostingError(`the files of ${site.name} on ${previous.name} do not match its backup.`);
    log(`${site.name} on ${previous.name} matches its backup`);
  }

  private async record(run: Run, step: string, checkpoint: Record<string, string>): Promise<void> {
    await this.deps.tasks.setStep(run.task.id, step, checkpoint);
    Object.assign(run.checkpoint, checkpoint);
    await run.taskLog.flush();
  }

  private finish(task: Task, taskLog: TaskLog, state: 'succeeded' | 'failed', error: string | null): Promise<MigrationOutcome> {
    return finishTask({ ...this.deps, clock: this.clock }, task, taskLog, state, error);
  }
}
