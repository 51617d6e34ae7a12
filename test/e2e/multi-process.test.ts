/**
 * Several processes on one MongoDB (the wire stand-in, or MONGODB_URI): a `web` process and two `worker`s of
 * src/main.ts, with the command hosting driver on a data folder the workers share and the web process does not
 * (it never calls the driver). A worker is SIGKILLed in the middle of a build: the other takes the build over
 * within 30 s. Then five sites are created through the web API (202 + install task) and migrated to a new release.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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

const SITES = ['s1', 's2', 's3', 's4', 's5'].map((s) => `${s}.example.org`);

/** Shell templates of the command driver; the build waits at a gate file so a test can kill its worker mid-build. */
const hostingCommands = (gates: string) => ({
  build:
    `echo $PPID > ${gates}/{platform}.started; while [ ! -f ${gates}/{platform}.go ]; do sleep 0.05; done; ` +
    `rm -rf {platformPath} && git clone -q {repo} {platformPath} && git -C {platformPath} checkout -q {commit}`,
  installSite: 'mkdir -p {platformPath}/sites/{site} && echo {site} > {platformPath}/sites/{site}/site.txt',
  maintenanceOn: 'true',
  backup: 'echo backup-of-{site}',
  moveSite: 'mkdir -p {toPlatformPath}/sites && { [ -d {toPlatformPath}/sites/{site} ] || mv {fromPlatformPath}/sites/{site} {toPlatformPath}/sites/{site}; }',
  postMigrate: 'true',
  verify: 'test -f {platformPath}/sites/{site}/site.txt',
  maintenanceOff: 'true',
  restore: 'true',
});

describe('web + 2 workers on one MongoDB', () => {
  let dir: string;
  let gates: string;
  let mongo: TestMongo;
  let repo: GitFixtureRepo;
  let base: string;
  const procs: Proc[] = [];
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
      HOSTING_COMMANDS: JSON.stringify(hostingCommands(gates)),
      ADMIN_TOKEN: TOKEN,
      ALLOW_LOCAL_UPSTREAMS: 'true',
      LOG_LEVEL: 'warn',
    };
    procs.push(spawnRole('web', { ...common, DISTRO_ROLE: 'web', PORT: String(port), DATA_DIR: join(dir, 'web-data') }));
    for (const name of ['worker-a', 'worker-b']) {
      procs.push(spawnRole(name, { ...common, DISTRO_ROLE: 'worker', PORT: '0', DATA_DIR: join(dir, 'shared-data') }));
    }
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
    await waitFor(() => existsSync(started), 'a worker to start building', 60_000);
    const builderPid = Number(readFileSync(started, 'utf8'));
    const builder = procs.find((p) => p.child.pid === builderPid)!;
    expect(builder.name).toMatch(/^worker-/);
    expect((await platform('social-12.3.3')).status).toBe('building');

    builder.child.kill('SIGKILL');
    const killedAt = Date.now();
    await builder.exited;
    writeFileSync(join(gates, 'social-12.3.3.go'), '');
    await waitFor(() => existsSync(started) && Number(readFileSync(started, 'utf8')) !== builderPid, 'the surviving worker to take the build over', 30_000);
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

    // The processes still running drain and exit 0 on SIGTERM.
    const running = procs.filter((x) => x.child.exitCode === null && x.child.signalCode === null);
    expect(running).toHaveLength(2);
    for (const p of running) p.child.kill('SIGTERM');
    for (const p of running) expect(await p.exited).toBe(0);
  }, 200_000);
});
