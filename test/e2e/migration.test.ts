/** Migrations end to end on real files: LocalDriver + the embedded store, and the command driver with real sh + tar. */
import { describe, expect, test } from '@jest/globals';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DomainEvent, HostingDriver } from '../../src/domain/ports.js';
import { CommandDriver } from '../../src/hosting/command-driver.js';
import { registerMigrationJobs } from '../../src/jobs/migration-jobs.js';
import { EventBus } from '../../src/services/event-bus.js';
import { MigrationService } from '../../src/services/migration-service.js';
import { pathExists } from '../../src/hosting/paths.js';
import { runGit } from '../../src/upstream/git-exec.js';
import { readTree } from '../support/file-tree.js';
import { InstrumentedDriver } from '../support/instrumented-driver.js';
import { createWorld, type World } from '../support/migration-world.js';
import { ADMIN } from '../support/seed.js';
import { createHarness } from '../support/services-harness.js';

const service = (world: World, driver: HostingDriver = world.driver) => {
  const events: DomainEvent[] = [];
  const bus = new EventBus();
  bus.subscribe((e) => void events.push(e));
  const migrations = new MigrationService({ ...world.repos, driver, events: bus });
  return { migrations, events };
};

const OLD = '12.3.3';
const NEW = '12.4.2';

describe('migration with the local driver', () => {
  test('moves the site directory to the target, runs post-migrate there, and records site history and task steps', async () => {
    const world = await createWorld({ sites: { [OLD]: ['alpha.example.org'] }, postMigrate: ['test -f settings.php', 'echo "updb on $PLATFORM for $SITE"'] });
    const site = world.sites['alpha.example.org']!;
    const [from, to] = [world.platforms[OLD]!, world.platforms[NEW]!];
    const before = await readTree(world.siteDir(site, from));
    const task = await world.migrateTask(site, to);
    const { migrations, events } = service(world);

    expect(await migrations.run(task.id, 'worker-1')).toBe('succeeded');

    expect(await pathExists(world.siteDir(site, from))).toBe(false);
    const after = await readTree(world.siteDir(site, to));
    // Same files, only site.json now names the new platform.
    expect(Object.keys(after)).toEqual(Object.keys(before));
    const changed = Object.keys(before).filter((p) => before[p] !== after[p]);
    expect(changed).toEqual(['site.json']);
    expect(JSON.parse(await readFile(join(world.siteDir(site, to), 'site.json'), 'utf8')).platform).toBe(to.name);

    const movedSite = (await world.repos.sites.get(site.id))!;
    expect(movedSite).toMatchObject({ status: 'enabled', platformId: to.id });
    expect(movedSite.history.at(-1)).toMatchObject({ platformId: to.id, taskId: task.id });
    const done = (await world.repos.tasks.get(task.id))!;
    expect(done).toMatchObject({ state: 'succeeded', step: 'healthCheck', error: null, lease: null });
    expect(done.checkpoint.backup).toMatch(/alpha\.example\.org-.*\.tar\.gz$/);
    expect(await pathExists(done.checkpoint.backup!)).toBe(true);
    const messages = done.log.map((l) => l.message);
    expect(messages).toEqual(expect.arrayContaining(['Step moveSite', `updb on ${to.name} for ${site.name}`]));
    expect(done.log.every((l) => l.at instanceof Date)).toBe(true);
    expect(events).toEqual([
      { type: 'task.updated', taskId: task.id, state: 'processing' },
      { type: 'task.updated', taskId: task.id, state: 'succeeded' },
    ]);
    // Maintenance is off on the target.
    expect(await pathExists(join(world.siteDir(site, to), '.maintenance'))).toBe(false);
  });

  test('a failing post-migrate command rolls back: the site is byte-identical on the old platform and the task failed with its log', async () => {
    const world = await createWorld({ sites: { [OLD]: ['beta.example.org'] }, postMigrate: ['echo "running updates"', 'echo "drush updb: schema error" >&2; exit 3'] });
    const site = world.sites['beta.example.org']!;
    const [from, to] = [world.platforms[OLD]!, world.platforms[NEW]!];
    const before = await readTree(world.siteDir(site, from));
    const task = await world.migrateTask(site, to);
    const { migrations, events } = service(world);

    expect(await migrations.run(task.id, 'worker-1')).toBe('failed');

    expect(await readTree(world.siteDir(site, from))).toEqual(before);
    expect(await pathExists(world.siteDir(site, to))).toBe(false);
    expect(await readdir(join(world.driver.platformPath(to), 'sites'))).toEqual([]);
    expect(await world.repos.sites.get(site.id)).toMatchObject({ status: 'enabled', platformId: from.id });
    const failed = (await world.repos.tasks.get(task.id))!;
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatch(/exited with 3: drush updb: schema error/);
    expect(failed.step).toBe('rolledBack');
    const messages = failed.log.map((l) => l.message);
    expect(messages).toEqual(expect.arrayContaining(['running updates', 'drush updb: schema error', 'Rolling back beta.example.org to social-12.3.3']));
    expect(events).toEqual([
      { type: 'task.updated', taskId: task.id, state: 'processing' },
      { type: 'task.updated', taskId: task.id, state: 'failed' },
    ]);
  });

  test('a site that is not enabled on the source platform is refused without touching anything', async () => {
    const world = await createWorld({ sites: { [OLD]: ['gamma.example.org'] } });
    const site = world.sites['gamma.example.org']!;
    await world.repos.sites.update(site.id, { status: 'disabled' });
    const before = await readTree(world.siteDir(site, world.platforms[OLD]!));
    const driver = new InstrumentedDriver(world.driver);
    const task = await world.migrateTask(site, world.platforms[NEW]!);

    expect(await service(world, driver).migrations.run(task.id, 'w')).toBe('failed');
    expect(driver.calls).toEqual([]);
    expect((await world.repos.tasks.get(task.id))!.error).toMatch(/gamma.example.org is disabled, not an enabled site on social-12.3.3/);
    expect(await readTree(world.siteDir(site, world.platforms[OLD]!))).toEqual(before);
    expect((await world.repos.sites.get(site.id))!.status).toBe('disabled');
  });

  test('a cancelled task is not run by its job', async () => {
    const world = await createWorld({ sites: { [OLD]: ['delta.example.org'] } });
    const site = world.sites['delta.example.org']!;
    const task = await world.migrateTask(site, world.platforms[NEW]!);
    await world.repos.tasks.transition(task.id, ['queued'], 'cancelled', { finishedAt: new Date() });
    const driver = new InstrumentedDriver(world.driver);
    expect(await service(world, driver).migrations.run(task.id, 'w')).toBe('skipped');
    expect(driver.calls).toEqual([]);
    expect(await world.repos.sites.get(site.id)).toMatchObject({ status: 'enabled', platformId: site.platformId });
    expect((await world.repos.tasks.get(task.id))!.state).toBe('cancelled');
  });
});

/** Shell templates that do what the LocalDriver does, on the same directories. */
const shellTemplates = (backups: string, counter: string) => ({
  maintenanceOn: 'touch {platformPath}/sites/{site}/.maintenance',
  backup: `tar -czf ${backups}/{site}.tar.gz -C {platformPath}/sites {site} && echo ${backups}/{site}.tar.gz`,
  moveSite: 'mkdir -p {toPlatformPath}/sites/{site} && cp -R {fromPlatformPath}/sites/{site}/files {toPlatformPath}/sites/{site}/ && rm -rf {fromPlatformPath}/sites/{site}/files && echo "disk full" >&2 && exit 1',
  postMigrate: `echo x >> ${counter}`,
  verify: 'test -f {platformPath}/sites/{site}/settings.php',
  maintenanceOff: 'rm -f {platformPath}/sites/{site}/.maintenance',
  restore: 'rm -rf {toPlatformPath}/sites/{site} {fromPlatformPath}/sites/{site} && tar -xzf {backup} -C {fromPlatformPath}/sites',
});

describe('migration with the command driver', () => {
  test('a moveSite that fails half way (files copied, source partly removed) rolls back to a byte-identical site', async () => {
    const world = await createWorld({ sites: { [OLD]: ['epsilon.example.org'] } });
    const site = world.sites['epsilon.example.org']!;
    const [from, to] = [world.platforms[OLD]!, world.platforms[NEW]!];
    const before = await readTree(world.siteDir(site, from));
    const counter = join(world.root, 'post-migrate-runs');
    const driver = new CommandDriver({ templates: shellTemplates(world.root, counter), platformsRoot: join(world.root, 'unused') });
    const task = await world.migrateTask(site, to);

    expect(await service(world, driver).migrations.run(task.id, 'w')).toBe('failed');

    expect(await readTree(world.siteDir(site, from))).toEqual(before);
    expect(await pathExists(world.siteDir(site, to))).toBe(false);
    expect(await pathExists(counter)).toBe(false);
    const failed = (await world.repos.tasks.get(task.id))!;
    expect(failed.error).toMatch(/exited with 1: disk full/);
    expect(failed.checkpoint.moveStarted).toBeDefined();
    expect(await world.repos.sites.get(site.id)).toMatchObject({ status: 'enabled', platformId: from.id });
    // Without locateSite/siteDigest templates the driver cannot check the files: no claim of "as before".
    const messages = failed.log.map((l) => l.message);
    expect(messages).toContain(`Restored epsilon.example.org on ${from.name}; the command driver cannot check its files, so this is not verified`);
    expect(messages.some((m) => m.startsWith('Rolled back'))).toBe(false);
  });

  test('a temporary failure (exit 75) before the move is retried by the queue and then succeeds', async () => {
    const world = await createWorld({ sites: { [OLD]: ['zeta.example.org'] } });
    const site = world.sites['zeta.example.org']!;
    const [from, to] = [world.platforms[OLD]!, world.platforms[NEW]!];
    const flaky = join(world.root, 'backup-failed-once');
    const counter = join(world.root, 'post-migrate-runs');
    const templates = {
      ...shellTemplates(world.root, counter),
      backup: `if [ ! -f ${flaky} ]; then touch ${flaky}; echo "backup server busy" >&2; exit 75; fi; ${shellTemplates(world.root, counter).backup}`,
      moveSite: 'mv {fromPlatformPath}/sites/{site} {toPlatformPath}/sites/{site}',
    };
    const driver = new CommandDriver({ templates, platformsRoot: join(world.root, 'unused') });
    const jobs = world.store!.queue({ pollIntervalMs: 10 });
    const bus = new EventBus();
    const finished = new Promise<DomainEvent>((resolve) => bus.subscribe((e) => void (e.type === 'task.updated' && e.state !== 'processing' && resolve(e))));
    registerMigrationJobs(jobs, { repos: world.repos, driver, events: bus, owner: 'w1', concurrency: 2, concurrencyPerServer: 1, maxAttempts: 3, backoffMs: 5 });
    const task = await world.migrateTask(site, to);
    await jobs.enqueue('site.migrate', { taskId: task.id }, { uniqueKey: `migrate:${task.id}` });
    await jobs.start();
    expect(await finished).toEqual({ type: 'task.updated', taskId: task.id, state: 'succeeded' });
    await jobs.stop();

    const done = (await world.repos.tasks.get(task.id))!;
    expect(done.attempts).toBe(2);
    expect(done.log.map((l) => l.message)).toEqual(expect.arrayContaining([expect.stringMatching(/backup server busy; will retry \(attempt 1 of 3\)/), 'Resuming after step maintenanceOn']));
    expect(await pathExists(join(world.siteDir(site, to), 'settings.php'))).toBe(true);
    expect(await pathExists(world.siteDir(site, from))).toBe(false);
    expect((await readFile(counter, 'utf8')).trim().split('\n')).toHaveLength(1);
  });

  test('a temporary failure after the site moved is not retried: it rolls back', async () => {
    const world = await createWorld({ sites: { [OLD]: ['eta.example.org'] } });
    const site = world.sites['eta.example.org']!;
    const [from, to] = [world.platforms[OLD]!, world.platforms[NEW]!];
    const before = await readTree(world.siteDir(site, from));
    const templates = {
      ...shellTemplates(world.root, join(world.root, 'c')),
      moveSite: 'mv {fromPlatformPath}/sites/{site} {toPlatformPath}/sites/{site}',
      postMigrate: 'echo "database locked" >&2; exit 75',
    };
    const driver = new CommandDriver({ templates, platformsRoot: join(world.root, 'unused') });
    const task = await world.migrateTask(site, to);
    expect(await service(world, driver).migrations.run(task.id, 'w', { attempt: 1, maxAttempts: 5 })).toBe('failed');
    expect(await readTree(world.siteDir(site, from))).toEqual(before);
    expect((await world.repos.tasks.get(task.id))!.error).toMatch(/database locked/);
  });

  test('a file written by a test stays out of git status of the platform checkout', async () => {
    const world = await createWorld({ sites: { [OLD]: ['theta.example.org'] } });
    await writeFile(join(world.driver.platformPath(world.platforms[OLD]!), 'sites', 'README'), 'x');
    const status = await runGit(['-C', world.driver.platformPath(world.platforms[OLD]!), 'status', '--porcelain']);
    expect(status.stdout).toBe('');
  });
});

describe('from Upgrade Confirm to a moved site', () => {
  test('confirming an upgrade plan queues site.migrate jobs that the migration worker runs to completion', async () => {
    const world = await createWorld({ sites: { [OLD]: ['one.example.org', 'two.example.org'] } });
    const jobs = world.store!.queue({ pollIntervalMs: 10 });
    const harness = createHarness(world.repos, jobs);
    const bus = new EventBus();
    const states: string[] = [];
    const bothDone = new Promise<void>((resolve) =>
      bus.subscribe((e) => {
        if (e.type === 'task.updated' && e.state !== 'processing') states.push(e.state);
        if (states.length === 2) resolve();
      }),
    );
    registerMigrationJobs(jobs, { repos: world.repos, driver: world.driver, events: bus, owner: 'worker', concurrency: 2, concurrencyPerServer: 2, maxAttempts: 2 });
    await harness.services.distributions.setTarget('social', world.platforms[NEW]!.name, ADMIN);
    const view = await harness.services.upgrades.propose({ kind: 'platform', name: world.platforms[OLD]!.name }, ADMIN);
    const confirmed = await harness.services.upgrades.confirm(view.plan.id, ADMIN);
    expect(confirmed.scheduled).toBe(true);
    await jobs.start();
    await bothDone;
    await jobs.stop();

    expect(states).toEqual(['succeeded', 'succeeded']);
    for (const name of ['one.example.org', 'two.example.org']) {
      const site = (await world.repos.sites.getByName(name))!;
      expect(site.platformId).toBe(world.platforms[NEW]!.id);
      expect(await pathExists(join(world.siteDir(site, world.platforms[NEW]!), 'settings.php'))).toBe(true);
      expect(await pathExists(world.siteDir(site, world.platforms[OLD]!))).toBe(false);
    }
  });
});
