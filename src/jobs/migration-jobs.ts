/**
 * The `site.migrate` job: runs one migrate task (payload `{ taskId }`, enqueued by UpgradeService with
 * uniqueKey `migrate:<taskId>`). The queue limits migrations per process (hosting.concurrency); a keyed
 * semaphore in MigrationService limits them per server (hosting.concurrencyPerServer).
 */
import { ValidationError } from '../domain/errors.js';
import type { Clock, EventPublisher, HostingDriver, JobQueue, Repositories } from '../domain/ports.js';
import { KeyedSemaphore } from '../services/keyed-semaphore.js';
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
  clock?: Clock;
  onError?: (error: unknown) => void;
}

/** Takes over migrations of dead workers; schedule with `jobs.every(MIGRATION_RECOVER_JOB, ms, {}, { uniqueKey })`. */
export const MIGRATION_RECOVER_JOB = 'site.migrate.recover';

export interface MigrateJobData {
  taskId: string;
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
    servers: new KeyedSemaphore(options.concurrencyPerServer),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  jobs.define<MigrateJobData>(
    MIGRATE_JOB,
    async (data, ctx) => {
      if (typeof data?.taskId !== 'string' || !data.taskId) throw new ValidationError(`${MIGRATE_JOB} job needs a taskId.`);
      await migrations.run(data.taskId, options.owner, { attempt: ctx.attempt, maxAttempts: options.maxAttempts });
    },
    { concurrency: options.concurrency, maxAttempts: options.maxAttempts, ...(options.backoffMs !== undefined ? { backoffMs: options.backoffMs } : {}) },
  );
  jobs.define(MIGRATION_RECOVER_JOB, async () => void (await migrations.recover(options.owner)), { concurrency: 1, maxAttempts: 1 });
  return migrations;
};
