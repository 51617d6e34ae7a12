/**
 * The `site.migrate` job: runs one migrate task (payload and key in src/domain/jobs.ts, enqueued by
 * UpgradeService). The queue limits the jobs this process runs at once (hosting.concurrency); the
 * limits that hold across processes — per server (hosting.concurrencyPerServer) and overall (hosting.concurrency) —
 * are slots counted in the task store (TaskRepository.claimWithinLimits), waited for, never failed on.
 */
import { ValidationError } from '../domain/errors.js';
import { MIGRATE_JOB, MIGRATION_RECOVER_JOB, type MigrateJobData, type RecoverJobData } from '../domain/jobs.js';
import type { Clock, EventPublisher, HealthChecker, HostingDriver, JobQueue, Repositories } from '../domain/ports.js';
import { MigrationService } from '../services/migration-service.js';

export interface MigrationJobsOptions {
  repos: Pick<Repositories, 'tasks' | 'sites' | 'platforms'>;
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
   * Rollouts: `mayStart` holds back a queued task whose rollout is paused, cancelled or outside its maintenance
   * window (the task stays queued; the rollout enqueues it again); `taskEnded` moves the rollout on. Called after
   * the migration, inside the job, so a crash before it reruns the job (which then finds the task finished).
   */
  rollouts?: { mayStart(taskId: string): Promise<boolean>; taskEnded(taskId: string): Promise<void> };
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
  });
  jobs.define<MigrateJobData>(
    MIGRATE_JOB,
    async (data, ctx) => {
      if (typeof data?.taskId !== 'string' || !data.taskId) throw new ValidationError(`${MIGRATE_JOB} job needs a taskId.`);
      if (options.rollouts && !(await options.rollouts.mayStart(data.taskId))) return;
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
