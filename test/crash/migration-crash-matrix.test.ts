/**
 * Crash matrix: the real app in a child process is SIGKILLed at every step boundary of a migration and inside
 * steps (the app kills itself at a named point: DISTRO_TEST_CRASH_FILE, src/lib/crash-point.ts), inside a
 * post-migrate command, during a batch at an arbitrary instant, and under a burst of admin writes. After each
 * kill it is restarted and checked from the outside only (HTTP + files on disk): every acknowledged write is
 * there, every site is byte-identical to its old copy on its old platform or post-migrated on its new one with
 * the record agreeing, no site is left in maintenance, no task is left queued or processing.
 *
 * One set-up (poll, build two platforms, install sites) is copied into a data folder per lane; lanes run in
 * parallel, each a sequence of kill → restart → check.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathExists } from '../../src/hosting/paths.js';
import { api, bundleApp, exitSignal, launchApp, mustApi, platformBuilt, stopApp, type AppProcess } from '../support/app-process.js';
import { readTree, type FileTree } from '../support/file-tree.js';
import { addVersion, createOpenSocialRepo, makeTempDir } from '../support/git-fixtures.js';
import { waitFor } from '../support/wait.js';

const OLD = 'social-12.3.3';
const NEW = 'social-12.4.2';

/**
 * Post-migrate behaviour by site name: fail-* fail (rollback), kill-* kill the app mid-command (once: the resumed
 * run completes), slow-* take a second. Every run is counted in $DATA_DIR/post-migrate-runs-<site>.
 */
const POST_MIGRATE = [
  'echo run >> "$DATA_DIR/post-migrate-runs-$SITE"',
  'if [ "${SITE#fail-}" != "$SITE" ]; then echo "post-migrate refused" >&2; exit 1',
  'elif [ "${SITE#kill-}" != "$SITE" ] && [ ! -e "$DATA_DIR/killed-$SITE" ]; then touch "$DATA_DIR/killed-$SITE"; kill -9 $PPID; sleep 5',
  'elif [ "${SITE#slow-}" != "$SITE" ]; then sleep 1; fi',
].join('; ');

type Outcome = 'succeeded' | 'failed';
interface KillPoint {
  /** Crash point name (src/lib/crash-point.ts callers), or a description for kills that are not named points. */
  point: string;
  site: string;
  /** How recovery must end it: on the new platform (resumed, or rolled back and retried), or rolled back to the old one. */
  expect: Outcome;
  /** How many times the post-migrate command may have run in all (a completed command is never run again). */
  postMigrateRuns?: number;
}

const ok = (point: string, i: number, outcome: Outcome): KillPoint => ({ point, site: `ok-${i}.example.org`, expect: outcome });
const KILL_POINTS: KillPoint[] = [
  ok('migrate:begun', 1, 'succeeded'),
  ok('maintenanceOn:before', 2, 'succeeded'),
  ok('maintenanceOn:after', 3, 'succeeded'),
  ok('backup:before', 4, 'succeeded'),
  ok('backup:tar-written', 5, 'succeeded'),
  ok('backup:after', 6, 'succeeded'),
  // Cut while the site moves: rolled back from the backup and queued again as a new attempt, which succeeds —
  // a crash is not a failure of the site.
  { ...ok('moveSite:before', 7, 'succeeded'), postMigrateRuns: 1 },
  { ...ok('moveSite:renamed', 8, 'succeeded'), postMigrateRuns: 1 },
  { ...ok('moveSite:after', 9, 'succeeded'), postMigrateRuns: 1 },
  // The move is committed: resumed on the new platform; a post-migrate command whose end was committed is not run again.
  { ...ok('postMigrate:before', 10, 'succeeded'), postMigrateRuns: 1 },
  { ...ok('postMigrate:command-committed', 20, 'succeeded'), postMigrateRuns: 1 },
  { ...ok('postMigrate:after', 11, 'succeeded'), postMigrateRuns: 1 },
  { ...ok('verify:before', 12, 'succeeded'), postMigrateRuns: 1 },
  { ...ok('verify:after', 13, 'succeeded'), postMigrateRuns: 1 },
  // Verified on the new platform: finished, not undone.
  ok('maintenanceOff:before', 14, 'succeeded'),
  ok('maintenanceOff:after', 15, 'succeeded'),
  // Inside the health check (a real HTTP probe of a server in this test): it is read-only, so it is run again.
  ok('healthCheck:before', 17, 'succeeded'),
  ok('healthCheck:probed', 18, 'succeeded'),
  ok('healthCheck:after', 19, 'succeeded'),
  ok('migrate:completed', 16, 'succeeded'),
  // Kills during a rollback (post-migrate refused): the rollback is finished after the restart.
  { point: 'rollback:before', site: 'fail-1.example.org', expect: 'failed' },
  { point: 'restore:extracted', site: 'fail-2.example.org', expect: 'failed' },
  { point: 'restore:set-aside', site: 'fail-3.example.org', expect: 'failed' },
  { point: 'rollback:restored', site: 'fail-4.example.org', expect: 'failed' },
  { point: 'rollback:recorded', site: 'fail-5.example.org', expect: 'failed' },
  // Killed by its own post-migrate command, mid-step: the command's end was never committed, so it runs again
  // (at least once: the README says why that is safe for drush updb-like commands).
  { point: 'inside a post-migrate command', site: 'kill-1.example.org', expect: 'succeeded', postMigrateRuns: 2 },
];
const BATCH = Array.from({ length: 6 }, (_, i) => `slow-${i + 1}.example.org`);
const LANES = 4;

interface Figures {
  killPoints: string[];
  /** Restart ready → the interrupted migration taken over (its log says so) or already final. */
  takeoverMs: number[];
  /** Restart ready → no task queued or processing (resumed migrations run to their end). */
  recoveryMs: number[];
  writesAttempted: number;
  writesAcknowledged: number;
  writesFound: number;
  batchConfirmAcknowledged: boolean;
  batchFinishMs: number;
}

describe('crash matrix: kill -9 during migrations and admin writes', () => {
  let dir: string;
  let bundle: string;
  let seed: string;
  let platformIds: Record<string, string>;
  const figures: Figures = { killPoints: [], takeoverMs: [], recoveryMs: [], writesAttempted: 0, writesAcknowledged: 0, writesFound: 0, batchConfirmAcknowledged: false, batchFinishMs: 0 };
  const running = new Set<AppProcess>();
  let probes: Server;
  let probeCount = 0;

  const launch = (data: string, env: Record<string, string> = {}): Promise<AppProcess> =>
    launchApp(bundle, { DATA_DIR: data, POST_MIGRATE_COMMANDS: POST_MIGRATE, HEALTH_CHECK_ALLOW_HOSTS: '127.0.0.1', ...env }, running);
  const must = mustApi;

  beforeAll(async () => {
    // The distribution's health check probes this server (every site healthy); it counts the probes.
    probes = createServer((_req, res) => {
      probeCount += 1;
      res.end('<html>ok</html>');
    });
    await new Promise<void>((resolve) => probes.listen(0, '127.0.0.1', resolve));
    dir = await makeTempDir('distro-crash-');
    bundle = bundleApp('crash-matrix');
    const repo = await createOpenSocialRepo(join(dir, 'upstream'), ['12.3.3']);
    seed = join(dir, 'seed');
    const app = await launch(seed);
    const platformReady = (name: string) => platformBuilt(app, name);
    await must(app, 'POST', '/api/distributions', {
      slug: 'social',
      title: 'Open Social',
      upstream: { kind: 'git', url: repo.url, tagPattern: '12.*', manifestPath: 'composer.lock' },
      policy: {
        pollIntervalMinutes: 0,
        autoTarget: true,
        rollout: { healthCheck: { http: { url: `http://127.0.0.1:${(probes.address() as AddressInfo).port}/{site}`, bodyContains: 'ok', retries: 0 } } },
      },
    });
    await must(app, 'POST', '/api/distributions/social/poll');
    await platformReady(OLD);
    const sites = [...KILL_POINTS.map((k) => k.site), ...BATCH];
    for (const name of sites) await must(app, 'POST', '/api/sites', { name, platform: OLD });
    // POST /api/sites answers 202 and installs in a task: the seed is copied only once every site is installed.
    for (const name of sites) {
      await waitFor(async () => ((await api(app, 'GET', `/api/sites/${name}`)).body as { status?: string } | null)?.status === 'enabled', `${name} to be installed`, 60_000);
    }
    await addVersion(repo, '12.4.2');
    await must(app, 'POST', '/api/distributions/social/poll');
    await platformReady(NEW);
    const d = await must(app, 'GET', '/api/distributions/social');
    platformIds = {
      [OLD]: (await must(app, 'GET', `/api/platforms/${OLD}`)).id as string,
      [NEW]: (await must(app, 'GET', `/api/platforms/${NEW}`)).id as string,
    };
    expect(d.targetPlatformId).toBe(platformIds[NEW]);
    await stopApp(app);
  }, 180_000);

  afterAll(async () => {
    probes?.closeAllConnections();
    probes?.close();
    for (const app of running) app.child.kill('SIGKILL');
    process.stdout.write(
      `[crash matrix] kill points: ${figures.killPoints.length} (${figures.killPoints.join(', ')})\n` +
        `[crash matrix] after the restart is ready: interrupted migration taken over in max ${Math.max(...figures.takeoverMs)} ms (all: ${figures.takeoverMs.join(' ')}); ` +
        `resumed or rolled back to the end in max ${Math.max(...figures.recoveryMs)} ms (all: ${figures.recoveryMs.join(' ')})\n` +
        `[crash matrix] 6-site batch: Confirm acknowledged ${figures.batchConfirmAcknowledged}, all sites final ${figures.batchFinishMs} ms after the restart\n` +
        `[crash matrix] admin writes under load: attempted ${figures.writesAttempted}, acknowledged ${figures.writesAcknowledged}, found after restart ${figures.writesFound}\n`,
    );
    await rm(dir, { recursive: true, force: true });
    await rm(bundle, { force: true });
  });

  const siteDir = (data: string, platform: string, site: string) => join(data, 'platforms', platform, 'sites', site);

  /** Waits until no task is queued or processing; returns how long that took. */
  const settle = async (app: AppProcess): Promise<number> => {
    const started = Date.now();
    try {
      await waitFor(async () => {
        const active = await api(app, 'GET', '/api/tasks?state=queued,processing');
        return active.status === 200 && (active.body as { total: number }).total === 0;
      }, 'every task to reach a final state', 60_000);
    } catch (error) {
      const active = (await must(app, 'GET', '/api/tasks?state=queued,processing')).items as Array<{ id: string }>;
      const logs = await Promise.all(active.map(async (t) => JSON.stringify(await must(app, 'GET', `/api/tasks/${t.id}`))));
      throw new Error(`${(error as Error).message}; still active:\n${logs.join('\n')}\n${app.output.join('').slice(-3000)}`);
    }
    return Date.now() - started;
  };

  /** Waits until the site's migration is final or its log shows this process took it over; returns how long. */
  const takenOver = async (app: AppProcess, site: string): Promise<number> => {
    const started = Date.now();
    await waitFor(async () => {
      const tasks = (await must(app, 'GET', `/api/tasks?site=${site}`)).items as Array<{ id: string; state: string }>;
      if (!tasks.length) return true;
      const detail = await must(app, 'GET', `/api/tasks/${tasks[0]!.id}`);
      return !['queued', 'processing'].includes(detail.state as string) || (detail.log as Array<{ message: string }>).some((l) => l.message.startsWith('Recovered by'));
    }, `the migration of ${site} to be taken over`, 60_000);
    return Date.now() - started;
  };

  /** The invariants for one site, from the outside: task final, record and files agree, no maintenance flag. */
  const checkSite = async (app: AppProcess, data: string, site: string, before: FileTree, expected?: Outcome): Promise<Outcome> => {
    const tasks = (await must(app, 'GET', `/api/tasks?site=${site}`)).items as Array<{ state: string; error: string | null }>;
    expect(tasks.length).toBeGreaterThan(0);
    for (const t of tasks) expect(['succeeded', 'failed', 'cancelled']).toContain(t.state);
    for (const t of tasks) expect(t.error ?? '').not.toMatch(/needs attention/);
    const record = await must(app, 'GET', `/api/sites/${site}`);
    expect(record.status).toBe('enabled');
    const [onOld, onNew] = [await pathExists(siteDir(data, OLD, site)), await pathExists(siteDir(data, NEW, site))];
    expect([onOld, onNew].filter(Boolean)).toHaveLength(1);
    const where = onOld ? OLD : NEW;
    expect(record.platformId).toBe(platformIds[where]);
    const tree = await readTree(siteDir(data, where, site));
    expect(tree['.maintenance']).toBeUndefined();
    if (where === OLD) {
      expect(tree).toEqual(before);
    } else {
      // Post-migrated: the same files, only site.json names the new platform.
      expect(Object.keys(tree)).toEqual(Object.keys(before));
      expect(Object.keys(before).filter((p) => before[p] !== tree[p])).toEqual(['site.json']);
      expect(JSON.parse(await readFile(join(siteDir(data, where, site), 'site.json'), 'utf8')).platform).toBe(NEW);
    }
    const outcome: Outcome = where === NEW ? 'succeeded' : 'failed';
    if (expected && outcome !== expected) {
      const detail = await must(app, 'GET', `/api/tasks/${(tasks[0] as unknown as { id: string }).id}`);
      const log = (detail.log as Array<{ message: string }>).map((l) => l.message).join('\n  ');
      throw new Error(`${site}: expected ${expected}, got ${outcome}; task log:\n  ${log}`);
    }
    return outcome;
  };

  const upgrade = async (app: AppProcess, scope: unknown): Promise<boolean> => {
    const plan = await must(app, 'POST', '/api/upgrades', { scope });
    const confirm = await api(app, 'POST', `/api/upgrades/${plan.id as string}/confirm`);
    return confirm.status === 202;
  };

  const lane = async (index: number, points: KillPoint[]) => {
    const data = join(dir, `lane-${index}`);
    const crashFile = join(dir, `lane-${index}.crash-at`);
    await cp(seed, data, { recursive: true, verbatimSymlinks: true });
    await writeFile(crashFile, '');
    let app = await launch(data, { DISTRO_TEST_CRASH_FILE: crashFile });
    for (const k of points) {
      const before = await readTree(siteDir(data, OLD, k.site));
      if (!k.point.includes(' ')) await writeFile(crashFile, k.point);
      await upgrade(app, { kind: 'site', name: k.site });
      const signal = await exitSignal(app, 60_000);
      expect({ point: k.point, signal }).toEqual({ point: k.point, signal: 'SIGKILL' });
      figures.killPoints.push(k.point);
      await writeFile(crashFile, '');
      app = await launch(data, { DISTRO_TEST_CRASH_FILE: crashFile });
      figures.takeoverMs.push(await takenOver(app, k.site));
      figures.recoveryMs.push(await settle(app));
      await checkSite(app, data, k.site, before, k.expect);
      if (k.postMigrateRuns !== undefined) {
        const runs = (await readFile(join(data, `post-migrate-runs-${k.site}`), 'utf8')).trim().split('\n');
        expect({ site: k.site, runs: runs.length }).toEqual({ site: k.site, runs: k.postMigrateRuns });
      }
    }
    await stopApp(app);
  };

  /** A 6-site batch killed at an arbitrary instant, mid-flight: every site ends whole on one platform. */
  const batchLane = async () => {
    const data = join(dir, 'batch');
    await cp(seed, data, { recursive: true, verbatimSymlinks: true });
    const app = await launch(data);
    // The batch is the platform's sites: leave only the slow ones on it.
    for (const k of KILL_POINTS) expect((await api(app, 'DELETE', `/api/sites/${k.site}`)).status).toBe(204);
    const before = Object.fromEntries(await Promise.all(BATCH.map(async (s) => [s, await readTree(siteDir(data, OLD, s))] as const)));
    const plan = await must(app, 'POST', '/api/upgrades', { scope: { kind: 'platform', name: OLD } });
    const confirmed = await api(app, 'POST', `/api/upgrades/${plan.id as string}/confirm`);
    figures.batchConfirmAcknowledged = confirmed.status === 202;
    expect(confirmed.status).toBe(202);
    // Mid-batch: some sites moving, some in post-migrate (a second each), some waiting for a slot.
    await new Promise((resolve) => setTimeout(resolve, 400));
    app.child.kill('SIGKILL');
    await app.exited;
    figures.killPoints.push('mid-batch (400 ms after the 202)');
    const again = await launch(data);
    figures.batchFinishMs = await settle(again);
    // The acknowledged Confirm survived: all six were scheduled and ran.
    expect(((await must(again, 'GET', `/api/upgrades/${plan.id as string}`)).taskIds as string[]).length).toBe(BATCH.length);
    for (const site of BATCH) await checkSite(again, data, site, before[site]!);
    await stopApp(again);
  };

  /** Concurrent admin writes (8 writers) killed after 60 acknowledgements: every acknowledged one is there after. */
  const writesLane = async () => {
    const data = join(dir, 'writes');
    await cp(seed, data, { recursive: true, verbatimSymlinks: true });
    const app = await launch(data);
    const acknowledged: string[] = [];
    let attempted = 0;
    let killed = false;
    const writer = async (w: number) => {
      for (let i = 0; !killed; i++) {
        const slug = `w${w}-${i}`;
        attempted += 1;
        const res = await api(app, 'POST', '/api/distributions', { slug, title: `Load ${slug}` });
        if (res.status === 0) return;
        if (res.status !== 201) throw new Error(`write ${slug} → ${res.status}`);
        acknowledged.push(slug);
        if (acknowledged.length >= 60 && !killed) {
          killed = true;
          app.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)));
    expect(await app.exited).toBe('SIGKILL');
    figures.killPoints.push('admin writes under load');
    const again = await launch(data);
    let found = 0;
    for (const slug of acknowledged) if ((await api(again, 'GET', `/api/distributions/${slug}`)).status === 200) found += 1;
    Object.assign(figures, { writesAttempted: attempted, writesAcknowledged: acknowledged.length, writesFound: found });
    expect(found).toBe(acknowledged.length);
    await stopApp(again);
  };

  test(`kill -9 at ${KILL_POINTS.length} named points, mid-batch and under write load: recovered, byte-identical, records agree`, async () => {
    const lanes = Array.from({ length: LANES }, (_, i) => KILL_POINTS.filter((_, j) => j % LANES === i));
    await Promise.all([...lanes.map((points, i) => lane(i, points)), batchLane(), writesLane()]);
    expect(figures.killPoints).toHaveLength(KILL_POINTS.length + 2);
    // Every succeeded migration was probed (more than once where a kill fell inside the health check).
    expect(probeCount).toBeGreaterThanOrEqual(KILL_POINTS.filter((k) => k.expect === 'succeeded').length);
    // Each interrupted migration was taken over at once on restart and ended within seconds, not after a lease
    // timeout (15 s); the bounds are generous for a loaded machine, the figures are printed.
    expect(Math.max(...figures.takeoverMs)).toBeLessThan(10_000);
    expect(Math.max(...figures.recoveryMs)).toBeLessThan(20_000);
  }, 300_000);
});
