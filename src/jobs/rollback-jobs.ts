/**
 * The rollback jobs: `site.rollback` runs one rollback task (enqueued by RollbackService), `site.rollback.recover`
 * takes over rollbacks of dead workers, and `backup.prune` removes backups past BACKUP_RETENTION_DAYS.
 * Names, payloads and keys are in src/domain/jobs.ts; the schedules are declared in startWorkerJobs.
 */
import { ValidationError } from '../domain/errors.js';
import { BACKUP_PRUNE_JOB, ROLLBACK_JOB, ROLLBACK_RECOVER_JOB, type RecoverJobData, type RollbackJobData } from '../domain/jobs.js';
import type { Clock, EventPublisher, HostingDriver, JobQueue, LogFn, Repositories } from '../domain/ports.js';
import { BackupPruner } from '../services/backup-pruner.js';
import { RollbackRunner } from '../services/rollback-runner.js';

export interface RollbackJobsOptions {
  repos: Pick<Repositories, 'tasks' | 'sites' | 'platforms'>;
  driver: HostingDriver;
  events: EventPublisher;
  owner: string;
  retentionMs: number;
  maxAttempts: number;
  log: LogFn;
  leaseMs?: number;
  clock?: Clock;
  onError?: (error: unknown) => void;
}

export const registerRollbackJobs = (jobs: JobQueue, options: RollbackJobsOptions): { runner: RollbackRunner; pruner: BackupPruner } => {
  const runner = new RollbackRunner({
    tasks: options.repos.tasks,
    sites: options.repos.sites,
    platforms: options.repos.platforms,
    driver: options.driver,
    events: options.events,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const pruner = new BackupPruner({
    tasks: options.repos.tasks,
    driver: options.driver,
    retentionMs: options.retentionMs,
    log: options.log,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  jobs.define<RollbackJobData>(
    ROLLBACK_JOB,
    async (data) => {
      if (typeof data?.taskId !== 'string' || !data.taskId) throw new ValidationError(`${ROLLBACK_JOB} job needs a taskId.`);
      await runner.run(data.taskId, options.owner);
    },
    // Not retried by the queue: a rollback that stopped is taken over by the recover job from its checkpoint.
    { concurrency: 1, maxAttempts: 1 },
  );
  jobs.define<RecoverJobData>(ROLLBACK_RECOVER_JOB, async (data) => void (await runner.recover(options.owner, { everyLease: data?.everyLease === true })), {
    concurrency: 1,
    maxAttempts: 1,
  });
  jobs.define(BACKUP_PRUNE_JOB, async () => void (await pruner.prune()), { concurrency: 1, maxAttempts: options.maxAttempts });
  return { runner, pruner };
};
