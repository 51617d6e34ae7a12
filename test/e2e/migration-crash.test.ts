/**
 * Kill the worker mid-migration: a child process runs the migration on the embedded store's database file and is
 * SIGKILLed while blocked in a step; this process reopens the database and recovers with another owner.
 * The site must end up whole on exactly one platform.
 */
import { describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { childEnv, trackChild } from '../support/child-processes.mjs';
import { embeddedStore } from '../support/embedded.js';
import { EventBus } from '../../src/services/event-bus.js';
import { DEFAULT_LEASE_MS, MigrationService } from '../../src/services/migration-service.js';
import { MIGRATION_RECOVER_EVERY_MS, MIGRATION_RECOVER_JOB } from '../../src/domain/jobs.js';
import { registerMigrationJobs } from '../../src/jobs/migration-jobs.js';
import { waitFor } from '../support/wait.js';
import type { CrashWorkerArgs } from '../support/crash-worker.js';
import { pathExists } from '../../src/hosting/paths.js';
import { readTree } from '../support/file-tree.js';
import { createWorld, type World } from '../support/migration-world.js';

/** Hang guard for the worker to reach its blocking point (tsx start-up plus the steps before it; seconds when idle). */
const BLOCKED_BOUND_MS = 90_000;

/** Starts the worker, waits until it reports being blocked, SIGKILLs it and waits for it to die (also on failure). */
const runAndKill = async (args: CrashWorkerArgs): Promise<NodeJS.Signals | null> => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/crash-worker.ts', JSON.stringify(args)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...childEnv() },
  });
  trackChild(child, 'crash worker');
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  let gone = false;
  void exited.then(() => (gone = true));
  // Polls for the ready file; the worker exiting first means it never got blocked (a bug to report).
  const deadline = Date.now() + BLOCKED_BOUND_MS;
  try {
    while (!(await pathExists(args.readyFile))) {
      if (gone) throw new Error(`crash worker exited before blocking:\n${output}`);
      if (Date.now() > deadline) throw new Error(`crash worker not blocked after ${BLOCKED_BOUND_MS} ms:\n${output}`);
      await sleep(20);
    }
  } finally {
    child.kill('SIGKILL');
  }
  return exited;
};

/** A clock well past any lease the dead worker could have taken. */
const later = { now: () => new Date(Date.now() + 10 * 60_000) };

/** Copies the world's platforms and one site + migrate task into a database file the child can open. */
const fileStore = async (world: World, siteName: string) => {
  const databaseFile = join(world.root, 'distro.db');
  const { repos } = embeddedStore(databaseFile);
  const dist = await repos.distributions.create({ slug: 'social', title: 'Open Social', upstream: world.distribution.upstream });
  const from = await repos.platforms.create({ ...world.platforms['12.3.3']!, distributionId: dist.id, status: 'ready' });
  const to = await repos.platforms.create({ ...world.platforms['12.4.2']!, distributionId: dist.id, status: 'ready' });
  const site = await repos.sites.create({ name: siteName, platformId: from.id, status: 'enabled' });
  const task = await repos.tasks.create({
    type: 'migrate',
    subject: { kind: 'site', id: site.id, name: site.name },
    requestedBy: { kind: 'system' },
    fromPlatformId: from.id,
    toPlatformId: to.id,
  });
  await repos.close();
  return { databaseFile, from, to, site, task, readyFile: join(world.root, 'ready') };
};

describe('a worker killed mid-migration', () => {
  test('killed while post-migrate runs (site already moved): recovery resumes it to the end on the new platform', async () => {
    const world = await createWorld({ sites: { '12.3.3': ['crash.example.org'] } });
    const { databaseFile, from, to, site, task, readyFile } = await fileStore(world, 'crash.example.org');
    const before = await readTree(world.siteDir(site, from));

    const signal = await runAndKill({
      databaseFile,
      root: world.driver.root,
      taskId: task.id,
      owner: 'doomed-worker',
      leaseMs: 60_000,
      readyFile,
      // Blocks until its parent (the worker) is gone, then fails: it must not be what ends the migration.
      postMigrate: [`touch ${readyFile}; while kill -0 $PPID 2>/dev/null; do sleep 0.05; done; exit 1`],
    });
    expect(signal).toBe('SIGKILL');

    const { repos: reopened } = embeddedStore(databaseFile);
    const mid = (await reopened.tasks.get(task.id))!;
    expect(mid).toMatchObject({ state: 'processing', step: 'moveSite', lease: { owner: 'doomed-worker' } });
    expect(await pathExists(world.siteDir(site, to))).toBe(true);
    expect(await pathExists(world.siteDir(site, from))).toBe(false);
    // The lease is still live for the current time: a recovering worker leaves it alone.
    const now = new MigrationService({ ...reopened, driver: world.driver, events: new EventBus() });
    expect(await now.recover('early-bird')).toEqual([]);

    const recovering = new MigrationService({ ...reopened, driver: world.driver, events: new EventBus(), clock: later });
    // The move is committed, so what is left is safe to repeat: resumed, not undone (a crash is not a failure).
    expect(await recovering.recover('worker-2')).toEqual([{ taskId: task.id, outcome: 'succeeded' }]);

    expect(before).toBeDefined();
    expect(await pathExists(world.siteDir(site, from))).toBe(false);
    expect(await pathExists(world.siteDir(site, to))).toBe(true);
    expect(await reopened.sites.get(site.id)).toMatchObject({ status: 'enabled', platformId: to.id });
    const resumed = (await reopened.tasks.get(task.id))!;
    expect(resumed.state).toBe('succeeded');
    expect(resumed.log.map((l) => l.message)).toEqual(
      expect.arrayContaining(['Step postMigrate', 'Resuming after step moveSite', expect.stringMatching(/Recovered by worker-2 after the worker doomed-worker stopped/)]),
    );
    await reopened.close();
  }, 150_000);

  test('with the default lease and recover interval, another worker takes over a dead worker\'s migration once its lease ends, within one recover interval', async () => {
    const world = await createWorld({ sites: { '12.3.3': ['orphaned.example.org'] } });
    const { databaseFile, from, site, task, readyFile } = await fileStore(world, 'orphaned.example.org');
    const before = await readTree(world.siteDir(site, from));
    // Default lease (15 s, renewed every 5 s): the worker dies holding a fresh one.
    await runAndKill({ databaseFile, root: world.driver.root, taskId: task.id, owner: 'dead-worker', readyFile, blockAt: 'postMigrate' });
    const killedAt = Date.now();

    const store = embeddedStore(databaseFile);
    const reopened = store.repos;
    const leaseUntil = (await reopened.tasks.get(task.id))!.lease!.until.getTime();
    // What this process's timers were late by while it waited: the budget the machine's load adds to the interval.
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const jobs = store.queue({ pollIntervalMs: 50 });
    registerMigrationJobs(jobs, { repos: reopened, driver: world.driver, events: new EventBus(), owner: 'survivor', concurrency: 2, concurrencyPerServer: 2, maxAttempts: 1 });
    await jobs.every(MIGRATION_RECOVER_JOB, MIGRATION_RECOVER_EVERY_MS, {}, { uniqueKey: 'migrate-recover' });
    await jobs.start();
    await waitFor(async () => (await reopened.tasks.get(task.id))!.state === 'succeeded', 'the dead worker\'s migration to be resumed', 60_000);
    const tookMs = Date.now() - killedAt;
    lag.disable();
    const maxLagMs = lag.max / 1e6;
    await jobs.stop();
    const recovered = (await reopened.tasks.get(task.id))!.log.find((l) => l.message.startsWith('Recovered by survivor'));
    expect(recovered).toBeDefined();
    const lateMs = recovered!.at.getTime() - leaseUntil;
    process.stdout.write(
      `[migration-crash] dead worker's migration taken over ${lateMs} ms after its lease ended and resumed to the end ${tookMs} ms after the kill (default lease ${DEFAULT_LEASE_MS} ms, recover every ${MIGRATION_RECOVER_EVERY_MS} ms, timers up to ${Math.round(maxLagMs)} ms late)\n`,
    );
    // Never while the lease lived; then at the next recover run: one interval, the queue's 50 ms poll, and what
    // the load made this process's timers late by (twice: the recurring job's timer and the queue's poll).
    expect(lateMs).toBeGreaterThanOrEqual(0);
    expect(lateMs).toBeLessThanOrEqual(MIGRATION_RECOVER_EVERY_MS + 50 + 2 * maxLagMs);
    // It had moved the site: the rest of the migration ran, the site is on the new platform.
    expect(before).toBeDefined();
    expect(await pathExists(world.siteDir(site, from))).toBe(false);
    expect(await reopened.sites.get(site.id)).toMatchObject({ status: 'enabled', platformId: (await reopened.tasks.get(task.id))!.toPlatformId });
    await reopened.close();
  }, 150_000);

  test('killed during backup (nothing moved yet): recovery resumes and completes the migration', async () => {
    const world = await createWorld({ sites: { '12.3.3': ['resume.example.org'] } });
    const { databaseFile, from, to, site, task, readyFile } = await fileStore(world, 'resume.example.org');
    const before = await readTree(world.siteDir(site, from));

    await runAndKill({ databaseFile, root: world.driver.root, taskId: task.id, owner: 'doomed', leaseMs: 60_000, readyFile, blockAt: 'backup' });

    const { repos: reopened } = embeddedStore(databaseFile);
    expect(await reopened.tasks.get(task.id)).toMatchObject({ state: 'processing', step: 'maintenanceOn' });
    expect(await reopened.sites.get(site.id)).toMatchObject({ status: 'migrating' });
    const recovering = new MigrationService({ ...reopened, driver: world.driver, events: new EventBus(), clock: later });
    expect(await recovering.recover('worker-2')).toEqual([{ taskId: task.id, outcome: 'succeeded' }]);

    expect(await pathExists(world.siteDir(site, from))).toBe(false);
    const after = await readTree(world.siteDir(site, to));
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(await reopened.sites.get(site.id)).toMatchObject({ status: 'enabled', platformId: to.id });
    const done = (await reopened.tasks.get(task.id))!;
    expect(done).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(done.log.map((l) => l.message)).toContain('Resuming after step maintenanceOn');
    await reopened.close();
  }, 150_000);
});
