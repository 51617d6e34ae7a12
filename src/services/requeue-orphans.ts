/** Work the store has but the job queue lacks, queued again when a worker starts (see src/jobs/worker-jobs.ts). */
import {
  BUILD_JOB,
  buildKey,
  installJobKey,
  MIGRATE_JOB,
  migrateJobKey,
  ROLLBACK_JOB,
  rollbackJobKey,
  SITE_INSTALL_JOB,
  type BuildJobData,
  type MigrateJobData,
  type RollbackJobData,
  type SiteInstallJobData,
} from '../domain/jobs.js';
import { ALL_ITEMS, type JobQueue, type Repositories } from '../domain/ports.js';

/**
 * Work recorded in the store but not in the queue: a crash can fall between recording a task and enqueueing it
 * (where the two are not one transaction). Unique keys make this a no-op otherwise.
 * (In a multi-worker install a build cut off stays `building` until its lease expires: another worker may
 * still be building it. The build-recover job requeues it then.)
 */
export const requeueOrphans = async (repos: Repositories, jobs: JobQueue, singleProcess: boolean): Promise<void> => {
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
