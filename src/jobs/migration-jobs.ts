/**
 * The `site.migrate` job: runs one migrate task (payload and key in src/domain/jobs.ts, enqueued by
 * UpgradeService). The queue limits the jobs this process runs at once (hosting.concurrency); the
 * limits that hold across processes — per server (hosting.concurrencyPerServer) and overall (hosting.concurrency) —
 * are slots counted in the task store (TaskRepository.claimWithinLimits), waited for, never failed on.
 */
import { ValidationError } from '../domain/errors.js';
import { MIGRATE_JOB, MIGRATION_RECOVER_JOB, type MigrateJobData, type RecoverJobData } from '../domain/jobs.js';
import type { Clock, EventPublisher, HealthChecker, HostingDriver, JobQueue, Repositories } from '../domain/ports.js';
import { MigrationService, type StartGate } from '../services/migration-service.js';

export interface MigrationJobsOptions {
  repos: Pick<Repositories, 'tasks' | 'sites' | 'platforms'> & Partial<Pick<Repositories, 'transaction'>>;
  driver: HostingDriver;
  events: EventPublisher;
  /** This worker's lease owner id (unique per process). */
  owner: string;
  concurrency: number;
  concurrencyPerServer: number;
  maxAttempts: number;
  backoffMs?: number;
  leaseMs?: number;
  slotWaitMs?: number;
  clock?: Clock;
  onError?: (error: unknown) => void;
  /** The distribution's health check after each migration (step healthCheck). */
  health?: HealthChecker;
  /**
   * Rollouts: `gate` holds back a task whose rollout is paused or outside its maintenance window (the task stays
   * or goes back to queued; the rollout enqueues it again) and cancels one whose rollout was cancelled. It is asked
   * before the slot wait (so a held task takes no slot) and again by the service right before the first change to
   * the site, in one transaction with it. `taskEnded` moves the rollout on; called after the migration, inside the
   * job, so a crash before it reruns the job (which then finds the task finished).
   */
  rollouts?: { gate(taskId: string): Promise<StartGate>; taskEnded(taskId: string): Promise<void> };
}

/**
 * Defines `site.migrate` and `site.migrate.recover` on the queue and returns the service; call
 * `recover(owner)` on it when the worker starts (and schedule the recover job to catch workers dying later).
 */
export const registerMigrationJobs = (jobs: JobQueue, options: MigrationJobsOptions): MigrationService => {
  const migrations = new MigrationService({
    tasks: options.repos.tasks,
    sites: options.repos.sites,
    platforms: options.repos.platforms,
    driver: options.driver,
    events: options.events,
    ...(options.health ? { health: options.health } : {}),
    limits: { perServer: options.concurrencyPerServer, overall: options.concurrency },
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
    ...(options.slotWaitMs ? { slotWaitMs: options.slotWaitMs } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.rollouts ? { gate: (taskId: string) => options.rollouts!.gate(taskId) } : {}),
    ...(options.repos.transaction ? { transaction: options.repos.transaction.bind(options.repos) } : {}),
    jobs,
    maxAttempts: options.maxAttempts,
  });
  jobs.define<MigrateJobData>(
    MIGRATE_JOB,
    async (data, ctx) => {
      if (typeof data?.taskId !== 'string' || !data.taskId) throw new ValidationError(`${MIGRATE_JOB} job needs a taskId.`);
      // Checked first so a held task takes no slot; the service checks again right before it changes the site.
      if (options.rollouts && (await options.rollouts.gate(data.taskId)) !== 'start') {
        await options.rollouts.taskEnded(data.taskId);
        return;
      }
      await migrations.run(data.taskId, options.owner, { attempt: ctx.attempt, maxAttempts: options.maxAttempts, signal: ctx.signal });
      await options.rollouts?.taskEnded(data.taskId);
    },
    { concurrency: options.concurrency, maxAttempts: options.maxAttempts, ...(options.backoffMs !== undefined ? { backoffMs: options.backoffMs } : {}) },
  );
  jobs.define<RecoverJobData>(
    MIGRATION_RECOVER_JOB,
    async (data) => {
      const recovered = await migrations.recover(options.owner, { everyLease: data?.everyLease === true });
      for (const r of recovered) await options.rollouts?.taskEnded(r.taskId);
    },
    { concurrency: 1, maxAttempts: 1 },
  );
  return migrations;
};
