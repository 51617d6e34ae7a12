/**
 * Rollback availability and backup retention on real files (LocalDriver, embedded store): until when a rollback is
 * possible, the pruner deleting expired backups (and never one a queued rollback needs), and each refusal's reason.
 */
import { describe, expect, test } from '@jest/globals';
import { ConflictError } from '../../src/domain/errors.js';
import { pathExists } from '../../src/hosting/paths.js';
import { AuditLog } from '../../src/services/audit-log.js';
import { BackupPruner } from '../../src/services/backup-pruner.js';
import { EventBus } from '../../src/services/event-bus.js';
import { MigrationService } from '../../src/services/migration-service.js';
import { RollbackRunner } from '../../src/services/rollback-runner.js';
import { RollbackService } from '../../src/services/rollback-service.js';
import { readTree } from '../support/file-tree.js';
import { createWorld, type World } from '../support/migration-world.js';

const OLD = '12.3.3';
const NEW = '12.4.2';
const DAY = 86_400_000;
const RETENTION = 3 * DAY;
const USER = { kind: 'user' as const, id: 'U0OPS', name: 'ops', via: 'api' as const };

/** The world's services with a clock the test moves. */
const setUp = async (sites: string[]) => {
  const world = await createWorld({ sites: { [OLD]: sites } });
  let now = Date.now();
  const clock = { now: () => new Date(now) };
  const events = new EventBus();
  const jobs = world.store!.queue();
  const rollbacks = new RollbackService({ repos: world.repos, jobs, audit: new AuditLog({ repos: world.repos, clock }), retentionMs: RETENTION, clock });
  const runner = new RollbackRunner({ ...world.repos, driver: world.driver, events, clock });
  const pruner = new BackupPruner({ tasks: world.repos.tasks, driver: world.driver, retentionMs: RETENTION, log: () => {}, clock });
  const migrations = new MigrationService({ ...world.repos, driver: world.driver, events, clock });
  const migrate = async (name: string) => {
    const site = (await world.repos.sites.getByName(name))!;
    const task = await world.migrateTask(site, world.platforms[NEW]!);
    expect(await migrations.run(task.id, 'w1')).toBe('succeeded');
    return (await world.repos.tasks.get(task.id))!;
  };
  return { world, rollbacks, runner, pruner, migrate, advance: (ms: number) => void (now += ms), clock };
};

const dirOf = (world: World, name: string, version: string) => world.siteDir({ name }, world.platforms[version]!);

describe('rollback retention', () => {
  test('possible until the retention ends; then the pruner deletes the backup and rollback is refused, saying so', async () => {
    const { world, rollbacks, pruner, migrate, advance } = await setUp(['keep.example.org']);
    const migration = await migrate('keep.example.org');
    const backup = migration.checkpoint.backup!;
    const status = await rollbacks.status('keep.example.org');
    expect(status).toMatchObject({ possible: true, previous: { name: `social-${OLD}` }, current: { name: `social-${NEW}` } });
    if (!status.possible) throw new Error('expected possible');
    expect(status.until.getTime()).toBe(migration.finishedAt!.getTime() + RETENTION);

    // Within the retention nothing is pruned.
    advance(RETENTION - DAY);
    expect(await pruner.prune()).toEqual([]);
    expect(await pathExists(backup)).toBe(true);

    advance(2 * DAY);
    // Past the retention the offer ends at once, even before the pruner has run.
    expect(await rollbacks.status('keep.example.org')).toMatchObject({ possible: false, reason: expect.stringContaining('older than the 3 days backups are kept') });
    expect(await pruner.prune()).toEqual([backup]);
    expect(await pathExists(backup)).toBe(false);
    expect((await world.repos.tasks.get(migration.id))!.checkpoint.backupPruned).toBeDefined();
    const refused = await rollbacks.request('keep.example.org', USER).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConflictError);
    expect((refused as Error).message).toMatch(/backup of keep\.example\.org taken before task #\d+ was pruned on .* \(backups are kept 3 days\); it cannot be rolled back/);
    // A second prune has nothing left to do.
    expect(await pruner.prune()).toEqual([]);
  });

  test('the pruner never deletes the backup a queued rollback restores; the rollback then puts the site back byte-identical', async () => {
    const { world, rollbacks, runner, pruner, migrate, advance } = await setUp(['busy.example.org']);
    const before = await readTree(dirOf(world, 'busy.example.org', OLD));
    const migration = await migrate('busy.example.org');
    const { task } = await rollbacks.request('busy.example.org', USER);
    advance(30 * DAY);
    expect(await pruner.prune()).toEqual([]);
    expect(await pathExists(migration.checkpoint.backup!)).toBe(true);

    expect(await runner.run(task.id, 'w2')).toBe('succeeded');
    expect(await readTree(dirOf(world, 'busy.example.org', OLD))).toEqual(before);
    expect(await pathExists(dirOf(world, 'busy.example.org', NEW))).toBe(false);
    const site = (await world.repos.sites.getByName('busy.example.org'))!;
    expect(site).toMatchObject({ status: 'enabled', platformId: world.platforms[OLD]!.id });
    expect(site.history.at(-1)).toMatchObject({ platformId: world.platforms[OLD]!.id, taskId: task.id });
    const audit = await world.repos.audit.list({ subject: 'busy.example.org' }, { limit: 10 });
    expect(audit.items.map((e) => [e.action, e.actorId, e.source, e.details])).toEqual([
      ['site.rollback', 'U0OPS', 'api', { from: `social-${NEW}`, to: `social-${OLD}`, task: task.number, undoes: migration.number }],
    ]);
  });

  test('refused with the reason when the old platform is gone, or a migration of the site is queued', async () => {
    const { world, rollbacks, migrate } = await setUp(['gone.example.org', 'queued.example.org']);
    await migrate('gone.example.org');
    await world.repos.platforms.setStatus(world.platforms[OLD]!.id, 'deleted');
    expect(await rollbacks.status('gone.example.org')).toMatchObject({ possible: false, reason: expect.stringContaining('came from is gone') });
    await world.repos.platforms.setStatus(world.platforms[OLD]!.id, 'ready');

    const queued = (await world.repos.sites.getByName('queued.example.org'))!;
    const task = await world.migrateTask(queued, world.platforms[NEW]!);
    expect(await rollbacks.status('queued.example.org')).toMatchObject({
      possible: false,
      reason: `queued.example.org has a migration queued (task #${task.number}); wait for it to end or cancel it first.`,
    });
  });

  test('a rollback whose start fails leaves the site where it was, unchanged, and lifts maintenance', async () => {
    const { world, rollbacks, runner, migrate } = await setUp(['stuck.example.org']);
    await migrate('stuck.example.org');
    const after = await readTree(dirOf(world, 'stuck.example.org', NEW));
    const { task } = await rollbacks.request('stuck.example.org', USER);
    // The site's directory on its current platform is gone: maintenance cannot be turned on.
    const { rename } = await import('node:fs/promises');
    await rename(dirOf(world, 'stuck.example.org', NEW), `${dirOf(world, 'stuck.example.org', NEW)}.away`);
    expect(await runner.run(task.id, 'w3')).toBe('failed');
    await rename(`${dirOf(world, 'stuck.example.org', NEW)}.away`, dirOf(world, 'stuck.example.org', NEW));
    expect(await readTree(dirOf(world, 'stuck.example.org', NEW))).toEqual(after);
    expect(await world.repos.sites.getByName('stuck.example.org')).toMatchObject({ status: 'enabled', platformId: world.platforms[NEW]!.id });
    expect((await world.repos.tasks.get(task.id))!.error).toMatch(/Could not start the rollback: .* stays on social-12\.4\.2, unchanged/);
  });
});
