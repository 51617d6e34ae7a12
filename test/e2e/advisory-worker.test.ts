/**
 * The product as `npm start` composes it: the worker polls the advisory feed configured by ADVISORY_FEED_URL (a
 * local git repository here, allowed by ALLOW_LOCAL_UPSTREAMS) through the `advisories.poll` job, and the snapshot
 * in force shows on GET /api/exposure. Without ALLOW_LOCAL_UPSTREAMS the same URL is refused, with the reason.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { ADVISORY_POLL_JOB } from '../../src/domain/jobs.js';
import { SqliteJobQueue } from '../../src/jobs/sqlite-queue.js';
import { createAdvisoryFeedRepo, type AdvisoryFeedRepo } from '../support/advisory-feed-repo.js';
import { openSocialBuild } from '../support/fixtures.js';
import { ADMIN } from '../support/seed.js';
import { makeTempDir } from '../support/git-fixtures.js';
import { startProduct } from '../support/product-server.js';
import { waitFor } from '../support/wait.js';

let dir: string;
let repo: AdvisoryFeedRepo;
beforeAll(async () => {
  dir = await makeTempDir('distro-advisory-worker-');
  repo = await createAdvisoryFeedRepo(dir);
  await repo.commitSnapshot('2024-10-23');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const exposure = async (url: string) => {
  const res = await fetch(`${url}/api/exposure`, { headers: { host: 'localhost' } });
  return (await res.json()) as { feeds: Array<{ label: string; snapshot: { commit: string; packages: number } | null; lastError: string | null }> };
};

test('the worker polls the configured feed at start and the snapshot is in force', async () => {
  const product = await startProduct({ ADVISORY_FEED_URL: repo.url, ADVISORY_FEED_BRANCH: '9.x', ALLOW_LOCAL_UPSTREAMS: 'true', ADVISORY_POLL_MINUTES: '0' });
  try {
    await waitFor(async () => (await exposure(product.url)).feeds[0]?.snapshot !== null, 'the advisory snapshot to be in force');
    const [feed] = (await exposure(product.url)).feeds;
    expect(feed).toMatchObject({ snapshot: { packages: 248 }, lastError: null });
    expect(feed!.label).toContain('branch 9.x');
    const jobs = product.app.jobs as SqliteJobQueue;
    expect((await jobs.list(ADVISORY_POLL_JOB)).length).toBe(1);
  } finally {
    await product.stop();
  }
});

test('a local feed URL without ALLOW_LOCAL_UPSTREAMS is refused, and the reason is shown', async () => {
  const product = await startProduct({ ADVISORY_FEED_URL: repo.url, ADVISORY_POLL_MINUTES: '0' });
  try {
    await waitFor(async () => (await exposure(product.url)).feeds[0]?.lastError !== null, 'the refusal to be recorded');
    const [feed] = (await exposure(product.url)).feeds;
    expect(feed!.snapshot).toBeNull();
    expect(feed!.lastError).toMatch(/ALLOW_LOCAL_UPSTREAMS|file/);
  } finally {
    await product.stop();
  }
});

test('without Slack a distribution with policy.security.autoUpgrade still starts its security rollout, audited as system', async () => {
  const feed = await createAdvisoryFeedRepo(await makeTempDir('distro-advisory-noslack-'));
  await feed.commitSnapshot('2023-12-06');
  const product = await startProduct({ ADVISORY_FEED_URL: feed.url, ADVISORY_FEED_BRANCH: '9.x', ALLOW_LOCAL_UPSTREAMS: 'true', ADVISORY_POLL_MINUTES: '0' });
  const { services, repos } = product.app;
  try {
    expect(product.app.notifier).toBeNull();
    await waitFor(async () => (await services.advisories.feedStatus())[0]?.snapshot != null, 'the baseline snapshot to be in force');
    await services.distributions.create({ slug: 'social', title: 'Open Social', policy: { pollIntervalMinutes: 0, autoTarget: false, security: { autoUpgrade: true } } }, ADMIN);
    const platforms: Record<string, string> = {};
    for (const version of ['12.0.5', '12.4.2']) {
      const build = openSocialBuild(version);
      platforms[version] = (await services.platforms.register({ name: `social-${version}`, distribution: 'social', ref: version, commit: build.commit, files: build.files }, ADMIN)).id;
    }
    await services.distributions.setTarget('social', 'social-12.4.2', ADMIN);
    // Seeded straight into the store: these hand-registered platforms have no files to install sites into.
    for (const name of ['a.example.org', 'b.example.org']) await repos.sites.create({ name, platformId: platforms['12.0.5']!, modules: [] });
    const distribution = await services.distributions.get('social');
    expect((await services.rollouts.list({ distributionId: distribution.id }, { limit: 10, offset: 0 })).total).toBe(0);

    // 2024-01-17: drupal/core, which 12.0.5 locks at a covered version and 12.4.2 fixes.
    await feed.commitSnapshot('2024-01-17');
    await services.advisories.poll();
    await waitFor(async () => (await services.rollouts.list({ distributionId: distribution.id }, { limit: 10, offset: 0 })).total === 1, 'the automatic rollout');
    const [rollout] = (await services.rollouts.list({ distributionId: distribution.id }, { limit: 10, offset: 0 })).items;
    expect(rollout!.security).toMatchObject({ automatic: true });
    expect(rollout!.waves.flatMap((w) => w.sites.map((s) => s.siteName)).sort()).toEqual(['a.example.org', 'b.example.org']);
    const audit = await services.audit.list({ action: ['upgrade.confirm'] }, { limit: 10 });
    expect(audit.items.map((e) => [e.source, e.details['automatic']])).toEqual([['system', true]]);

    // Polling again (nothing new) or a restart's catch-up starts no second one.
    await services.advisories.poll();
    for (const event of await services.advisories.unannounced()) await services.advisories.deliver(event.id, () => null, async () => '', services.securityUpgrades.act);
    expect((await services.rollouts.list({ distributionId: distribution.id }, { limit: 10, offset: 0 })).total).toBe(1);
  } finally {
    await product.stop();
  }
});
