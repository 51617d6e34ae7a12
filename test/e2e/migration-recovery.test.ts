/**
 * Write-ahead migrations in process: the checkpoint names each step's intent before it runs; a rollback is only
 * called "rolled back" when the site's files hash like the backup; migrations over a limit wait for a slot; the
 * embedded process takes over its own cut-off migrations at start without waiting for their lease.
 */
import { describe, expect, test } from '@jest/globals';
import { setImmediate as tick } from 'node:timers/promises';
import { EventBus } from '../../src/services/event-bus.js';
import { pathExists } from '../../src/hosting/paths.js';
import { MigrationService } from '../../src/services/migration-service.js';
import { readTree } from '../support/file-tree.js';
import { InstrumentedDriver } from '../support/instrumented-driver.js';
import { createWorld } from '../support/migration-world.js';

const OLD = '12.3.3';
const NEW = '12.4.2';

const messagesOf = async (world: Awaited<ReturnType<typeof createWorld>>, taskId: string) =>
  (await world.repos.tasks.get(taskId))!.log.map((l) => l.message);

describe('write-ahead migration', () => {
  test('each step commits its intent before it runs; the backup records a content hash of the site', async () => {
    const world = await createWorld({ sites: { [OLD]: ['wal.example.org'] } });
    const site = world.sites['wal.example.org']!;
    const seen: Array<{ method: string; intent: string | undefined; moveStarted: boolean }> = [];
    const task = await world.migrateTask(site, world.platforms[NEW]!);
    const driver = new InstrumentedDriver(world.driver, async (call) => {
      const t = (await world.repos.tasks.get(task.id))!;
      seen.push({ method: call.method, intent: t.checkpoint.intent, moveStarted: Boolean(t.checkpoint.moveStarted) });
    });
    const migrations = new MigrationService({ ...world.repos, driver, events: new EventBus() });
    expect(await migrations.run(task.id, 'w')).toBe('succeeded');
    const steps = seen.filter((c) => c.method !== 'siteDigest');
    expect(steps).toEqual([
      { method: 'maintenanceOn', intent: 'maintenanceOn', moveStarted: false },
      { method: 'backup', intent: 'backup', moveStarted: false },
      { method: 'moveSite', intent: 'moveSite', moveStarted: true },
      { method: 'postMigrate', intent: 'postMigrate', moveStarted: true },
      { method: 'verify', intent: 'verify', moveStarted: true },
      { method: 'maintenanceOff', intent: 'maintenanceOff', moveStarted: true },
    ]);
    expect((await world.repos.tasks.get(task.id))!.checkpoint.backupDigest).toMatch(/^[0-9a-f]{64}$/);
  });

  test('a rollback whose restored files differ from the backup hash fails as "needs attention", never "rolled back"', async () => {
    // The post-migrate command tampers with the backup archive, then fails: the restore brings back other bytes.
    const tamper = [
      'B=$(ls "$PLATFORM_PATH"/../../backups/"$SITE"-*.tar.gz)',
      'T=$(mktemp -d)',
      'tar -xzf "$B" -C "$T"',
      'echo tampered >> "$T/$SITE/settings.php"',
      'tar -czf "$B" -C "$T" "$SITE"',
    ].join(' && ');
    const world = await createWorld({ sites: { [OLD]: ['tamper.example.org'] }, postMigrate: [`${tamper}; exit 1`] });
    const site = world.sites['tamper.example.org']!;
    const task = await world.migrateTask(site, world.platforms[NEW]!);
    const migrations = new MigrationService({ ...world.repos, driver: world.driver, events: new EventBus() });

    expect(await migrations.run(task.id, 'w')).toBe('failed');

    const failed = (await world.repos.tasks.get(task.id))!;
    expect(failed.error).toMatch(/do not match its backup\. tamper\.example\.org needs attention/);
    const messages = failed.log.map((l) => l.message);
    expect(messages.some((m) => m.startsWith('Rolled back'))).toBe(false);
    // Left marked migrating, so nobody upgrades or edits it until someone looks.
    expect(await world.repos.sites.get(site.id)).toMatchObject({ status: 'migrating', platformId: world.platforms[OLD]!.id });
  });

  test('a verified rollback says so and leaves the site byte-identical, out of maintenance, record on the old platform', async () => {
    const world = await createWorld({ sites: { [OLD]: ['back.example.org'] }, postMigrate: ['exit 3'] });
    const site = world.sites['back.example.org']!;
    const before = await readTree(world.siteDir(site, world.platforms[OLD]!));
    const task = await world.migrateTask(site, world.platforms[NEW]!);
    const migrations = new MigrationService({ ...world.repos, driver: world.driver, events: new EventBus() });
    expect(await migrations.run(task.id, 'w')).toBe('failed');
    expect(await readTree(world.siteDir(site, world.platforms[OLD]!))).toEqual(before);
    expect(await pathExists(world.siteDir(site, world.platforms[NEW]!))).toBe(false);
    expect(await messagesOf(world, task.id)).toEqual(expect.arrayContaining([`Rolled back: back.example.org is on ${world.platforms[OLD]!.name} as before`]));
    expect(await world.repos.sites.get(site.id)).toMatchObject({ status: 'enabled', platformId: world.platforms[OLD]!.id });
  });
});

describe('migration limits counted in the store', () => {
  test('a migration over the per-server limit waits for a slot (logged once) and then runs; a cancelled waiter is skipped', async () => {
    const world = await createWorld({ sites: { [OLD]: ['first.example.org', 'second.example.org', 'third.example.org'] } });
    const [first, second, third] = await Promise.all(
      ['first', 'second', 'third'].map((n) => world.migrateTask(world.sites[`${n}.example.org`]!, world.platforms[NEW]!)),
    );
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // The first migration holds the only web1 slot at moveSite until released.
    const driver = new InstrumentedDriver(world.driver, async (call) => {
      if (call.method === 'moveSite' && call.site === 'first.example.org') await held;
    });
    const limits = { perServer: 1, overall: 10 };
    const worker = () => new MigrationService({ ...world.repos, driver, events: new EventBus(), limits, slotWaitMs: 5 });
    const running = worker().run(first!.id, 'a');
    while (driver.active('moveSite', 'web1') === 0) await tick();
    const waiting = worker().run(second!.id, 'b');
    const cancelled = worker().run(third!.id, 'c');
    const waitLine = async (id: string) => (await messagesOf(world, id)).includes('Waiting for a free migration slot on web1');
    while (!(await waitLine(second!.id)) || !(await waitLine(third!.id))) await tick();
    expect((await world.repos.tasks.get(second!.id))!.state).toBe('queued');
    await world.repos.tasks.transition(third!.id, ['queued'], 'cancelled');
    expect(await cancelled).toBe('skipped');
    release();
    expect(await running).toBe('succeeded');
    expect(await waiting).toBe('succeeded');
    expect(driver.max('moveSite', 'web1')).toBe(1);
    expect((await messagesOf(world, second!.id)).filter((m) => m.startsWith('Waiting'))).toHaveLength(1);
  });

  test('a wait for a slot ends when the queue stops (the abort signal); the task stays queued for the next run', async () => {
    const world = await createWorld({ sites: { [OLD]: ['busy.example.org', 'patient.example.org'] } });
    const [busy, patient] = await Promise.all(['busy', 'patient'].map((n) => world.migrateTask(world.sites[`${n}.example.org`]!, world.platforms[NEW]!)));
    const until = new Date(Date.now() + 60_000);
    expect((await world.repos.tasks.claimWithinLimits(busy!.id, 'other-process', until, new Date(), { 'server:web1': 1 })).task).not.toBeNull();
    const migrations = new MigrationService({ ...world.repos, driver: world.driver, events: new EventBus(), limits: { perServer: 1, overall: 10 }, slotWaitMs: 5 });
    const stop = new AbortController();
    const run = migrations.run(patient!.id, 'w', { signal: stop.signal });
    while (!(await messagesOf(world, patient!.id)).some((m) => m.startsWith('Waiting'))) await tick();
    stop.abort();
    await expect(run).rejects.toThrow(/abort/i);
    expect((await world.repos.tasks.get(patient!.id))!.state).toBe('queued');
  });
});

describe('recovery at start of the embedded process', () => {
  test('everyLease takes over a migration whose lease is still live (left by the previous run); the normal round does not', async () => {
    const world = await createWorld({ sites: { [OLD]: ['cutoff.example.org'] } });
    const site = world.sites['cutoff.example.org']!;
    const task = await world.migrateTask(site, world.platforms[NEW]!);
    const now = new Date();
    expect(await world.repos.tasks.claim(task.id, 'previous-run', new Date(now.getTime() + 15_000), now)).not.toBeNull();
    const migrations = new MigrationService({ ...world.repos, driver: world.driver, events: new EventBus() });
    expect(await migrations.recover('this-run')).toEqual([]);
    expect(await migrations.recover('this-run', { everyLease: true })).toEqual([{ taskId: task.id, outcome: 'succeeded' }]);
    expect(await world.repos.sites.get(site.id)).toMatchObject({ status: 'enabled', platformId: world.platforms[NEW]!.id });
    expect(await messagesOf(world, task.id)).toEqual(expect.arrayContaining([expect.stringMatching(/Recovered by this-run after the worker previous-run stopped/)]));
  });

  test('a task of this very process is taken over once its lease expired when no run of it is going on here; one running here is not', async () => {
    const world = await createWorld({ sites: { [OLD]: ['stuck.example.org', 'busy.example.org'] } });
    const stuck = await world.migrateTask(world.sites['stuck.example.org']!, world.platforms[NEW]!);
    const now = new Date();
    // Claimed by this process, then its run ended without settling the task (a write failed on a full disk).
    expect(await world.repos.tasks.claim(stuck.id, 'me', new Date(now.getTime() - 1), now)).not.toBeNull();
    const migrations = new MigrationService({ ...world.repos, driver: world.driver, events: new EventBus() });
    expect(await migrations.recover('me')).toEqual([{ taskId: stuck.id, outcome: 'succeeded' }]);
    expect(await world.repos.sites.get(stuck.subject.id)).toMatchObject({ status: 'enabled', platformId: world.platforms[NEW]!.id });

    // A run going on here keeps its task, even when every lease counts as expired.
    const busy = await world.migrateTask(world.sites['busy.example.org']!, world.platforms[NEW]!);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // The same driver whose backup waits for the test.
    const driver = Object.create(world.driver) as typeof world.driver;
    driver.backup = async (...args) => {
      await gate;
      return world.driver.backup(...args);
    };
    const slow = new MigrationService({ ...world.repos, driver, events: new EventBus() });
    const running = slow.run(busy.id, 'me');
    while (!(await messagesOf(world, busy.id)).includes('Step backup')) await tick();
    expect(await slow.recover('me', { everyLease: true })).toEqual([]);
    release();
    expect(await running).toBe('succeeded');
  });

  test('a queue retry that claims a dead worker\'s expired task says so in the task log, as the recover job does', async () => {
    const world = await createWorld({ sites: { [OLD]: ['retried.example.org'] } });
    const site = world.sites['retried.example.org']!;
    const task = await world.migrateTask(site, world.platforms[NEW]!);
    const now = new Date();
    expect(await world.repos.tasks.claim(task.id, 'dead-worker', new Date(now.getTime() - 1), now)).not.toBeNull();
    const migrations = new MigrationService({ ...world.repos, driver: world.driver, events: new EventBus() });
    expect(await migrations.run(task.id, 'survivor')).toBe('succeeded');
    expect(await messagesOf(world, task.id)).toEqual(expect.arrayContaining(['Recovered by survivor after the worker dead-worker stopped']));
  });
});
