/**
 * The `site.migrate` job: runs one migrate task (payload `{ taskId }`, enqueued by UpgradeService with
 * uniqueKey `migrate:<taskId>`). The queue limits the jobs this process runs at once (hosting.concurrency); the
 * limits that hold across processes — per server (hosting.concurrencyPerServer) and overall (hosting.concurrency) —
 * are slots counted in the task store (TaskRepository.claimWithinLimits), waited for, never failed on.
 */
import { ValidationError } from '../domain/errors.js';
import type { Clock, EventPublisher, HostingDriver, JobQueue, Repositories } from '../domain/ports.js';
import { MigrationService } from '../services/migration-service.js';
import { MIGRATE_JOB } from '../services/upgrade-service.js';

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
}

/**
 * Takes over migrations of dead workers; schedule with `jobs.every(MIGRATION_RECOVER_JOB, ms, {}, { uniqueKey })`.
 * Data `{ everyLease: true }` (embedded single process, at start only) takes over every processing migration.
 */
export const MIGRATION_RECOVER_JOB = 'site.migrate.recover';

/**
 * How often a worker runs the recover job. With the 15 s lease (DEFAULT_LEASE_MS, renewed every 5 s), a dead
 * worker's migrations are taken over within about 20 s of its last renewal.
 */
export const MIGRATION_RECOVER_EVERY_MS = 5_000;

export interface MigrateJobData {
  taskId: string;
}

export interface RecoverJobData {
  everyLease?: boolean;
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
      await migrations.run(data.taskId, options.owner, { attempt: ctx.attempt, maxAttempts: options.maxAttempts, signal: ctx.signal });
    },
    { concurrency: options.concurrency, maxAttempts: options.maxAttempts, ...(options.backoffMs !== undefined ? { backoffMs: options.backoffMs } : {}) },
  );
  jobs.define<RecoverJobData>(
    MIGRATION_RECOVER_JOB,
    async (data) => void (await migrations.recover(options.owner, { everyLease: data?.everyLease === true })),
    { concurrency: 1, maxAttempts: 1 },
  );
  return migrations;
};
