/**
 * Several processes on one MongoDB (the wire stand-in, or MONGODB_URI): a `web` process and two `worker`s of
 * src/main.ts, with the command hosting driver on a data folder the workers share and the web process does not
 * (it never calls the driver). A worker is SIGKILLed in the middle of a build: the other takes the build over
 * within 30 s. Then five sites are created through the web API (202 + install task) and migrated to a new release.
 * Then a worker is SIGKILLed in the middle of a migration (after the site's files moved): the other worker takes the
 * task over within 30 s and rolls it back from the backup, verified, and the server's one migration slot is free again.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startDistroProcess, type DistroProcess } from '../support/distro-process.js';
import { freePort } from '../support/free-port.js';
import { addVersion, createOpenSocialRepo, makeTempDir, type GitFixtureRepo } from '../support/git-fixtures.js';
import { api as apiCall, gitDistributionBody, type JsonResponse } from '../support/http.js';
import { databaseUri, startMongo, type TestMongo } from '../support/mongo.js';
import { waitFor } from '../support/wait.js';

const TOKEN = 'multi-process-admin-token-0123';
type Proc = DistroProcess & { name: string };
const spawnRole = (name: string, env: Record<string, string>): Proc => ({ name, ...startDistroProcess(env) });

/** The worker pid a step wrote into a marker file; 0 until written (the shell creates the file before `echo` fills it). */
const pidIn = (file: string): number => (existsSync(file) ? Number(readFileSync(file, 'utf8')) : 0);

const SITES = ['s1', 's2', 's3', 's4', 's5'].map((s) => `${s}.example.org`);

/**
 * Shell templates of the command driver; the build waits at a gate file so a test can kill its worker mid-build,
 * and postMigrate does for a site with a `hold-<site>` file. Backups are real tar archives, and locateSite and
 * siteDigest let a rollback be verified. `$PPID` is the worker that runs the step.
 */
const hostingCommands = (gates: string, backups: string) => ({
  build:
    `echo $PPID > ${gates}/{platform}.started; while [ ! -f ${gates}/{platform}.go ]; do sleep 0.05; done; ` +
    `rm -rf {platformPath} && git clone -q {repo} {platformPath} && git -C {platformPath} checkout -q {commit}`,
  installSite: 'mkdir -p {platformPath}/sites/{site} && echo {site} > {platformPath}/sites/{site}/site.txt',
  maintenanceOn: 'true',
  backup: `mkdir -p ${backups} && tar -C {platformPath}/sites -cf ${backups}/{site}.tar {site} && echo ${backups}/{site}.tar`,
  moveSite: 'mkdir -p {toPlatformPath}/sites && { [ -d {toPlatformPath}/sites/{site} ] || mv {fromPlatformPath}/sites/{site} {toPlatformPath}/sites/{site}; }',
  postMigrate:
    `if [ -f ${gates}/hold-{site} ]; then echo $PPID > ${gates}/{site}.migrating; ` +
    `while [ ! -f ${gates}/{site}.go ]; do sleep 0.05; done; fi`,
  verify: 'test -f {platformPath}/sites/{site}/site.txt',
  maintenanceOff: 'true',
  restore:
    'rm -rf {toPlatformPath}/sites/{site} {fromPlatformPath}/sites/{site} && mkdir -p {fromPlatformPath}/sites && ' +
    `tar -C {fromPlatformPath}/sites -xf {backup} && echo $PPID > ${gates}/{site}.restored`,
  locateSite:
    'if [ -d {fromPlatformPath}/sites/{site} ] && [ -d {toPlatformPath}/sites/{site} ]; then echo both; ' +
    'elif [ -d {fromPlatformPath}/sites/{site} ]; then echo from; elif [ -d {toPlatformPath}/sites/{site} ]; then echo to; else echo missing; fi',
  siteDigest: 'cd {platformPath}/sites/{site} && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-64',
});

describe('web + 2 workers on one MongoDB', () => {
  let dir: string;
  let gates: string;
  let mongo: TestMongo;
  let repo: GitFixtureRepo;
  let base: string;
  const procs: Proc[] = [];
  let workerEnv: Record<string, string>;
  const api = (method: string, path: string, body?: unknown): Promise<JsonResponse> => apiCall(base, method, path, body, { authorization: `Bearer ${TOKEN}` });

  beforeAll(async () => {
    dir = await makeTempDir('distro-multi-');
    gates = join(dir, 'gates');
    await mkdir(gates);
    repo = await createOpenSocialRepo(join(dir, 'upstream'), ['12.3.3']);
    mongo = await startMongo();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const common = {
      MONGODB_URI: databaseUri(mongo.uri, 'distro_multi'),
      HOSTING_DRIVER: 'command',
      HOSTING_COMMANDS: JSON.stringify(hostingCommands(gates, join(dir, 'backups'))),
      // One migration at a time per server: a slot left held by a killed worker would block the next migration.
      MIGRATION_CONCURRENCY_PER_SERVER: '1',
      ADMIN_TOKEN: TOKEN,
      ALLOW_LOCAL_UPSTREAMS: 'true',
      LOG_LEVEL: 'warn',
    };
    procs.push(spawnRole('web', { ...common, DISTRO_ROLE: 'web', PORT: String(port), DATA_DIR: join(dir, 'web-data') }));
    workerEnv = { ...common, DISTRO_ROLE: 'worker', PORT: '0', DATA_DIR: join(dir, 'shared-data') };
    for (const name of ['worker-a', 'worker-b']) procs.push(spawnRole(name, workerEnv));
    await waitFor(async () => fetch(`${base}/healthz`).then((r) => r.ok, () => false), 'the web process', 60_000);
  }, 90_000);

  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await mongo?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const platform = async (name: string) => (await api('GET', `/api/platforms/${name}`)).body as { status: string; buildLog: string[] };

  test('a worker killed mid-build: the other takes the build over within 30 s', async () => {
    expect((await api('POST', '/api/distributions', gitDistributionBody('social', 'Open Social 12', 'C0MULTI', { url: repo.url, tagPattern: '12.*' }))).status).toBe(201);
    expect((await api('POST', '/api/distributions/social/poll')).status).toBe(202);
    const started = join(gates, 'social-12.3.3.started');
    await waitFor(() => pidIn(started) > 0, 'a worker to start building', 60_000);
    const builderPid = pidIn(started);
    const builder = procs.find((p) => p.child.pid === builderPid)!;
    expect(builder.name).toMatch(/^worker-/);
    expect((await platform('social-12.3.3')).status).toBe('building');

    builder.child.kill('SIGKILL');
    const killedAt = Date.now();
    await builder.exited;
    writeFileSync(join(gates, 'social-12.3.3.go'), '');
    await waitFor(() => ![0, builderPid].includes(pidIn(started)), 'the surviving worker to take the build over', 30_000);
    const pickupMs = Date.now() - killedAt;
    await waitFor(async () => (await platform('social-12.3.3')).status === 'ready', 'the build to finish', 60_000);
    expect((await platform('social-12.3.3')).buildLog.join('\n')).toMatch(/stopped \(its lease expired\)/);
    process.stdout.write(`[multi-process] build taken over ${(pickupMs / 1000).toFixed(1)} s after its worker was killed\n`);
  }, 150_000);

  test('sites are created through the web process (202, installed by the worker) and all five migrate', async () => {
    for (const name of SITES) {
      const res = await api('POST', '/api/sites', { name, platform: 'social-12.3.3' });
      expect(res.status).toBe(202);
      expect(res.headers.get('location')).toBe(`/api/tasks/${res.body.task.number}`);
    }
    await waitFor(async () => (await api('GET', '/api/sites?status=enabled')).body.total === SITES.length, 'the sites to be installed', 60_000);

    writeFileSync(join(gates, 'social-12.4.1.go'), '');
    await addVersion(repo, '12.4.1');
    await api('POST', '/api/distributions/social/poll');
    await waitFor(async () => (await api('GET', '/api/distributions/social')).body.target?.name === 'social-12.4.1', 'the new target', 60_000);

    const plan = await api('POST', '/api/upgrades', { scope: { kind: 'distribution', slug: 'social' } });
    expect(plan.status).toBe(201);
    const confirmed = await api('POST', `${plan.headers.get('location')}/confirm`);
    expect(confirmed.status).toBe(202);
    await waitFor(
      async () => (await api('GET', '/api/sites?platform=social-12.4.1&status=enabled')).body.total === SITES.length,
      'all five sites on the new platform',
      90_000,
    );
    for (const name of SITES) expect(existsSync(join(dir, 'shared-data', 'platforms', 'social-12.4.1', 'sites', name, 'site.txt'))).toBe(true);
    // The web process never made platforms or sites: that is the workers' data folder.
    expect(existsSync(join(dir, 'web-data', 'platforms'))).toBe(false);
  }, 200_000);

  const migrateSite = async (name: string): Promise<void> => {
    const plan = await api('POST', '/api/upgrades', { scope: { kind: 'site', name } });
    expect(plan.status).toBe(201);
    expect((await api('POST', `${plan.headers.get('location')}/confirm`)).status).toBe(202);
  };
  const sitesOn = async (platformName: string): Promise<string[]> =>
    ((await api('GET', `/api/sites?platform=${platformName}&status=enabled`)).body.items as Array<{ name: string }>).map((s) => s.name);
  const siteFiles = (platformName: string, site: string) => join(dir, 'shared-data', 'platforms', platformName, 'sites', site, 'site.txt');

  test('a worker killed mid-migration (files moved): the other resumes it to the end (a crash is not a failure), and the slot is free', async () => {
    // A second worker again (the first test killed one), so one survives the kill below.
    procs.push(spawnRole('worker-c', workerEnv));
    writeFileSync(join(gates, 'social-12.4.2.go'), '');
    await addVersion(repo, '12.4.2');
    await api('POST', '/api/distributions/social/poll');
    await waitFor(async () => (await api('GET', '/api/distributions/social')).body.target?.name === 'social-12.4.2', 'the newer target', 60_000);

    const [site] = SITES;
    const marker = join(gates, `${site}.migrating`);
    writeFileSync(join(gates, `hold-${site}`), '');
    await migrateSite(site!);
    await waitFor(() => pidIn(marker) > 0, 'a worker to reach postMigrate', 60_000);
    const workerPid = pidIn(marker);
    const worker = procs.find((p) => p.child.pid === workerPid)!;
    expect(worker.name).toMatch(/^worker-/);
    const [task] = (await api('GET', `/api/tasks?site=${site}&state=processing`)).body.items as Array<{ number: number }>;
    expect(task).toBeDefined();
    // Mid-step after moveSite: the files are on the new platform, the record still says migrating on the old one.
    expect(existsSync(siteFiles('social-12.4.2', site!))).toBe(true);

    worker.child.kill('SIGKILL');
    const killedAt = Date.now();
    await worker.exited;
    // Lets the killed worker's orphaned step end; the gate is off for the migrations that follow.
    rmSync(join(gates, `hold-${site}`));
    writeFileSync(join(gates, `${site}.go`), '');

    const taskNow = async () => (await api('GET', `/api/tasks/${task!.number}`)).body as { state: string; error: string | null; log: Array<{ message: string }> };
    await waitFor(async () => (await taskNow()).state !== 'processing', 'the surviving worker to end the migration', 30_000);
    const endedMs = Date.now() - killedAt;
    // The move was committed before the kill (killed inside postMigrate), so what is left is safe to repeat: the
    // survivor resumes the migration from there instead of failing it (a crash is not a failure).
    const ended = await taskNow();
    expect(ended.state).toBe('succeeded');
    const log = ended.log.map((l) => l.message).join('\n');
    expect(log).toMatch(/Recovered by .* after the worker .* stopped/);
    expect(log).toContain('Resuming after step moveSite');
    // The record and the files agree: enabled on the new platform, files there and not on the old one.
    expect(await sitesOn('social-12.4.2')).toContain(site);
    expect(existsSync(siteFiles('social-12.4.2', site!))).toBe(true);
    expect(existsSync(siteFiles('social-12.4.1', site!))).toBe(false);
    expect((await api('GET', '/api/tasks?state=processing')).body.total).toBe(0);
    process.stdout.write(`[multi-process] migration taken over and resumed to the end ${(endedMs / 1000).toFixed(1)} s after its worker was killed\n`);

    // One migration per server: the next one runs only if the killed worker's slot was given back.
    const next = (await sitesOn('social-12.4.1')).find((name) => name !== site);
    expect(next).toBeDefined();
    await migrateSite(next!);
    await waitFor(async () => (await sitesOn('social-12.4.2')).includes(next!), 'the next migration on the same server', 30_000);
    expect(existsSync(siteFiles('social-12.4.2', next!))).toBe(true);
    expect(existsSync(siteFiles('social-12.4.1', next!))).toBe(false);
  }, 200_000);

  test('the processes still running drain and exit 0 on SIGTERM', async () => {
    const running = procs.filter((x) => x.child.exitCode === null && x.child.signalCode === null);
    expect(running.map((p) => p.name)).toHaveLength(2);
    for (const p of running) p.child.kill('SIGTERM');
    for (const p of running) expect(await p.exited).toBe(0);
  }, 60_000);
});
