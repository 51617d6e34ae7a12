/**
 * Site installs under kill -9: the real app in a child process kills itself at each named point of an install
 * (src/lib/crash-point.ts), is restarted, and is checked from the outside only: the acknowledged site (202) ends
 * enabled with its files, its task succeeded, and no half-built copy is left next to it.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { api, bundleApp, launchApp, stopApp, type AppProcess } from '../support/app-process.js';
import { createOpenSocialRepo, makeTempDir } from '../support/git-fixtures.js';
import { waitFor } from '../support/wait.js';

const PLATFORM = 'social-12.3.3';
const POINTS = ['install:begun', 'install:built', 'install:files', 'install:enabled'] as const;

describe('site install: kill -9 at every step', () => {
  let dir: string;
  let data: string;
  let bundle: string;
  let crashFile: string;
  const running = new Set<AppProcess>();

  const launch = (): Promise<AppProcess> => launchApp(bundle, { DATA_DIR: data, DISTRO_TEST_CRASH_FILE: crashFile }, running);

  const must = async (app: AppProcess, method: string, path: string, body?: unknown) => {
    const res = await api(app, method, path, body);
    if (res.status < 200 || res.status > 299) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as Record<string, unknown>;
  };

  const sitesDir = () => join(data, 'platforms', PLATFORM, 'sites');

  beforeAll(async () => {
    dir = await makeTempDir('distro-install-crash-');
    data = join(dir, 'data');
    crashFile = join(dir, 'crash-at');
    await writeFile(crashFile, '');
    bundle = bundleApp('install-crash');
    const repo = await createOpenSocialRepo(join(dir, 'upstream'), ['12.3.3']);
    const app = await launch();
    await must(app, 'POST', '/api/distributions', {
      slug: 'social',
      title: 'Open Social',
      upstream: { kind: 'git', url: repo.url, tagPattern: '12.*', manifestPath: 'composer.lock' },
      policy: { pollIntervalMinutes: 0, autoTarget: true },
    });
    await must(app, 'POST', '/api/distributions/social/poll');
    await waitFor(async () => ((await api(app, 'GET', `/api/platforms/${PLATFORM}`)).body as { status?: string } | null)?.status === 'ready', 'the platform to be built', 120_000);
    await stopApp(app);
  }, 180_000);

  afterAll(async () => {
    for (const app of running) app.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    await rm(bundle, { force: true });
  });

  test.each(POINTS.map((point, i) => [point, `install-${i + 1}.example.org`]))(
    'killed at %s: after the restart %s is enabled with its files, its task succeeded, nothing half-built left',
    async (point, site) => {
      await writeFile(crashFile, point);
      const app = await launch();
      const accepted = await api(app, 'POST', '/api/sites', { name: site, platform: PLATFORM });
      // The 202 is the acknowledgement: the record and its install task are committed before it is sent.
      expect(accepted.status).toBe(202);
      expect(await app.exited).toBe('SIGKILL');

      await writeFile(crashFile, '');
      const again = await launch();
      const installTasks = async () =>
        ((await must(again, 'GET', `/api/tasks?site=${site}`)).items as Array<{ type: string; state: string }>).filter((t) => t.type === 'install');
      await waitFor(async () => (await installTasks()).every((t) => !['queued', 'processing'].includes(t.state)), `${site}'s install to end`, 60_000);
      expect((await installTasks()).map((t) => t.state)).toEqual(['succeeded']);
      expect((await must(again, 'GET', `/api/sites/${site}`)).status).toBe('enabled');
      const siteFile = JSON.parse(await readFile(join(sitesDir(), site, 'site.json'), 'utf8')) as { name: string; platform: string };
      expect(siteFile).toMatchObject({ name: site, platform: PLATFORM });
      expect((await readdir(sitesDir())).filter((e) => e.startsWith('.installing-'))).toEqual([]);
      await stopApp(again);
    },
    120_000,
  );
});
