/**
 * A worker's start, in one place: work the store has but the queue lacks is enqueued again, then the queue starts
 * and every recurring schedule (recover jobs, distribution polls) is declared. Each worker re-declares them;
 * their unique keys keep one schedule per deployment.
 */
import {
  BUILD_RECOVER_EVERY_MS,
  BUILD_RECOVER_JOB,
  BUILD_RECOVER_KEY,
  MIGRATION_RECOVER_EVERY_MS,
  MIGRATION_RECOVER_JOB,
  MIGRATION_RECOVER_KEY,
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
}

/** Requeues orphans, starts the queue and declares the recurring schedules; returns the polls (un)scheduled. */
export const startWorkerJobs = async (options: WorkerJobsOptions): ReturnType<PollService['schedulePolls']> => {
  const { jobs } = options;
  await requeueOrphans(options.repos, jobs, options.singleProcess);
  // The embedded store has one worker, this one: migrations still processing were cut off by a restart of
  // this process, so they are taken over now rather than after their lease runs out.
  if (options.singleProcess) await jobs.enqueue<RecoverJobData>(MIGRATION_RECOVER_JOB, { everyLease: true });
  await jobs.start();
  // `every` runs once at once too: migrations a dead worker left are taken over now and every few seconds.
  await jobs.every<RecoverJobData>(MIGRATION_RECOVER_JOB, MIGRATION_RECOVER_EVERY_MS, {}, { uniqueKey: MIGRATION_RECOVER_KEY });
  // Builds a dead worker left `building` (expired build lease) are requeued by whichever worker runs this.
  await jobs.every(BUILD_RECOVER_JOB, BUILD_RECOVER_EVERY_MS, {}, { uniqueKey: BUILD_RECOVER_KEY });
  return options.polls.schedulePolls();
};
