/**
 * Concurrency: two workers racing one task run it once; duplicate jobs run it once; the per-server and global
 * limits hold. Gates hold moveSite until every migration that could be running has arrived somewhere it can
 * be counted, so a broken limit shows up as a higher count, deterministically, without timing.
 */
import { describe, expect, test } from '@jest/globals';
import { setImmediate as tick } from 'node:timers/promises';
import type { DomainEvent } from '../../src/domain/ports.js';
import type { Task } from '../../src/domain/task.js';
import { MIGRATE_JOB, MIGRATION_RECOVER_JOB } from '../../src/domain/jobs.js';
import { registerMigrationJobs } from '../../src/jobs/migration-jobs.js';
import { EventBus } from '../../src/services/event-bus.js';
import { MigrationService } from '../../src/services/migration-service.js';
import { InstrumentedDriver, type CallInfo } from '../support/instrumented-driver.js';
import { createWorld, type World } from '../support/migration-world.js';

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}.example.org`);

/** Resolves once `count` tasks reached a final state (task.updated events; `processing` ones are skipped). */
const finalStates = (bus: EventBus, count: number) =>
  new Promise<DomainEvent[]>((resolve) => {
    const seen: DomainEvent[] = [];
    bus.subscribe((e) => {
      if (e.type === 'task.updated' && e.state === 'processing') return;
      seen.push(e);
      if (seen.length === count) resolve(seen);
    });
  });

const tasksFor = (world: World, siteNames: string[], toVersion: string): Promise<Task[]> =>
  Promise.all(siteNames.map((n) => world.migrateTask(world.sites[n]!, world.platforms[toVersion]!)));

describe('migration concurrency', () => {
  test('two workers racing the same task: exactly one runs the steps', async () => {
    const world = await createWorld({ sites: { '12.3.3': ['race.example.org'] } });
    const driver = new InstrumentedDriver(world.driver);
    const task = await world.migrateTask(world.sites['race.example.org']!, world.platforms['12.4.2']!);
    const a = new MigrationService({ ...world.repos, driver, events: new EventBus() });
    const b = new MigrationService({ ...world.repos, driver, events: new EventBus() });

    const outcomes = await Promise.all([a.run(task.id, 'worker-a'), b.run(task.id, 'worker-b')]);

    expect(outcomes.sort()).toEqual(['skipped', 'succeeded']);
    for (const step of ['maintenanceOn', 'backup', 'moveSite', 'postMigrate', 'verify', 'maintenanceOff'] as const) {
      expect(driver.count(step)).toBe(1);
    }
    expect((await world.repos.tasks.get(task.id))!.attempts).toBe(1);
  });

  test('duplicate jobs for one task on two queues sharing a store: one run', async () => {
    const world = await createWorld({ sites: { '12.3.3': ['dup.example.org'] } });
    const driver = new InstrumentedDriver(world.driver);
    const bus = new EventBus();
    const done = finalStates(bus, 1);
    const queues = ['q1', 'q2'].map((owner) => {
      const jobs = world.store!.queue({ owner, pollIntervalMs: 10 });
      registerMigrationJobs(jobs, { repos: world.repos, driver, events: bus, owner, concurrency: 2, concurrencyPerServer: 2, maxAttempts: 1 });
      return jobs;
    });
    const task = await world.migrateTask(world.sites['dup.example.org']!, world.platforms['12.4.2']!);
    // Confirm clicked twice (same uniqueKey) and a stray duplicate without a key.
    await queues[0]!.enqueue(MIGRATE_JOB, { taskId: task.id }, { uniqueKey: `migrate:${task.id}` });
    await queues[1]!.enqueue(MIGRATE_JOB, { taskId: task.id }, { uniqueKey: `migrate:${task.id}` });
    await queues[1]!.enqueue(MIGRATE_JOB, { taskId: task.id });
    expect(await queues[0]!.list(MIGRATE_JOB)).toHaveLength(2);
    await Promise.all(queues.map((q) => q.start()));
    expect(await done).toEqual([{ type: 'task.updated', taskId: task.id, state: 'succeeded' }]);
    await Promise.all(queues.map((q) => q.stop()));
    expect(driver.count('moveSite')).toBe(1);
    expect(driver.count('maintenanceOn')).toBe(1);
  });

  test('at most concurrencyPerServer migrations move sites on one server at once across two workers, and that many do', async () => {
    const perServer = 2;
    const a = names('a', 5);
    const b = names('b', 3);
    const world = await createWorld({
      platforms: { '12.3.2': 'web-a', '12.3.3': 'web-a', '12.4.1': 'web-b', '12.4.2': 'web-b' },
      sites: { '12.3.2': a, '12.4.1': b },
    });
    const total: Record<string, number> = { 'web-a': a.length, 'web-b': b.length };
    const tasks = [...(await tasksFor(world, a, '12.3.3')), ...(await tasksFor(world, b, '12.4.2'))];
    const serverOf = (t: Task) => (a.includes(t.subject.name) ? 'web-a' : 'web-b');
    // Migrations of `server` waiting for a slot: still queued, their log saying so.
    const waiting = async (server: string) =>
      (await world.repos.tasks.getMany(tasks.map((t) => t.id))).filter(
        (t) => serverOf(t) === server && t.state === 'queued' && t.log.some((l) => l.message.startsWith('Waiting for a free migration slot')),
      ).length;
    // Releases moveSite calls on a server once every unfinished migration there is either at this gate or
    // waiting for a slot: with a working limit that is `perServer` calls, without it all of them.
    const gate = async (call: CallInfo) => {
      if (call.method !== 'moveSite') return;
      const server = call.servers[0]!;
      const settled = async () => driver.active('moveSite', server) + (await waiting(server)) === total[server]! - driver.done('moveSite', server);
      while (!(await settled())) await tick();
    };
    const driver = new InstrumentedDriver(world.driver, gate);
    // Two workers, as two processes sharing the store: the limit is counted there, not per worker.
    const workers = ['worker-a', 'worker-b'].map(
      () => new MigrationService({ ...world.repos, driver, events: new EventBus(), limits: { perServer, overall: 100 }, slotWaitMs: 5 }),
    );

    const outcomes = await Promise.all(tasks.map((t, i) => workers[i % 2]!.run(t.id, i % 2 ? 'worker-b' : 'worker-a')));

    expect(outcomes).toEqual(tasks.map(() => 'succeeded'));
    expect(driver.max('moveSite', 'web-a')).toBe(perServer);
    expect(driver.max('moveSite', 'web-b')).toBe(perServer);
    expect(driver.count('moveSite')).toBe(a.length + b.length);
  });

  test('the queue runs at most hosting.concurrency migrations at once, and that many do', async () => {
    const concurrency = 3;
    const siteNames = names('g', 7);
    const world = await createWorld({ sites: { '12.3.3': siteNames } });
    const jobs = world.store!.queue({ pollIntervalMs: 10 });
    // Released when every job that is not at the gate is still queued (none is on its way to it).
    const gate = async (call: CallInfo) => {
      if (call.method !== 'maintenanceOn') return;
      const settled = async () =>
        driver.active('maintenanceOn', 'web1') + (await jobs.stats()).queued === siteNames.length - driver.done('maintenanceOn', 'web1');
      while (!(await settled())) await tick();
    };
    const driver = new InstrumentedDriver(world.driver, gate);
    const bus = new EventBus();
    const done = finalStates(bus, siteNames.length);
    registerMigrationJobs(jobs, { repos: world.repos, driver, events: bus, owner: 'w', concurrency, concurrencyPerServer: 100, maxAttempts: 1 });
    for (const t of await tasksFor(world, siteNames, '12.4.2')) await jobs.enqueue(MIGRATE_JOB, { taskId: t.id }, { uniqueKey: `migrate:${t.id}` });
    await jobs.start();
    const events = await done;
    await jobs.stop();
    expect(events.map((e) => (e.type === 'task.updated' ? e.state : e.type))).toEqual(siteNames.map(() => 'succeeded'));
    expect(driver.max('maintenanceOn', 'web1')).toBe(concurrency);
  });

  test('a job without a taskId fails clearly', async () => {
    const world = await createWorld();
    const jobs = world.store!.queue({ pollIntervalMs: 10 });
    registerMigrationJobs(jobs, { repos: world.repos, driver: world.driver, events: new EventBus(), owner: 'w', concurrency: 1, concurrencyPerServer: 1, maxAttempts: 1 });
    await jobs.enqueue(MIGRATE_JOB, { task: 'x' });
    await jobs.start();
    while ((await jobs.list()).some((j) => j.state !== 'failed')) await tick();
    await jobs.stop();
    expect((await jobs.list())[0]!.lastError).toBe('site.migrate job needs a taskId.');
  });

  test('the recover job takes over a task whose worker stopped renewing its lease', async () => {
    const world = await createWorld({ sites: { '12.3.3': ['orphan.example.org'] } });
    const task = await world.migrateTask(world.sites['orphan.example.org']!, world.platforms['12.4.2']!);
    // A worker claimed it and died at once: its lease is already over.
    const past = new Date(Date.now() - 60_000);
    expect(await world.repos.tasks.claim(task.id, 'dead-worker', past, past)).not.toBeNull();
    const jobs = world.store!.queue({ pollIntervalMs: 10 });
    const bus = new EventBus();
    const done = finalStates(bus, 1);
    registerMigrationJobs(jobs, { repos: world.repos, driver: world.driver, events: bus, owner: 'w', concurrency: 1, concurrencyPerServer: 1, maxAttempts: 1 });
    // Its site.migrate job is gone with it; only the recover job can finish the task.
    await jobs.enqueue(MIGRATION_RECOVER_JOB, {});
    await jobs.start();
    expect(await done).toEqual([{ type: 'task.updated', taskId: task.id, state: 'succeeded' }]);
    await jobs.stop();
    expect((await world.repos.sites.get(task.subject.id))!.platformId).toBe(world.platforms['12.4.2']!.id);
  });
});
