/**
 * A worker's start, in one place: work the store has but the queue lacks is enqueued again, then the queue starts
 * and every recurring schedule (recover jobs, distribution polls) is declared. Each worker re-declares them;
 * their unique keys keep one schedule per deployment.
 */
import {
  ADVISORY_DIGEST_EVERY_MS,
  ADVISORY_DIGEST_JOB,
  ADVISORY_DIGEST_KEY,
  ADVISORY_POLL_JOB,
  ADVISORY_POLL_KEY,
  BACKUP_PRUNE_EVERY_MS,
  BACKUP_PRUNE_JOB,
  BACKUP_PRUNE_KEY,
  BUILD_RECOVER_EVERY_MS,
  BUILD_RECOVER_JOB,
  BUILD_RECOVER_KEY,
  MIGRATION_RECOVER_EVERY_MS,
  MIGRATION_RECOVER_JOB,
  MIGRATION_RECOVER_KEY,
  ROLLBACK_RECOVER_JOB,
  ROLLBACK_RECOVER_KEY,
  type RecoverJobData,
} from '../domain/jobs.js';
import type { JobQueue, Repositories } from '../domain/ports.js';
import type { PollService } from '../services/poll-service.js';
import { requeueOrphans } from '../services/requeue-orphans.js';

export interface WorkerJobsOptions {
  repos: Repositories;
  jobs: JobQueue;
  polls: Pick<PollService, 'schedulePolls'>;
  /** The embedded store: this process is the only worker, so whatever was running was cut off by its restart. */
  singleProcess: boolean;
  /** Interval of the advisory feed poll (0: once at start); null or absent: no feed to poll. */
  advisoryPollMs?: number | null;
  /** Whether weekly advisory digests can be posted (Slack is configured): their job is scheduled only then. */
  advisoryDigests?: boolean;
  /** Advances every unfinished rollout once (a trigger may have died with the last process). */
  requeueRollouts?: () => Promise<unknown>;
}

/** Requeues orphans, starts the queue and declares the recurring schedules; returns the polls (un)scheduled. */
export const startWorkerJobs = async (options: WorkerJobsOptions): ReturnType<PollService['schedulePolls']> => {
  const { jobs } = options;
  await requeueOrphans(options.repos, jobs, options.singleProcess);
  await options.requeueRollouts?.();
  // The embedded store has one worker, this one: migrations still processing were cut off by a restart of
  // this process, so they are taken over now rather than after their lease runs out.
  if (options.singleProcess) {
    await jobs.enqueue<RecoverJobData>(MIGRATION_RECOVER_JOB, { everyLease: true });
    await jobs.enqueue<RecoverJobData>(ROLLBACK_RECOVER_JOB, { everyLease: true });
  }
  await jobs.start();
  // `every` runs once at once too: migrations a dead worker left are taken over now and every few seconds.
  await jobs.every<RecoverJobData>(MIGRATION_RECOVER_JOB, MIGRATION_RECOVER_EVERY_MS, {}, { uniqueKey: MIGRATION_RECOVER_KEY });
  await jobs.every<RecoverJobData>(ROLLBACK_RECOVER_JOB, MIGRATION_RECOVER_EVERY_MS, {}, { uniqueKey: ROLLBACK_RECOVER_KEY });
  await jobs.every(BACKUP_PRUNE_JOB, BACKUP_PRUNE_EVERY_MS, {}, { uniqueKey: BACKUP_PRUNE_KEY });
  // Builds a dead worker left `building` (expired build lease) are requeued by whichever worker runs this.
  await jobs.every(BUILD_RECOVER_JOB, BUILD_RECOVER_EVERY_MS, {}, { uniqueKey: BUILD_RECOVER_KEY });
  // Security advisories: polled at start and every interval (one schedule per deployment).
  if (options.advisoryPollMs === 0) await jobs.enqueue(ADVISORY_POLL_JOB, {}, { uniqueKey: ADVISORY_POLL_KEY });
  else if (options.advisoryPollMs) await jobs.every(ADVISORY_POLL_JOB, options.advisoryPollMs, {}, { uniqueKey: ADVISORY_POLL_KEY });
  else await jobs.cancelRecurring(ADVISORY_POLL_KEY);
  // Weekly advisory digests of the distributions that ask for one (policy.advisoryDigest).
  if (options.advisoryDigests) await jobs.every(ADVISORY_DIGEST_JOB, ADVISORY_DIGEST_EVERY_MS, {}, { uniqueKey: ADVISORY_DIGEST_KEY });
  else await jobs.cancelRecurring(ADVISORY_DIGEST_KEY);
  return options.polls.schedulePolls();
};
