/**
 * Kill -9 during a rollout: the real app (child process, embedded store) runs a 3-wave rollout (one site per wave)
 * and kills itself at a named point as wave 1 ends and wave 2 starts — after closing wave 1, after making wave 2's
 * tasks and jobs but before recording them (inside the uncommitted transaction), and after recording them; in the
 * last wave while its site moves; and in wave 1 followed by a second kill 0.1–1 s after the restart (a kill during
 * recovery). After the restart the rollout continues by itself to the end, without a person: every site on the new
 * platform, byte-identical to before, with exactly one succeeded migration and no task left queued or processing
 * (a crash is not a failure: a cut migration is retried, it never pauses or fails the rollout).
 *
 * And a kill right after a pause commits (issue 18: pause is a hard stop): one wave of three sites, one slot, so
 * two migrations wait for a slot while the first runs; after the restart the cut migration finishes, nothing else
 * begins while paused, and Resume finishes the rollout.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
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
const KILL_POINTS = [
  'rollout:wave-closed:0',
  'rollout:wave-starting:1',
  'rollout:wave-started:1',
  // The last wave's site, after its files moved and before that was committed: rolled back and retried.
  'moveSite:after@c.example.org',
];
/** Killed in wave 1 while the site moves, then again at a random instant 0.1–1 s after the restart. */
const TWICE = 'moveSite:after@a.example.org';

describe('kill -9 during a rollout wave transition', () => {
  let dir: string;
  let bundle: string;
  let seed: string;
  const running = new Set<AppProcess>();
  const recoveryMs: number[] = [];
  const secondKills: number[] = [];

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
    process.stdout.write(
      `[rollout kill] points: ${[...KILL_POINTS, `${TWICE} + a second kill ${secondKills.join(', ')} ms after the restart`].join(', ')}; restart ready → rollout done in ${recoveryMs.join(' / ')} ms\n`,
    );
    await rm(dir, { recursive: true, force: true });
    await rm(bundle, { force: true });
  });

  const lane = async (point: string, index: number, options: { secondKill?: boolean } = {}) => {
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
    if (options.secondKill) {
      // During recovery: the interrupted migration is being rolled back or retried.
      const after = 100 + Math.floor(Math.random() * 900);
      await new Promise((resolve) => setTimeout(resolve, after));
      app.child.kill('SIGKILL');
      expect(await app.exited).toBe('SIGKILL');
      secondKills.push(after);
      app = await launch(data, { DISTRO_TEST_CRASH_FILE: crashFile });
    }
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

  test(`kill -9 at ${KILL_POINTS.length + 1} points (one killed again during recovery): the rollout ends done by itself, no site migrated twice`, async () => {
    await Promise.all([...KILL_POINTS.map((p, i) => lane(p, i)), lane(TWICE, KILL_POINTS.length, { secondKill: true })]);
  }, 300_000);

  test('kill -9 during a disk-full episode (DATA_DIR on a small tmpfs, filled mid-rollout): after the restart the rollout ends done by itself', async () => {
    // A real full disk needs a mount (root, as in CI); the suite says so rather than skipping.
    const data = join(dir, 'lane-full');
    mkdirSync(data, { recursive: true });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', data], { stdio: 'ignore' });
    } catch (error) {
      throw new Error(`this test mounts a 64 MB tmpfs as DATA_DIR (run it as root, as CI does): ${(error as Error).message}`);
    }
    const filler = join(data, 'filler');
    let app: AppProcess | null = null;
    try {
      await cp(seed, data, { recursive: true, verbatimSymlinks: true });
      const before: Record<string, FileTree> = {};
      for (const s of SITES) before[s] = await readTree(siteDir(data, OLD, s));
      // A slow post-migrate, so the disk fills while a migration runs.
      const env = { POST_MIGRATE_COMMANDS: 'sleep 0.5' };
      app = await launch(data, env);
      const plan = await must(app, 'POST', '/api/upgrades', { scope: { kind: 'platform', name: OLD } });
      expect((await api(app, 'POST', `/api/upgrades/${plan.id as string}/confirm`)).status).toBe(202);
      await waitFor(async () => (await must(app!, 'GET', '/api/tasks?state=processing')).total > 0, 'a migration to run', 60_000);
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' });
      } catch {
        // "No space left on device": the disk is full, which is the point.
      }
      // The migration hits the full disk (its backup, its next write-ahead record); then the process dies.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      app.child.kill('SIGKILL');
      expect(await app.exited).toBe('SIGKILL');
      await rm(filler, { force: true });
      app = await launch(data, env);
      await waitFor(async () => (await must(app!, 'GET', '/api/rollouts/1')).state === 'done', 'rollout 1 to finish after the disk-full kill', 120_000);
      const newId = (await must(app, 'GET', `/api/platforms/${NEW}`)).id as string;
      for (const s of SITES) {
        const own = ((await must(app, 'GET', `/api/tasks?site=${s}`)).items as Array<{ type: string; state: string }>).filter((t) => t.type === 'migrate');
        expect({ site: s, migrations: own.map((t) => t.state) }).toEqual({ site: s, migrations: ['succeeded'] });
        expect((await must(app, 'GET', `/api/sites/${s}`)).platformId).toBe(newId);
        const tree = await readTree(siteDir(data, NEW, s));
        expect(tree['.maintenance']).toBeUndefined();
        expect(tree['settings.php']).toBe(before[s]!['settings.php']);
      }
      expect((await must(app, 'GET', '/api/tasks?state=queued,processing')).total).toBe(0);
      await stopApp(app);
      app = null;
    } finally {
      app?.child.kill('SIGKILL');
      if (app) await app.exited;
      execFileSync('umount', ['-l', data], { stdio: 'ignore' });
    }
  }, 300_000);

  test('kill -9 right after a pause commits: after the restart nothing begins while paused; Resume finishes the rollout', async () => {
    const data = join(dir, 'lane-pause');
    const crashFile = join(dir, 'lane-pause.crash-at');
    await cp(seed, data, { recursive: true, verbatimSymlinks: true });
    await writeFile(crashFile, 'rollout:pause:committed');
    // One wave, one slot on the server: while the first migration runs (a slow post-migrate) two wait for the slot.
    const env = { DISTRO_TEST_CRASH_FILE: crashFile, MIGRATION_CONCURRENCY_PER_SERVER: '1', POST_MIGRATE_COMMANDS: 'sleep 1' };
    let app = await launch(data, env);
    await must(app, 'PATCH', '/api/distributions/social', { policy: { pollIntervalMinutes: 0, autoTarget: true, rollout: { waves: { batchSize: 3 } } } });
    const plan = await must(app, 'POST', '/api/upgrades', { scope: { kind: 'platform', name: OLD } });
    expect((await api(app, 'POST', `/api/upgrades/${plan.id as string}/confirm`)).status).toBe(202);
    await waitFor(async () => (await must(app, 'GET', '/api/tasks?state=processing')).total > 0, 'a migration to run', 60_000);
    // The pause commits, then the process dies before it answers.
    await api(app, 'POST', '/api/rollouts/1/pause');
    expect(await exitSignal(app, 60_000)).toBe('SIGKILL');
    await writeFile(crashFile, '');
    app = await launch(data, env);
    expect((await must(app, 'GET', '/api/rollouts/1')).state).toBe('paused');
    type T = { id: string; state: string; subject: { name: string }; progress?: { done: number }; step?: string | null };
    const tasks = async () => (await must(app, 'GET', '/api/tasks?state=queued,processing,succeeded,failed,cancelled&limit=50')).items as T[];
    await waitFor(async () => (await tasks()).every((t) => t.state !== 'processing'), 'the cut migration to end', 60_000);
    const afterRestart = await tasks();
    const migrations = afterRestart.filter((t) => SITES.includes(t.subject.name) && (t as { type?: string }).type === 'migrate');
    // The one that was running is finished; the two that waited for a slot did not begin, and did not fail.
    expect(migrations.filter((t) => t.state === 'succeeded')).toHaveLength(1);
    expect(migrations.filter((t) => t.state === 'queued')).toHaveLength(2);
    for (const t of migrations.filter((x) => x.state === 'queued')) {
      const detail = await must(app, 'GET', `/api/tasks/${t.id}`);
      expect({ site: t.subject.name, step: detail.step ?? null }).toEqual({ site: t.subject.name, step: null });
    }
    expect((await must(app, 'GET', '/api/rollouts/1')).state).toBe('paused');
    await must(app, 'POST', '/api/rollouts/1/resume');
    await waitFor(async () => (await must(app, 'GET', '/api/rollouts/1')).state === 'done', 'rollout 1 to finish after Resume', 90_000);
    const newId = (await must(app, 'GET', `/api/platforms/${NEW}`)).id as string;
    for (const s of SITES) {
      const own = ((await must(app, 'GET', `/api/tasks?site=${s}`)).items as Array<{ type: string; state: string }>).filter((t) => t.type === 'migrate');
      expect({ site: s, migrations: own.map((t) => t.state) }).toEqual({ site: s, migrations: ['succeeded'] });
      expect((await must(app, 'GET', `/api/sites/${s}`)).platformId).toBe(newId);
    }
    await stopApp(app);
  }, 300_000);
});
