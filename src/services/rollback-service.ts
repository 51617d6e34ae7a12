/**
 * Rollback of a migrated site to the platform it came from, from the migration's backup: whether it is possible
 * (and until when), and the request, which records a `rollback` task and its job (run by RollbackRunner on a
 * worker). Refused, naming the reason, when the site never migrated, is moving, its old platform is gone, or the
 * backup was pruned or is past BACKUP_RETENTION_DAYS.
 */
import { describeActor, type Actor } from '../domain/actor.js';
import { ConflictError } from '../domain/errors.js';
import { ROLLBACK_JOB, rollbackJobKey, type RollbackJobData } from '../domain/jobs.js';
import { ALL_ITEMS, type Clock, type JobQueue, type Repositories } from '../domain/ports.js';
import type { Platform } from '../domain/platform.js';
import type { Site } from '../domain/site.js';
import { ACTIVE_TASK_STATES, type Task } from '../domain/task.js';
import type { AuditLog } from './audit-log.js';
import { resolveSite } from './lookup.js';
import { MIGRATION_BACKUP_KEYS } from './migration-service.js';
import { siteSubject } from './site-service.js';

/** Checkpoint keys of a rollback task, given at request time: the backup and its hash, and the migration undone. */
export const ROLLBACK_KEYS = { backup: 'backup', digest: 'backupDigest', migration: 'migrationTaskId' } as const;

export type RollbackStatus =
  | {
      possible: true;
      site: Site;
      /** The migration being undone. */
      migration: Task;
      /** The platform the site is on now, and the one it goes back to. */
      current: Platform;
      previous: Platform;
      /** When the backup is pruned and rollback stops being possible. */
      until: Date;
    }
  | { possible: false; site: Site; reason: string };

export interface RollbackServiceDeps {
  repos: Repositories;
  jobs: JobQueue;
  audit: AuditLog;
  /** BACKUP_RETENTION_DAYS in ms. */
  retentionMs: number;
  clock?: Clock;
}

const date = (d: Date): string => d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';

export class RollbackService {
  private readonly clock: Clock;

  constructor(private readonly deps: RollbackServiceDeps) {
    this.clock = deps.clock ?? { now: () => new Date() };
  }

  get retentionMs(): number {
    return this.deps.retentionMs;
  }

  /** Whether `siteKey` can be rolled back now, and why not. */
  async status(siteKey: string): Promise<RollbackStatus> {
    const { repos } = this.deps;
    const site = await resolveSite(repos, siteKey);
    const no = (reason: string): RollbackStatus => ({ possible: false, site, reason });
    const active = await repos.tasks.list({ subjectId: site.id, type: ['migrate', 'rollback'], state: [...ACTIVE_TASK_STATES] }, ALL_ITEMS);
    const busy = active.items[0];
    if (busy) return no(`${site.name} has a ${busy.type === 'rollback' ? 'rollback' : 'migration'} ${busy.state} (task #${busy.number}); wait for it to end or cancel it first.`);
    if (site.status !== 'enabled') return no(`${site.name} is ${site.status}; only an enabled site can be rolled back.`);
    const last = site.history[site.history.length - 1];
    const migration = last?.taskId ? await repos.tasks.get(last.taskId) : null;
    if (!migration) return no(`${site.name} has not been migrated by Distro, so there is no platform to go back to.`);
    if (migration.type === 'rollback') {
      return no(`${site.name} was already rolled back (task #${migration.number}); run an upgrade to move it forward again.`);
    }
    const previous = migration.fromPlatformId ? await repos.platforms.get(migration.fromPlatformId) : null;
    if (!previous || previous.status === 'deleted') {
      return no(`The platform ${site.name} came from is gone (deleted), so it cannot go back; it stays where it is.`);
    }
    const current = await repos.platforms.get(site.platformId);
    if (!current) return no(`The platform ${site.name} is on no longer exists.`);
    const cp = migration.checkpoint;
    if (cp[MIGRATION_BACKUP_KEYS.pruned]) {
      return no(`The backup of ${site.name} taken before task #${migration.number} was pruned on ${date(new Date(cp[MIGRATION_BACKUP_KEYS.pruned]!))} (backups are kept ${this.days()}); it cannot be rolled back.`);
    }
    if (!cp[MIGRATION_BACKUP_KEYS.backup]) return no(`Task #${migration.number} recorded no backup of ${site.name}; it cannot be rolled back.`);
    const until = new Date((migration.finishedAt ?? migration.createdAt).getTime() + this.deps.retentionMs);
    if (this.clock.now() >= until) {
      return no(`The backup of ${site.name} is older than the ${this.days()} backups are kept (since ${date(until)}); it cannot be rolled back.`);
    }
    return { possible: true, site, migration, current, previous, until };
  }

  /**
   * Records a rollback task with the backup it restores and enqueues its job, with the audit entry, in one
   * transaction (embedded store). Throws ConflictError (409) naming the reason when it is not possible.
   */
  async request(siteKey: string, actor: Actor): Promise<{ task: Task; status: Extract<RollbackStatus, { possible: true }> }> {
    const status = await this.status(siteKey);
    if (!status.possible) throw new ConflictError(status.reason);
    const { site, migration, current, previous } = status;
    const { repos } = this.deps;
    const task = await repos.transaction(async () => {
      // One active rollback per site (the task store's key): a second request at once gets a ConflictError.
      const created = await repos.tasks.create({
        type: 'rollback',
        subject: { kind: 'site', id: site.id, name: site.name },
        fromPlatformId: current.id,
        toPlatformId: previous.id,
        requestedBy: actor,
      });
      const cp = migration.checkpoint;
      await repos.tasks.setStep(created.id, 'requested', {
        [ROLLBACK_KEYS.backup]: cp[MIGRATION_BACKUP_KEYS.backup]!,
        ...(cp[MIGRATION_BACKUP_KEYS.digest] ? { [ROLLBACK_KEYS.digest]: cp[MIGRATION_BACKUP_KEYS.digest]! } : {}),
        [ROLLBACK_KEYS.migration]: migration.id,
      });
      await repos.tasks.appendLog(created.id, [
        { at: this.clock.now(), level: 'info', message: `Rollback of ${site.name} from ${current.name} to ${previous.name} requested by ${describeActor(actor)} (undoes task #${migration.number})` },
      ]);
      await this.deps.jobs.enqueue<RollbackJobData>(ROLLBACK_JOB, { taskId: created.id }, { uniqueKey: rollbackJobKey(created.id) });
      await this.deps.audit.record({
        actor,
        action: 'site.rollback',
        subject: siteSubject(site),
        details: { from: current.name, to: previous.name, task: created.number, undoes: migration.number },
      });
      return created;
    });
    return { task: (await repos.tasks.get(task.id)) ?? task, status };
  }

  private days(): string {
    const days = Math.round(this.deps.retentionMs / 86_400_000);
    return days === 1 ? '1 day' : `${days} days`;
  }
}
