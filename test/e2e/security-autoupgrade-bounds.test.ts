/**
 * Automation with bounds (issue 21 item 4), on real parts: a local git advisory feed (the real 2023-12-06 and
 * 2024-01-17 snapshots, plus constraints added the way the feed adds them), real Open Social platforms and sites
 * in the embedded store, the services Confirm and rollouts go through, and the real Slack WebClient against the
 * recording stand-in. With policy.security.autoUpgrade on:
 * - a rollout of the same sites that is paused holds them for a person (said in the announcement);
 * - at most one automatic rollout per distribution is in flight;
 * - an event that changes too many packages, or newly covers too much of a platform, needs review;
 * - a person's rollout is a security rollout only when its Compare fixes an advisory exposing its sites.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ACTIONS } from '../../src/slack/blocks/kit.js';
import { GitAdvisoryFeed } from '../../src/upstream/advisory-feeds.js';
import { advisorySnapshot, createAdvisoryFeedRepo, type AdvisoryFeedRepo } from '../support/advisory-feed-repo.js';
import { openSocialBuild } from '../support/fixtures.js';
import { makeTempDir } from '../support/git-fixtures.js';
import { ADMIN } from '../support/seed.js';
import { blockText, buttonsOf, type SlackCall } from '../support/slack-stand-in.js';
import { CHANNEL, startSlackHarness, type Harness } from './slack-harness.js';

let h: Harness;
let feedRepo: AdvisoryFeedRepo;
let dir: string;
let conflict: Record<string, string>;

const page = { limit: 50, offset: 0 };

const mapOf = (date: string): Record<string, string> => (JSON.parse(advisorySnapshot(date)) as { conflict: Record<string, string> }).conflict;
const lockOf = (version: string): Record<string, string> => {
  const lock = JSON.parse(openSocialBuild(version).files['composer.lock']!) as { packages: Array<{ name: string; version: string }> };
  return Object.fromEntries(lock.packages.map((p) => [p.name, p.version]));
};

/** Publishes `conflict` as the feed's next commit, polls it, and returns the announcement posted in the channel. */
const publish = async (): Promise<SlackCall[]> => {
  await feedRepo.commit(JSON.stringify({ name: 'drupal/core-security-advisories', conflict }, null, 2), 'update');
  const before = new Set(h.slack.calls);
  const [outcome] = await h.services.advisories.poll();
  expect(outcome).toMatchObject({ outcome: 'event' });
  await h.settle();
  return h.slack.calls.filter((c) => !before.has(c) && c.method === 'chat.postMessage' && !c.args.thread_ts);
};

const rollouts = async () => (await h.services.rollouts.list({}, page)).items;

beforeAll(async () => {
  dir = await makeTempDir('distro-auto-bounds-');
  feedRepo = await createAdvisoryFeedRepo(dir);
  const feed = new GitAdvisoryFeed({ url: feedRepo.url, branch: feedRepo.branch, maxBytes: 5 * 1024 * 1024, cacheDir: join(dir, 'cache'), allowLocalUpstreams: true });
  h = await startSlackHarness({
    seed: { versions: ['12.0.5', '12.3.3', '12.4.2'], sites: { '12.0.5': ['a.example.org', 'b.example.org'], '12.3.3': ['d.example.org'] }, channel: CHANNEL },
    advisoryFeeds: [feed],
  });
  await h.services.distributions.update('social', { policy: { security: { autoUpgrade: true, skipWindows: true } } }, ADMIN);
  // The baseline: an initial event, announced as nothing.
  conflict = mapOf('2023-12-06');
  expect(await publish()).toEqual([]);
});

afterAll(async () => {
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('policy.security.autoUpgrade within bounds', () => {
  test('the bounds are validated with the rest of the policy, naming the field', async () => {
    await expect(h.services.distributions.update('social', { policy: { security: { maxEventPackages: 0, maxCoveredFraction: 2 } } }, ADMIN)).rejects.toMatchObject({
      issues: ['policy.security.maxEventPackages: a whole number from 1 to 100000', 'policy.security.maxCoveredFraction: a fraction above 0, at most 1 (0.2 = 20%)'],
    });
  });

  test('a paused rollout of the same sites holds them: the event waits for a person, and says so', async () => {
    // A person's upgrade of d, confirmed and paused.
    const view = await h.services.upgrades.propose({ kind: 'site', name: 'd.example.org' }, ADMIN);
    const { view: confirmed } = await h.services.upgrades.confirm(view.plan.id, ADMIN);
    const paused = await h.services.rollouts.pause(String(confirmed.rollout!.number), ADMIN);
    expect(paused.state).toBe('paused');

    // The feed now covers core 10.2.5 (d's platform, 12.3.3); the target (10.2.6) fixes it.
    conflict = { ...conflict, 'drupal/core': `${conflict['drupal/core']}|10.2.5` };
    const before = await rollouts();
    const [post, ...more] = await publish();
    expect(more).toEqual([]);
    const text = blockText(post!.args.blocks);
    expect(text).toContain('1 site of Open Social 12 newly exposed');
    expect(text).toContain('d.example.org');
    expect(text).toContain(`Not started automatically: rollout #${paused.number} of these sites is paused; it waits for a person`);
    expect(buttonsOf(post!.args.blocks).some((b) => b.action_id === ACTIONS.reviewUpgrades)).toBe(true);
    expect(await rollouts()).toHaveLength(before.length);
  });

  test('one automatic rollout per distribution in flight: a second event waits for it', async () => {
    // The real 2024-01-17 update (core now covers 10.0.11: a and b), keeping the 10.2.5 coverage.
    conflict = { ...mapOf('2024-01-17'), 'drupal/core': `${mapOf('2024-01-17')['drupal/core']}|10.2.5` };
    const [first] = await publish();
    const started = (await rollouts()).find((r) => r.security?.automatic)!;
    expect(started.waves.flatMap((w) => w.sites.map((s) => s.siteName)).sort()).toEqual(['a.example.org', 'b.example.org']);
    expect(blockText(first!.args.blocks)).toContain(`Started automatically: rollout #${started.number}`);
    expect(['scheduled', 'running']).toContain(started.state);

    // search_api 1.29.0 (12.0.5) is now covered too; the target's 1.31.0 is not.
    conflict = { ...conflict, 'drupal/search_api': `${conflict['drupal/search_api']}|>=1.28,<1.31` };
    const count = (await rollouts()).length;
    const [second] = await publish();
    const text = blockText(second!.args.blocks);
    expect(text).toContain('2 sites of Open Social 12 newly exposed');
    expect(text).toMatch(new RegExp(`Not started automatically: automatic rollout #${started.number} of \`social\` is still (scheduled|running) \\(one at a time\\)`));
    expect(buttonsOf(second!.args.blocks).some((b) => b.action_id === ACTIONS.reviewUpgrades)).toBe(true);
    expect(await rollouts()).toHaveLength(count);
    await h.services.rollouts.cancel(String(started.number), ADMIN);
  });

  test('an event changing more packages than maxEventPackages needs review', async () => {
    // 60 packages nobody runs, and profile 1.7.0 / 1.8.0 (12.0.5, 12.3.3; the target has 1.10.0).
    const extra = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`drupal/zz_unused_${i}`, '<1.0']));
    conflict = { ...conflict, ...extra, 'drupal/profile': `${conflict['drupal/profile']}|>=1.7,<1.10` };
    const count = (await rollouts()).length;
    const [post] = await publish();
    const text = blockText(post!.args.blocks);
    expect(text).toContain('Needs review: not started automatically because the advisory update changes 61 packages, more than 50 (policy.security.maxEventPackages)');
    expect(buttonsOf(post!.args.blocks).some((b) => b.action_id === ACTIONS.reviewUpgrades)).toBe(true);
    expect(await rollouts()).toHaveLength(count);
  });

  test('an event newly covering more than maxCoveredFraction of a platform\'s locked packages needs review', async () => {
    await h.services.distributions.update('social', { policy: { security: { autoUpgrade: true, skipWindows: true, maxEventPackages: 1000, maxCoveredFraction: 0.1 } } }, ADMIN);
    // Every package 12.0.5 locks at a version the target does not, as an exact version the feed does not list yet.
    const old = lockOf('12.0.5');
    const target = lockOf('12.4.2');
    const added = Object.keys(old).filter((n) => target[n] && target[n] !== old[n] && !Object.hasOwn(conflict, n));
    expect(added.length / Object.keys(old).length).toBeGreaterThan(0.1);
    expect(added.length).toBeLessThan(1000);
    conflict = { ...conflict, ...Object.fromEntries(added.map((n) => [n, old[n]!])) };
    const count = (await rollouts()).length;
    const [post] = await publish();
    const text = blockText(post!.args.blocks);
    expect(text).toMatch(new RegExp(`Needs review: not started automatically because it newly covers \\d+ of the ${Object.keys(old).length} packages social-12\\.0\\.5 locks, more than 10% \\(policy\\.security\\.maxCoveredFraction\\)`));
    expect(await rollouts()).toHaveLength(count);
  });

  test('a person\'s rollout is a security rollout only when its Compare fixes an advisory exposing its sites', async () => {
    // A build like the target but with search_api 1.29.0 (covered): moving fixes search_api and nothing else.
    const base = openSocialBuild('12.4.2');
    const lock = base.files['composer.lock']!.replace(/("name": "drupal\/search_api",\s*"version": ")1\.31\.0"/, '$11.29.0"');
    expect(lock).not.toBe(base.files['composer.lock']);
    const p = await h.services.platforms.register({ name: 'social-12.4.2-s', distribution: 'social', ref: '12.4.2-s', commit: 'c'.repeat(40), files: { ...base.files, 'composer.lock': lock } }, ADMIN);
    await h.repos.sites.create({ name: 'x.example.org', platformId: p.id, modules: ['social_core', 'node'] });
    await h.repos.sites.create({ name: 'y.example.org', platformId: p.id, modules: ['social_core', 'search_api'] });

    const x = await h.services.upgrades.propose({ kind: 'site', name: 'x.example.org' }, ADMIN);
    // The Compare shows the fix, but x does not enable search_api: not a security rollout.
    expect(x.groups[0]!.compare.counts.securityFixes).toBe(1);
    expect((await h.services.upgrades.confirm(x.plan.id, ADMIN)).view.rollout!.security).toBeNull();
    const y = await h.services.upgrades.propose({ kind: 'site', name: 'y.example.org' }, ADMIN);
    expect((await h.services.upgrades.confirm(y.plan.id, ADMIN)).view.rollout!.security).toEqual({ advisoryEventId: null, automatic: false });
  });
});

describe('one automatic rollout per distribution in flight, also when two events are acted on at once', () => {
  test('two events exposing the same fixable sites, delivered concurrently, start one rollout', async () => {
    // The search_api update (a and b, fixed by the target) as two events delivered at once.
    const [event] = (await h.services.advisories.listEvents({ package: 'drupal/search_api' })).items;
    const [assessment] = await h.services.advisories.assessEvent(event!);
    // (y, registered since on a build with search_api 1.29.0, is in it too; its own rollout keeps it busy.)
    expect(assessment!.platforms.flatMap((r) => r.sites.map((s) => s.name))).toEqual(expect.arrayContaining(['a.example.org', 'b.example.org']));
    expect((await rollouts()).filter((r) => r.security?.automatic && ['scheduled', 'running', 'paused'].includes(r.state))).toEqual([]);
    const outcomes = await Promise.all(
      ['e1', 'e2'].map((n) => h.services.securityUpgrades.act({ ...assessment!, event: { ...event!, id: n.padEnd(24, '0') } })),
    );
    expect(outcomes.map((o) => o?.kind).sort()).toEqual(['in-flight', 'started']);
    const inFlight = (await rollouts()).filter((r) => r.security?.automatic && ['scheduled', 'running', 'paused'].includes(r.state));
    expect(inFlight).toHaveLength(1);
  });
});
