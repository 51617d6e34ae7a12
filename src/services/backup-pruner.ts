/**
 * Prunes migration backups older than BACKUP_RETENTION_DAYS (the recurring `backup.prune` job). Only backups of
 * finished migrations are pruned, never one a queued or running rollback restores. Write-ahead: the task is
 * marked `backupPruned` before the file is deleted, so a crash in between leaves at worst an unreferenced file,
 * never a rollback offered from a backup that is gone.
 */
import { ALL_ITEMS, type Clock, type HostingDriver, type LogFn, type TaskRepository } from '../domain/ports.js';
import { ACTIVE_TASK_STATES } from '../domain/task.js';
import { MIGRATION_BACKUP_KEYS } from './migration-service.js';
import { ROLLBACK_KEYS } from './rollback-service.js';

export interface BackupPrunerDeps {
  tasks: TaskRepository;
  driver: Pick<HostingDriver, 'removeBackup' | 'name'>;
  retentionMs: number;
  log: LogFn;
  clock?: Clock;
}

export class BackupPruner {
  constructor(private readonly deps: BackupPrunerDeps) {}

  /** Returns the backups removed. */
  async prune(): Promise<string[]> {
    const { tasks, driver, log } = this.deps;
    if (!driver.removeBackup) return [];
    const now = (this.deps.clock ?? { now: () => new Date() }).now();
    const cutoff = now.getTime() - this.deps.retentionMs;
    const rollbacks = await tasks.list({ type: ['rollback'], state: [...ACTIVE_TASK_STATES] }, ALL_ITEMS);
    const needed = new Set(rollbacks.items.map((t) => t.checkpoint[ROLLBACK_KEYS.migration]));
    const migrations = await tasks.list({ type: ['migrate'], state: ['succeeded', 'failed'] }, ALL_ITEMS);
    const removed: string[] = [];
    for (const t of migrations.items) {
      const backup = t.checkpoint[MIGRATION_BACKUP_KEYS.backup];
      if (!backup || t.checkpoint[MIGRATION_BACKUP_KEYS.pruned] || needed.has(t.id)) continue;
      if ((t.finishedAt ?? t.createdAt).getTime() > cutoff) continue;
      await tasks.setStep(t.id, t.step ?? 'pruned', { [MIGRATION_BACKUP_KEYS.pruned]: now.toISOString() });
      await driver.removeBackup(backup, log);
      removed.push(backup);
    }
    return removed;
  }
}
