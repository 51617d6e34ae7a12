/**
 * Every background job's name, payload and uniqueness key, in one place. Framework-free, so services that enqueue
 * import it as well as the handlers under src/jobs/ (one module per job family) that define it on a queue.
 */
import type { Actor } from './actor.js';

/** `distribution.poll`: checks one distribution's upstream for new builds (src/jobs/poll-jobs.ts). */
export const POLL_JOB = 'distribution.poll';
export interface PollJobData {
  distributionId: string;
  /** Who asked (a user via `/distro poll`, a webhook); the schedule leaves it out. */
  actor?: Actor;
}
/** The recurring poll of a distribution (one schedule each). */
export const pollScheduleKey = (distributionId: string): string => `poll:${distributionId}`;
/** One pending asked-for poll per distribution however often it is asked for. */
export const pollNowKey = (distributionId: string): string => `poll-now:${distributionId}`;

/** `platform.build`: builds one queued platform (src/jobs/build-jobs.ts). */
export const BUILD_JOB = 'platform.build';
export interface BuildJobData {
  platformId: string;
}
/** One pending build per platform. */
export const buildKey = (platformId: string): string => `build:${platformId}`;
/** Requeues builds whose worker died (expired build lease); recurring, one schedule per deployment. */
export const BUILD_RECOVER_JOB = 'platform.build.recover';
export const BUILD_RECOVER_EVERY_MS = 10_000;
export const BUILD_RECOVER_KEY = 'build-recover';

/**
 * `platform.target-when-mature`: makes a build the target once it is as old as the distribution's
 * minReleaseAgeHours (src/jobs/build-jobs.ts), if it is still the newest and autoTarget still on.
 */
export const TARGET_WHEN_MATURE_JOB = 'platform.target-when-mature';
export interface TargetWhenMatureJobData {
  platformId: string;
}
/** One pending check per platform and time (a changed minimum age schedules another). */
export const targetWhenMatureKey = (platformId: string, at: Date): string => `target-mature:${platformId}:${at.toISOString()}`;

/** `site.migrate`: runs one migrate task (src/jobs/migration-jobs.ts). */
export const MIGRATE_JOB = 'site.migrate';
export interface MigrateJobData {
  taskId: string;
}
/** One pending `site.migrate` job per task, however often it is enqueued. */
export const migrateJobKey = (taskId: string): string => `migrate:${taskId}`;
/**
 * The job of a migration queued again after a crash cut it (attempt `attempt`): its own key, since the job that
 * queues it again may still hold migrateJobKey while it ends.
 */
export const migrateRetryJobKey = (taskId: string, attempt: number): string => `${migrateJobKey(taskId)}:attempt-${attempt}`;
/**
 * Takes over migrations of dead workers (recurring). Data `{ everyLease: true }` (embedded single process, at start
 * only) takes over every processing migration.
 */
export const MIGRATION_RECOVER_JOB = 'site.migrate.recover';
export interface RecoverJobData {
  everyLease?: boolean;
}
/**
 * How often a worker runs the recover job. With the 15 s lease (DEFAULT_LEASE_MS, renewed every 5 s), a dead
 * worker's migrations are taken over within about 20 s of its last renewal.
 */
export const MIGRATION_RECOVER_EVERY_MS = 5_000;
export const MIGRATION_RECOVER_KEY = 'migrate-recover';

/** `site.install`: installs one new site (src/jobs/site-jobs.ts). */
export const SITE_INSTALL_JOB = 'site.install';
export interface SiteInstallJobData {
  taskId: string;
}
/** One pending install job per task. */
export const installJobKey = (taskId: string): string => `install:${taskId}`;

/** `advisories.poll`: polls every advisory feed (src/jobs/advisory-jobs.ts); recurring, one schedule per deployment. */
export const ADVISORY_POLL_JOB = 'advisories.poll';
export const ADVISORY_POLL_KEY = 'advisory-poll';
/**
 * `advisories.digest`: claims the weekly advisory digests due now and has them posted (src/jobs/advisory-jobs.ts);
 * recurring, one schedule per deployment, often enough to run several times within a digest's hour.
 */
export const ADVISORY_DIGEST_JOB = 'advisories.digest';
export const ADVISORY_DIGEST_EVERY_MS = 15 * 60_000;
export const ADVISORY_DIGEST_KEY = 'advisory-digest';
/**
 * `rollout.advance`: moves a rollout on (src/jobs/rollout-jobs.ts): starts its next wave when the previous one
 * finished healthy and a maintenance window is open, pauses it when a wave failed, finishes it after the last.
 * Idempotent, so it is enqueued freely: after each of its migrations ends, at a window's opening, on resume,
 * and for every unfinished rollout when a worker starts.
 */
export const ROLLOUT_ADVANCE_JOB = 'rollout.advance';
export interface RolloutAdvanceJobData {
  rolloutId: string;
}
/**
 * One pending advance per rollout and cause (`task:<id>`, `window:<ISO time>`, `resume:<version>`, `start`): a job
 * cannot enqueue itself under its own key while it runs, so each trigger has its own.
 */
export const rolloutAdvanceKey = (rolloutId: string, cause: string): string => `rollout:${rolloutId}:${cause}`;
/** `site.rollback`: runs one rollback task, putting a migrated site back on its old platform from the backup (src/jobs/rollback-jobs.ts). */
export const ROLLBACK_JOB = 'site.rollback';
export interface RollbackJobData {
  taskId: string;
}
/** One pending rollback job per task. */
export const rollbackJobKey = (taskId: string): string => `rollback:${taskId}`;
/** Takes over rollbacks of dead workers (recurring, with the migration recover interval); `everyLease` as for migrations. */
export const ROLLBACK_RECOVER_JOB = 'site.rollback.recover';
export const ROLLBACK_RECOVER_KEY = 'rollback-recover';

/** `backup.prune`: deletes migration backups older than the retention (BACKUP_RETENTION_DAYS); recurring. */
export const BACKUP_PRUNE_JOB = 'backup.prune';
export const BACKUP_PRUNE_EVERY_MS = 3_600_000;
export const BACKUP_PRUNE_KEY = 'backup-prune';
