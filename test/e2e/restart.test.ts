/**
 * The embedded default survives a restart: work recorded in the database whose job was lost or cut off (a build
 * cut off mid-way, a confirmed migration whose job was never enqueued) is picked up again when the app starts.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildApp, type DistroApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { embeddedStore } from '../support/embedded.js';
import { createOpenSocialRepo, makeTempDir, type GitFixtureRepo } from '../support/git-fixtures.js';
import { waitFor } from '../support/wait.js';

describe('restart of the embedded default', () => {
  let dir: string;
  let repo: GitFixtureRepo;
  let app: DistroApp | null = null;

  beforeAll(async () => {
    dir = await makeTempDir('distro-restart-');
    repo = await createOpenSocialRepo(join(dir, 'upstream'), ['12.4.1']);
  });
  afterAll(async () => {
    await app?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('an interrupted build and a queued migration are resumed at start', async () => {
    const dataDir = join(dir, 'data');
    // State as a killed process leaves it: a platform marked building, a migrate task queued.
    await mkdir(dataDir, { recursive: true });
    const { repos: before } = embeddedStore(join(dataDir, 'distro.db'));
    const d = await before.distributions.create({
      slug: 'social', title: 'Social', upstream: { kind: 'git', url: repo.url, tagPattern: '12.*', manifestPath: 'composer.lock' },
      policy: { pollIntervalMinutes: 0, autoTarget: false },
    });
    const building = await before.platforms.create({
      name: 'social-12.4.1', distributionId: d.id, source: { ref: '12.4.1', commit: repo.commits['12.4.1']! }, createdBy: { kind: 'poll' }, status: 'building',
    });
    const old = await before.platforms.create({
      name: 'social-old', distributionId: d.id, source: { ref: 'old', commit: 'f'.repeat(40) }, createdBy: { kind: 'poll' }, status: 'ready',
    });
    const site = await before.sites.create({ name: 'a.example.org', platformId: old.id });
    const task = await before.tasks.create({
      type: 'migrate', subject: { kind: 'site', id: site.id, name: site.name }, fromPlatformId: old.id, toPlatformId: building.id, requestedBy: { kind: 'system' },
    });
    await before.close();

    app = await buildApp(loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', ALLOW_LOCAL_UPSTREAMS: 'true' }), { logger: silentLogger() });
    await app.start();
    const repos = app.repos;
    await waitFor(async () => (await repos.platforms.get(building.id))!.status === 'ready', 'the interrupted build to finish', 60_000);
    const built = (await repos.platforms.get(building.id))!;
    expect(built.buildLog[0]).toMatch(/interrupted by a restart/);
    expect(built.manifest.packages.find((p) => p.name === 'goalgorilla/open_social')?.version).toBe('12.4.1');
    // The queued migration was run: this site has no files on disk, so it is refused and rolled back, never left queued.
    await waitFor(async () => !['queued', 'processing'].includes((await repos.tasks.get(task.id))!.state), 'the queued migration to run', 60_000);
    expect((await repos.tasks.get(task.id))!.state).toBe('failed');
    expect((await repos.sites.get(site.id))!).toMatchObject({ platformId: old.id, status: 'enabled' });
  }, 120_000);
});
