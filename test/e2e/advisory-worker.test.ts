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
