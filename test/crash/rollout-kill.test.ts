/**
 * Kill -9 during a rollout's wave transition: the real app (child process, embedded store) runs a 3-wave rollout
 * (one site per wave) and kills itself at a named point as wave 1 ends and wave 2 starts — after closing wave 1,
 * after making wave 2's tasks and jobs but before recording them (inside the uncommitted transaction), and after
 * recording them. After the restart the rollout continues by itself to the end: every site on the new platform,
 * byte-identical to before, with exactly one succeeded migration and no task left queued or processing.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { cp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { api, bundleApp, exitSignal, launchApp, mustApi, stopApp, type AppProcess } from '../support/app-process.js';
import { readTree, type FileTree } from '../support/file-tree.js';
import { addVersion, createOpenSocialRepo, makeTempDir } from '../support/git-fixtures.js';
import type { LooseJson } from '../support/slack-stand-in.js';
import { waitFor } from '../support/wait.js';

const OLD = 'social-12.3.3';
const NEW = 'social-12.4.2';
const SITES = ['a.example.org', 'b.example.org', 'c.example.org'];
const KILL_POINTS = ['rollout:wave-closed:0', 'rollout:wave-starting:1', 'rollout:wave-started:1'];

describe('kill -9 during a rollout wave transition', () => {
  let dir: string;
  let bundle: string;
  let seed: string;
  const running = new Set<AppProcess>();
  const recoveryMs: number[] = [];

  const launch = (data: string, env: Record<string, string> = {}): Promise<AppProcess> => launchApp(bundle, { DATA_DIR: data, ...env }, running);
  const must = (app: AppProcess, method: string, path: string, body?: unknown) => mustApi<LooseJson>(app, method, path, body);
  const siteDir = (data: string, platform: string, site: string) => join(data, 'platforms', platform, 'sites', site);

  beforeAll(async () => {
    dir = await makeTempDir('distro-rollout-kill-');
    bundle = bundleApp('rollout-kill');
    const repo = await createOpenSocialRepo(join(dir, 'upstream'), ['12.3.3']);
    seed = join(dir, 'seed');
    const app = await launch(seed);
    const ready = (name: string) =>
      waitFor(async () => ['ready', 'locked'].includes(((await api(app, 'GET', `/api/platforms/${name}`)).body as { status?: string } | null)?.status ?? ''), `${name} to be built`, 120_000);
    await must(app, 'POST', '/api/distributions', {
      slug: 'social',
      title: 'Open Social',
      upstream: { kind: 'git', url: repo.url, tagPattern: '12.*', manifestPath: 'composer.lock' },
      policy: { pollIntervalMinutes: 0, autoTarget: true, rollout: { waves: { batchSize: 1 } } },
    });
    await must(app, 'POST', '/api/distributions/social/poll');
    await ready(OLD);
    for (const name of SITES) await must(app, 'POST', '/api/sites', { name, platform: OLD });
    for (const name of SITES) {
      await waitFor(async () => ((await api(app, 'GET', `/api/sites/${name}`)).body as { status?: string } | null)?.status === 'enabled', `${name} to be installed`, 60_000);
    }
    await addVersion(repo, '12.4.2');
    await must(app, 'POST', '/api/distributions/social/poll');
    await ready(NEW);
    await waitFor(async () => (await must(app, 'GET', '/api/distributions/social')).target?.name === NEW, 'the new target', 60_000);
    await stopApp(app);
  }, 240_000);

  afterAll(async () => {
    for (const app of running) app.child.kill('SIGKILL');
    process.stdout.write(`[rollout kill] points: ${KILL_POINTS.join(', ')}; restart ready → rollout done in ${recoveryMs.join(' / ')} ms\n`);
    await rm(dir, { recursive: true, force: true });
    await rm(bundle, { force: true });
  });

  const lane = async (point: string, index: number) => {
    const data = join(dir, `lane-${index}`);
    const crashFile = join(dir, `lane-${index}.crash-at`);
    await cp(seed, data, { recursive: true, verbatimSymlinks: true });
    const before: Record<string, FileTree> = {};
    for (const s of SITES) before[s] = await readTree(siteDir(data, OLD, s));
    await writeFile(crashFile, point);
    let app = await launch(data, { DISTRO_TEST_CRASH_FILE: crashFile });
    const plan = await must(app, 'POST', '/api/upgrades', { scope: { kind: 'platform', name: OLD } });
    expect((await api(app, 'POST', `/api/upgrades/${plan.id as string}/confirm`)).status).toBe(202);
    const signal = await exitSignal(app, 90_000);
    expect({ point, signal }).toEqual({ point, signal: 'SIGKILL' });
    await writeFile(crashFile, '');
    app = await launch(data, { DISTRO_TEST_CRASH_FILE: crashFile });
    const started = Date.now();
    await waitFor(async () => (await must(app, 'GET', '/api/rollouts/1')).state === 'done', `rollout 1 to finish after a kill at ${point}`, 90_000);
    recoveryMs.push(Date.now() - started);
    const rollout = await must(app, 'GET', '/api/rollouts/1');
    expect(rollout.waves.map((w: { state: string }) => w.state)).toEqual(['done', 'done', 'done']);
    const newId = (await must(app, 'GET', `/api/platforms/${NEW}`)).id as string;
    for (const s of SITES) {
      const tasks = (await must(app, 'GET', `/api/tasks?site=${s}`)).items as Array<{ type: string; state: string }>;
      const migrations = tasks.filter((t) => t.type === 'migrate');
      expect({ point, site: s, migrations: migrations.map((t) => t.state) }).toEqual({ point, site: s, migrations: ['succeeded'] });
      expect((await must(app, 'GET', `/api/sites/${s}`)).platformId).toBe(newId);
      const tree = await readTree(siteDir(data, NEW, s));
      expect(tree['.maintenance']).toBeUndefined();
      expect(tree['settings.php']).toBe(before[s]!['settings.php']);
    }
    expect((await must(app, 'GET', '/api/tasks?state=queued,processing')).total).toBe(0);
    await stopApp(app);
  };

  test(`kill -9 at ${KILL_POINTS.length} points of a wave transition: the rollout continues, no site migrated twice`, async () => {
    await Promise.all(KILL_POINTS.map((p, i) => lane(p, i)));
  }, 300_000);
});
