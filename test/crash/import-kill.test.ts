/**
 * A fleet import killed with SIGKILL halfway through its apply (DISTRO_TEST_CRASH_AT point `import.apply.half`,
 * after half the sites are written inside the transaction): after the restart none of the import is there — no
 * site, no audit entry — and the same import applied again writes all of it, once.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { api, bundleApp, launchApp, stopApp, type AppProcess } from '../support/app-process.js';
import { makeFleetOnDisk } from '../support/fleet-fixture.js';
import { createOpenSocialRepo, makeTempDir } from '../support/git-fixtures.js';
import { waitFor } from '../support/wait.js';

const VERSION = '12.3.3';
const PLATFORM = `social-${VERSION}`;
const SITES = 60;

describe('fleet import: kill -9 during apply', () => {
  let dir: string;
  let data: string;
  let bundle: string;
  let crashFile: string;
  const running = new Set<AppProcess>();
  const launch = (): Promise<AppProcess> => launchApp(bundle, { DATA_DIR: data, DISTRO_TEST_CRASH_FILE: crashFile }, running);

  beforeAll(async () => {
    dir = await makeTempDir('distro-import-crash-');
    data = join(dir, 'data');
    crashFile = join(dir, 'crash-at');
    await writeFile(crashFile, '');
    bundle = bundleApp('import-crash');
    const repo = await createOpenSocialRepo(join(dir, 'upstream'), [VERSION]);
    const app = await launch();
    await api(app, 'POST', '/api/distributions', {
      slug: 'social',
      title: 'Open Social',
      upstream: { kind: 'git', url: repo.url, tagPattern: '12.*', manifestPath: 'composer.lock' },
      policy: { pollIntervalMinutes: 0, autoTarget: true },
    });
    await api(app, 'POST', '/api/distributions/social/poll');
    await waitFor(async () => ((await api(app, 'GET', `/api/platforms/${PLATFORM}`)).body as { status?: string } | null)?.status === 'ready', 'the platform to be built', 120_000);
    await stopApp(app);
  }, 180_000);

  afterAll(async () => {
    for (const app of running) app.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    await rm(bundle, { force: true });
  });

  test('killed halfway: nothing of the import after the restart; applied again, all of it once', async () => {
    const fleet = await makeFleetOnDisk(data, [VERSION], SITES);
    const body = { format: 'drush-json', content: fleet.aliasesJson };
    await writeFile(crashFile, 'import.apply.half');
    const app = await launch();
    const preview = await api(app, 'POST', '/api/import', body);
    expect((preview.body as { counts: { create: number } }).counts.create).toBe(SITES);
    // The process kills itself inside the transaction: no answer comes (the helper reports status 0).
    expect((await api(app, 'POST', '/api/import?apply=true', body)).status).toBe(0);
    expect(await app.exited).toBe('SIGKILL');

    await writeFile(crashFile, '');
    const again = await launch();
    expect((await api(again, 'GET', '/api/sites?limit=1')).body).toMatchObject({ total: 0 });
    expect(((await api(again, 'GET', '/api/audit?action=fleet.import')).body as { items: unknown[] }).items).toEqual([]);
    const applied = await api(again, 'POST', '/api/import?apply=true', body);
    expect(applied.status).toBe(201);
    expect((applied.body as { counts: { created: number } }).counts.created).toBe(SITES);
    expect((await api(again, 'GET', '/api/sites?limit=1')).body).toMatchObject({ total: SITES });
    expect(((await api(again, 'GET', '/api/audit?action=fleet.import')).body as { items: unknown[] }).items).toHaveLength(1);
    await stopApp(again);
  }, 120_000);
});
