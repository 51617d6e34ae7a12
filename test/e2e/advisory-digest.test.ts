/**
 * The weekly advisory digest (policy.advisoryDigest) in the product as `npm start` composes it: the worker's
 * recurring `advisories.digest` job, the real advisory feed (a local git repository with a real snapshot), the
 * notifier's real WebClient against the recording Slack stand-in, and the admin API refusing a bad schedule with
 * a 400 naming the field. The digest lists what is still exposed (sites an event does not announce again) and
 * what would fix it, once per scheduled day however often the job runs.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ADVISORY_DIGEST_JOB } from '../../src/domain/jobs.js';
import { SqliteJobQueue } from '../../src/jobs/sqlite-queue.js';
import { createAdvisoryFeedRepo } from '../support/advisory-feed-repo.js';
import { openSocialBuild } from '../support/fixtures.js';
import { makeTempDir } from '../support/git-fixtures.js';
import { startProduct, type ProductServer } from '../support/product-server.js';
import { ADMIN } from '../support/seed.js';
import { blockText, buttonsOf, startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in.js';
import { waitFor } from '../support/wait.js';

const CHANNEL = 'C0DIGEST';
let dir: string;
let slack: SlackStandIn;
let product: ProductServer;

beforeAll(async () => {
  dir = await makeTempDir('distro-advisory-digest-');
  const feed = await createAdvisoryFeedRepo(dir);
  // The first snapshot is a baseline: announced to nobody, so only the digest tells what it exposes.
  await feed.commitSnapshot('2024-01-31');
  slack = await startSlackStandIn();
  product = await startProduct({
    ADVISORY_FEED_URL: feed.url,
    ADVISORY_FEED_BRANCH: '9.x',
    ALLOW_LOCAL_UPSTREAMS: 'true',
    ADVISORY_POLL_MINUTES: '0',
    SLACK_BOT_TOKEN: 'xoxb-digest-test',
    SLACK_SIGNING_SECRET: 'digest-signing-secret-0123456789',
    SLACK_API_URL: slack.apiUrl,
  });
  const { services, repos } = product.app;
  await waitFor(async () => (await services.advisories.feedStatus())[0]?.snapshot != null, 'the snapshot to be in force');
  await services.distributions.create({ slug: 'social', title: 'Open Social 12', channel: CHANNEL, policy: { pollIntervalMinutes: 0, autoTarget: false } }, ADMIN);
  const ids: Record<string, string> = {};
  for (const version of ['12.0.5', '12.4.2']) {
    const build = openSocialBuild(version);
    ids[version] = (await services.platforms.register({ name: `social-${version}`, distribution: 'social', ref: version, commit: build.commit, files: build.files }, ADMIN)).id;
  }
  // A newer build that fixes swiftmailer, not (yet) the target.
  const base = openSocialBuild('12.4.2');
  const lock = base.files['composer.lock']!.replace(/("name": "drupal\/swiftmailer",\s*"version": ")2\.3\.0"/, '$12.5.0"');
  expect(lock).not.toBe(base.files['composer.lock']);
  await services.platforms.register({ name: 'social-12.4.3', distribution: 'social', ref: '12.4.3', commit: 'e'.repeat(40), files: { ...base.files, 'composer.lock': lock } }, ADMIN);
  await services.distributions.setTarget('social', 'social-12.4.2', ADMIN);
  // Hand-registered platforms have no files to install into: the sites go straight into the store.
  for (const name of ['a.example.org', 'b.example.org']) await repos.sites.create({ name, platformId: ids['12.0.5']!, modules: [] });
  await repos.sites.create({ name: 'f.example.org', platformId: ids['12.4.2']!, modules: [] });
});

afterAll(async () => {
  await product?.stop();
  await slack?.close();
  await rm(dir, { recursive: true, force: true });
});

const patch = (body: unknown) =>
  fetch(`${product.url}/api/distributions/social`, {
    method: 'PATCH',
    headers: { host: 'localhost', 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
/** A schedule whose hour has just begun, so the digest is due now (for the next hour). */
const dueNow = (): string => {
  const now = new Date();
  return `${DAYS[now.getUTCDay()]} ${String(now.getUTCHours()).padStart(2, '0')}:${String(now.getUTCMinutes()).padStart(2, '0')} UTC`;
};

const digests = () => slack.callsTo('chat.postMessage').filter((c) => String(c.args.text).startsWith('Weekly security digest'));

describe('weekly advisory digest', () => {
  test('a bad schedule is a 400 naming the field; nothing changes', async () => {
    const bad = await patch({ policy: { advisoryDigest: 'Someday 09:00 UTC' } });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { issues: string[] } };
    expect(body.error.issues).toEqual([expect.stringMatching(/^policy\.advisoryDigest: "Someday" is not a day/)]);
    const late = await patch({ policy: { advisoryDigest: 'Mon 25:00 Mars/Olympus' } });
    expect(late.status).toBe(400);
    expect(((await late.json()) as { error: { issues: string[] } }).error.issues).toEqual([expect.stringMatching(/^policy\.advisoryDigest: "25:00" is not a time/)]);
    expect((await product.app.services.distributions.get('social')).policy.advisoryDigest ?? null).toBeNull();
  });

  test('the recurring job posts what is still exposed and what would fix it, once per scheduled day', async () => {
    const jobs = product.app.jobs as SqliteJobQueue;
    // Declared by the worker's start, like every recurring job.
    expect((await jobs.list(ADVISORY_DIGEST_JOB)).length).toBeGreaterThanOrEqual(1);
    expect(digests()).toEqual([]);

    const ok = await patch({ policy: { advisoryDigest: dueNow() } });
    expect(ok.status).toBe(200);
    await jobs.enqueue(ADVISORY_DIGEST_JOB, {});
    const posted = await slack.waitFor((c) => c.method === 'chat.postMessage' && String(c.args.text).startsWith('Weekly security digest'), 'the digest');
    expect(posted.args.channel).toBe(CHANNEL);
    const text = blockText(posted.args.blocks);
    expect(text).toContain('3 sites of Open Social 12 still exposed');
    expect(text).toContain('`drupal/core` 10.0.11: 2 sites; the target `social-12.4.2` fixes it');
    expect(text).toContain('`drupal/swiftmailer` 2.3.0: 3 sites; `social-12.4.3` fixes it (not the target yet)');
    // a and b also need swiftmailer, which the target does not fix: nothing to review yet.
    expect(buttonsOf(posted.args.blocks).some((b) => b.action_id === 'distro_review_upgrades')).toBe(false);

    // The job runs several times within the hour: the digest is not repeated.
    await jobs.enqueue(ADVISORY_DIGEST_JOB, {});
    await waitFor(async () => (await jobs.list(ADVISORY_DIGEST_JOB)).filter((j) => j.recurringKey === null).every((j) => j.state === 'done'), 'the second run');
    await product.app.notifier!.idle();
    expect(digests()).toHaveLength(1);

    // With 12.4.3 as the target, every exposed site can move: the digest offers Review upgrades.
    await product.app.services.distributions.setTarget('social', 'social-12.4.3', ADMIN);
    const [later] = await product.app.services.advisories.startDigests(new Date(Date.now() + 7 * 24 * 3_600_000));
    expect(later).toMatch(/^advisory-digest:/);
    const next = await slack.waitFor((c) => c.method === 'chat.postMessage' && digests().length === 2 && c === digests()[1], 'next week\'s digest');
    expect(blockText(next.args.blocks)).toContain('`drupal/swiftmailer` 2.3.0: 3 sites; the target `social-12.4.3` fixes it');
    expect(JSON.stringify(next.args.blocks)).toContain('Review upgrades (3 sites)');
  });
});
