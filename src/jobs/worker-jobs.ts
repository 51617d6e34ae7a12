/**
 * A worker's start, in one place: work the store has but the queue lacks is enqueued again, then the queue starts
 * and every recurring schedule (recover jobs, distribution polls) is declared. Each worker re-declares them;
 * their unique keys keep one schedule per deployment.
 */
import {
  ADVISORY_POLL_JOB,
  ADVISORY_POLL_KEY,
  BACKUP_PRUNE_EVERY_MS,
  BACKUP_PRUNE_JOB,
  BACKUP_PRUNE_KEY,
  BUILD_JOB,
  BUILD_RECOVER_EVERY_MS,
  BUILD_RECOVER_JOB,
  BUILD_RECOVER_KEY,
  buildKey,
  installJobKey,
  MIGRATE_JOB,
  migrateJobKey,
  MIGRATION_RECOVER_EVERY_MS,
  MIGRATION_RECOVER_JOB,
  MIGRATION_RECOVER_KEY,
  ROLLBACK_JOB,
  rollbackJobKey,
  ROLLBACK_RECOVER_JOB,
  ROLLBACK_RECOVER_KEY,
  SITE_INSTALL_JOB,
  type BuildJobData,
  type MigrateJobData,
  type RecoverJobData,
  type RollbackJobData,
  type SiteInstallJobData,
} from '../domain/jobs.js';
import { ALL_ITEMS, type JobQueue, type Repositories } from '../domain/ports.js';
import type { PollService } from '../services/poll-service.js';

export interface WorkerJobsOptions {
  repos: Repositories;
  jobs: JobQueue;
  polls: Pick<PollService, 'schedulePolls'>;
  /** The embedded store: this process is the only worker, so whatever was running was cut off by its restart. */
  singleProcess: boolean;
  /** Interval of the advisory feed poll (0: once at start); null or absent: no feed to poll. */
  advisoryPollMs?: number | null;
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
  return options.polls.schedulePolls();
};

/**
 * Work recorded in the store but not in the queue: a crash can fall between recording a task and enqueueing it
 * (where the two are not one transaction). Unique keys make this a no-op otherwise.
 * (In a multi-worker install a build cut off stays `building` until its lease expires: another worker may
 * still be building it. The build-recover job requeues it then.)
 */
const requeueOrphans = async (repos: Repositories, jobs: JobQueue, singleProcess: boolean): Promise<void> => {
  if (singleProcess) {
    // The embedded store has one worker, this one: a build still marked `building` was cut off by a restart.
    const building = await repos.platforms.list({ status: ['building'] }, ALL_ITEMS);
    for (const p of building.items) {
      await repos.platforms.appendBuildLog(p.id, ['Build interrupted by a restart; building again.']);
      await repos.platforms.setStatus(p.id, 'queued', ['building']);
    }
    // Likewise a processing install: its lease is ended so the install job below claims it at once, rather than
    // retrying against a lease nobody renews until its attempts run out.
    const installing = await repos.tasks.list({ type: ['install'], state: ['processing'] }, ALL_ITEMS);
    for (const t of installing.items) if (t.lease) await repos.tasks.renewLease(t.id, t.lease.owner, new Date(0));
  }
  const queued = await repos.tasks.list({ type: ['migrate'], state: ['queued'] }, ALL_ITEMS);
  for (const task of queued.items) await jobs.enqueue<MigrateJobData>(MIGRATE_JOB, { taskId: task.id }, { uniqueKey: migrateJobKey(task.id) });
  const rollbacks = await repos.tasks.list({ type: ['rollback'], state: ['queued'] }, ALL_ITEMS);
  for (const task of rollbacks.items) await jobs.enqueue<RollbackJobData>(ROLLBACK_JOB, { taskId: task.id }, { uniqueKey: rollbackJobKey(task.id) });
  // Installs are idempotent: a processing one whose worker died is claimed again once its lease expires.
  const installs = await repos.tasks.list({ type: ['install'], state: ['queued', 'processing'] }, ALL_ITEMS);
  for (const task of installs.items) {
    await jobs.enqueue<SiteInstallJobData>(SITE_INSTALL_JOB, { taskId: task.id }, { uniqueKey: installJobKey(task.id) });
  }
  const platforms = await repos.platforms.list({ status: ['queued'] }, ALL_ITEMS);
  for (const p of platforms.items) await jobs.enqueue<BuildJobData>(BUILD_JOB, { platformId: p.id }, { uniqueKey: buildKey(p.id) });
};
