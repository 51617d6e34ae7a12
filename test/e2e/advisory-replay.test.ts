/**
 * Security advisories drive the fleet, end to end on real parts: a local git repository whose commits are the nine
 * real weekly snapshots of the Drupal conflict map (2023-07-12 … 2024-10-23), polled through the real git feed
 * reader (ls-remote, shallow fetch), real Open Social platforms and sites in the embedded store, and the real Slack
 * WebClient against the recording stand-in. Each step announces exactly the sites it should, and nothing when
 * none of our packages is affected.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { FeedPollOutcome } from '../../src/services/advisory-service.js';
import { GitAdvisoryFeed } from '../../src/upstream/advisory-feeds.js';
import { ACTIONS } from '../../src/slack/blocks/kit.js';
import { ADVISORY_HISTORY, createAdvisoryFeedRepo, type AdvisoryFeedRepo } from '../support/advisory-feed-repo.js';
import { openSocialBuild } from '../support/fixtures.js';
import { makeTempDir } from '../support/git-fixtures.js';
import { ADMIN } from '../support/seed.js';
import { blockText, buttonsOf, type SlackCall } from '../support/slack-stand-in.js';
import { CHANNEL, startSlackHarness, type Harness } from './slack-harness.js';

let h: Harness;
let feedRepo: AdvisoryFeedRepo;
let dir: string;

/** Sites per platform version; `g` has its modules known and none of them is swiftmailer. */
const SITES = { '12.0.5': ['a.example.org', 'b.example.org'], '12.3.3': ['c.example.org', 'd.example.org', 'e.example.org'], '12.4.2': ['f.example.org'] };

beforeAll(async () => {
  dir = await makeTempDir('distro-advisories-');
  feedRepo = await createAdvisoryFeedRepo(dir);
  const feed = new GitAdvisoryFeed({ url: feedRepo.url, branch: feedRepo.branch, maxBytes: 5 * 1024 * 1024, cacheDir: join(dir, 'cache'), allowLocalUpstreams: true });
  h = await startSlackHarness({ seed: { versions: ['12.0.5', '12.3.3', '12.4.2'], sites: SITES, channel: CHANNEL }, advisoryFeeds: [feed], slack: { defaultChannel: 'C0DEFAULT' } });
  const onOld = await h.services.platforms.get('social-12.3.3');
  // Created after the target locked 12.3.3: straight into the store, as an imported site would be.
  await h.repos.sites.create({ name: 'g.example.org', platformId: onOld.id, modules: ['social_core', 'node', 'views'] });
});

afterAll(async () => {
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Pushes one snapshot, polls, waits for the notifier; returns the poll outcome and the top-level posts it made. */
const step = async (date: string): Promise<{ outcome: FeedPollOutcome; posts: SlackCall[] }> => {
  await feedRepo.commitSnapshot(date);
  const before = new Set(h.slack.calls);
  const [outcome] = await h.services.advisories.poll();
  await h.settle();
  return { outcome: outcome!, posts: h.slack.calls.filter((c) => !before.has(c) && c.method === 'chat.postMessage') };
};

describe('replaying nine real weekly advisory snapshots', () => {
  const announced: Record<string, SlackCall> = {};

  test('2023-07-12 … 2023-12-06: the first snapshot is a baseline, and events touching none of our locked versions are quiet', async () => {
    const first = await step(ADVISORY_HISTORY[0]!);
    expect(first.outcome).toMatchObject({ outcome: 'event', event: { initial: true } });
    expect(first.outcome.outcome === 'event' && first.outcome.event.changes).toHaveLength(197);
    expect(first.posts).toEqual([]);
    for (const date of ['2023-07-26', '2023-09-20', '2023-11-08', '2023-12-06']) {
      const { outcome, posts } = await step(date);
      expect(outcome.outcome).toBe('event');
      expect(posts).toEqual([]);
    }
    // 2023-09-20 changed drupal/core, but no locked core version of ours falls in the new ranges.
    const events = await h.services.advisories.listEvents({ package: 'drupal/core' });
    expect(events.items.map((e) => e.at <= new Date() && e.changes.some((c) => c.name === 'drupal/core'))).toEqual([true, true]);
  });

  test('2024-01-17 drupal/core: the two sites on 12.0.5 (core 10.0.11) are announced, and the target fixes it', async () => {
    const { outcome, posts } = await step('2024-01-17');
    expect(outcome.outcome).toBe('event');
    expect(posts).toHaveLength(1);
    const text = blockText(posts[0]!.args.blocks);
    expect(posts[0]!.args.channel).toBe(CHANNEL);
    expect(text).toContain('2 sites of Open Social 12 newly exposed');
    expect(text).toContain('`drupal/core` 10.0.11');
    expect(text).toContain('`social-12.0.5`: 2 sites');
    expect(text).not.toContain('social-12.3.3');
    expect(text).toContain('The target `social-12.4.2` fixes it.');
    expect(buttonsOf(posts[0]!.args.blocks).find((b) => b.action_id === ACTIONS.reviewUpgrades)).toMatchObject({ value: 'social' });
    expect(JSON.stringify(posts[0]!.args.blocks)).toContain('Review upgrades (2 sites)');
    announced['2024-01-17'] = posts[0]!;
    // policy.security.autoUpgrade is off (the default): nothing was started, and the announcement says nothing of it.
    expect((await h.services.rollouts.list({}, { limit: 10, offset: 0 })).total).toBe(0);
    expect(text).not.toContain('Started automatically');

    // Compare summaries show the fix and link it to this advisory update.
    const eventId = outcome.outcome === 'event' ? outcome.event.id : '';
    const compare = await h.command('compare social-12.0.5 social-12.4.2');
    const text2 = blockText(compare.reply.args.blocks);
    expect(text2).toMatch(/\*Security fixes:\* [^\n]*`drupal\/core` 10\.0\.11 → 10\.2\.6 \(<https:\/\/distro\.example\.org\/advisories\/([0-9a-f]+)\?exp=\d+&sig=[\w-]+\|advisory>\)/);
    expect(text2).toContain(`/advisories/${eventId}?`);
  });

  test('2024-01-31 drupal/social and drupal/swiftmailer: 6 sites (not g, which does not enable swiftmailer), no build fixes it yet', async () => {
    const { outcome, posts } = await step('2024-01-31');
    expect(outcome.outcome === 'event' && outcome.event.changes.map((c) => c.name)).toEqual(
      expect.arrayContaining(['drupal/social', 'drupal/swiftmailer']),
    );
    expect(posts).toHaveLength(1);
    const text = blockText(posts[0]!.args.blocks);
    expect(text).toContain('6 sites of Open Social 12 newly exposed');
    expect(text).toContain('`drupal/swiftmailer` 2.3.0');
    expect(text).not.toContain('drupal/social`'); // Open Social is goalgorilla/open_social: drupal/social is not ours
    expect(text).toContain('`social-12.3.3`: 3 sites');
    expect(text).toContain('`social-12.0.5`: 2 sites');
    expect(text).toContain('`social-12.4.2`: 1 site');
    expect(text).toContain('No platform of this distribution fixes it yet');
    expect(buttonsOf(posts[0]!.args.blocks).some((b) => b.action_id === ACTIONS.reviewUpgrades)).toBe(false);
    announced['2024-01-31'] = posts[0]!;
  });

  test('a later build that fixes it gets a follow-up in the announcement thread, once', async () => {
    const base = openSocialBuild('12.4.2');
    const lock = base.files['composer.lock']!.replace(/("name": "drupal\/swiftmailer",\s*"version": ")2\.3\.0"/, '$12.5.0"');
    expect(lock).not.toBe(base.files['composer.lock']);
    const before = new Set(h.slack.calls);
    await h.services.platforms.register(
      { name: 'social-12.4.3', distribution: 'social', ref: '12.4.3', commit: 'f'.repeat(40), files: { ...base.files, 'composer.lock': lock } },
      ADMIN,
    );
    await h.services.distributions.setTarget('social', 'social-12.4.3', ADMIN);
    await h.settle();
    const threaded = h.slack.calls.filter((c) => !before.has(c) && c.method === 'chat.postMessage' && c.args.thread_ts);
    expect(threaded).toHaveLength(1);
    expect(threaded[0]!.args.thread_ts).toBe(announced['2024-01-31']!.response.ts);
    expect(blockText(threaded[0]!.args.blocks)).toContain('`social-12.4.3` fixes this advisory and is the upgrade target of `social`.');
    expect(JSON.stringify(threaded[0]!.args.blocks)).toContain('Review upgrades (6 sites)');
    // The 2024-01-17 announcement was already fixed by its target: no follow-up there.
    expect(threaded.some((c) => c.args.thread_ts === announced['2024-01-17']!.response.ts)).toBe(false);

    // Another target change does not repeat it.
    const again = new Set(h.slack.calls);
    await h.services.distributions.setTarget('social', 'social-12.4.2', ADMIN);
    await h.services.distributions.setTarget('social', 'social-12.4.3', ADMIN);
    await h.settle();
    expect(h.slack.calls.filter((c) => !again.has(c) && c.args.thread_ts)).toEqual([]);
  });

  test('2024-10-16 drupal/core: the five sites on core 10.2.x are newly exposed; a and b (10.0.11) were already, and are not announced again', async () => {
    const { posts } = await step('2024-10-16');
    expect(posts).toHaveLength(1);
    const text = blockText(posts[0]!.args.blocks);
    expect(text).toContain('5 sites of Open Social 12 newly exposed');
    expect(text).toContain('`drupal/core` 10.2.5, 10.2.6');
    expect(text).toContain('`social-12.3.3`: 4 sites: c.example.org, d.example.org, e.example.org, g.example.org');
    expect(text).toContain('`social-12.4.2`: 1 site: f.example.org');
    expect(text).not.toContain('social-12.0.5');
    expect(text).not.toContain('a.example.org');
    expect(text).toContain('No platform of this distribution fixes it yet');
  });

  test('2024-10-23: nothing of ours; polling again without a new commit fetches nothing', async () => {
    expect((await step('2024-10-23')).posts).toEqual([]);
    const before = h.slack.calls.length;
    expect(await h.services.advisories.poll()).toEqual([{ source: `git:${feedRepo.url}#9.x`, outcome: 'unchanged' }]);
    await h.settle();
    expect(h.slack.calls.length).toBe(before);
  });

  test('exposure now: every site by its platform, narrowed by known modules', async () => {
    const rows = (await h.services.advisories.exposure({}, { limit: 100, offset: 0 })).items;
    expect(rows.map((r) => r.site.name)).toEqual(['a.example.org', 'b.example.org', 'c.example.org', 'd.example.org', 'e.example.org', 'f.example.org', 'g.example.org']);
    const g = rows.find((r) => r.site.name === 'g.example.org')!;
    expect(g.packages.map((p) => p.name)).toEqual(['drupal/core']);
    const a = rows.find((r) => r.site.name === 'a.example.org')!;
    expect(a.packages.map((p) => p.name)).toEqual(expect.arrayContaining(['drupal/core', 'drupal/swiftmailer']));
    const [summary] = await h.services.advisories.summary('social');
    expect(summary).toMatchObject({ exposedSites: 7, totalSites: 7 });
    expect(summary!.targetExposed.map((p) => p.name)).toContain('drupal/core');
    expect(summary!.targetExposed.map((p) => p.name)).not.toContain('drupal/swiftmailer');
  });

  test('/distro exposure: per distribution, per package, and a bad package name gets the usage', async () => {
    const all = await h.command('exposure');
    const text = blockText(all.reply.args.blocks);
    expect(text).toContain('7 sites of 7 exposed');
    expect(text).toContain('`drupal/core` (7)');
    expect(text).toContain('`drupal/swiftmailer` (6)');
    expect(text).toMatch(/the target `social-12\.4\.3` still has `drupal\/core` 10\.2\.6/);
    expect(text).toContain(`at \`${(await h.repos.advisories.inForce(`git:${feedRepo.url}#9.x`))!.commit.slice(0, 10)}\``);

    const swift = blockText((await h.command('exposure drupal/swiftmailer')).reply.args.blocks);
    expect(swift).toContain('*6 sites* run a covered version of `drupal/swiftmailer`');
    expect(swift).toContain('`social-12.3.3` (`social`): 2.3.0, 3 sites');

    expect(blockText((await h.command('exposure drupal/views')).reply.args.blocks)).toContain('No site runs a version of drupal/views covered by an advisory.');
    expect(blockText((await h.command('exposure social')).reply.args.blocks)).toContain('7 sites of 7 exposed');
    expect(blockText((await h.command('exposure socail')).reply.args.blocks)).toContain('social');
    expect(blockText((await h.command('exposure a/b/c')).reply.args.blocks)).toContain('is not a composer package name');
  });
});
