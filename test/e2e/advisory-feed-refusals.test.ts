/**
 * Bad feed data is refused with a clear notice and the last good snapshot stays in force; an event committed while
 * no announcement could go out is announced once after a restart, never twice.
 */
import { truncate, writeFile } from 'node:fs/promises';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { FileAdvisoryFeed, GitAdvisoryFeed } from '../../src/upstream/advisory-feeds.js';
import { createAdvisoryFeedRepo, advisorySnapshot, type AdvisoryFeedRepo } from '../support/advisory-feed-repo.js';
import { makeTempDir } from '../support/git-fixtures.js';
import { blockText } from '../support/slack-stand-in.js';
import { CHANNEL, startSlackHarness, type Harness } from './slack-harness.js';

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir('distro-advisory-refusals-');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const SITES = { '12.0.5': ['a.example.org', 'b.example.org'], '12.4.2': ['f.example.org'] };

describe('a git feed with bad commits', () => {
  let h: Harness;
  let repo: AdvisoryFeedRepo;
  beforeAll(async () => {
    repo = await createAdvisoryFeedRepo(join(dir, 'git'));
    const feed = new GitAdvisoryFeed({ url: repo.url, branch: '9.x', maxBytes: 1024 * 1024, cacheDir: join(dir, 'git-cache'), allowLocalUpstreams: true });
    h = await startSlackHarness({ seed: { versions: ['12.0.5', '12.4.2'], sites: SITES, channel: CHANNEL }, advisoryFeeds: [feed], slack: { defaultChannel: 'C0DEFAULT' } });
    await repo.commitSnapshot('2024-01-17');
    expect((await h.services.advisories.poll())[0]).toMatchObject({ outcome: 'event' });
    await h.settle();
  });
  afterAll(() => h?.close());

  const inForce = async () => (await h.services.advisories.feedStatus())[0]!;

  test.each([
    ['invalid JSON', '{"conflict": {"drupal/core": "<8.0"', 'is not valid JSON'],
    ['a constraint that does not parse', JSON.stringify({ conflict: { 'drupal/core': '<10.9', 'drupal/views': '>=1.0,<=' } }), 'has a constraint that does not parse: drupal/views'],
    ['a prototype key', '{"conflict": {"__proto__": "<1.0"}}', '__proto__'],
    ['no conflict map', '{"name": "x"}', 'has no `conflict` map'],
    ['too many alternatives in one constraint', JSON.stringify({ conflict: { 'drupal/core': Array.from({ length: 2001 }, (_, i) => `1.0.${i}`).join('|') } }), 'more than 2000 alternatives in one constraint'],
    ['too many alternatives in all', JSON.stringify({ conflict: Object.fromEntries(Array.from({ length: 26 }, (_, p) => [`drupal/m${p}`, Array.from({ length: 2000 }, (_, i) => `1.${i}`).join('|')])) }), 'more than 50000 alternatives in all'],
    ['a feed over the size limit', JSON.stringify({ conflict: { 'drupal/core': '<1.0' }, pad: 'x'.repeat(1100 * 1024) }), 'is too large (1.1 MB; the limit is 1.0 MB)'],
  ])('%s is refused with a notice; the last good snapshot stays in force', async (_what, text, notice) => {
    const good = await inForce();
    const bad = await repo.commit(text, 'bad');
    const before = new Set(h.slack.calls);
    const [outcome] = await h.services.advisories.poll();
    await h.settle();
    expect(outcome).toMatchObject({ outcome: 'refused' });
    expect(outcome!.outcome === 'refused' && outcome!.notice).toContain(notice);
    const after = await inForce();
    expect(after.snapshot).toEqual(good.snapshot);
    expect(after.lastError).toContain(notice);
    // Said once in the default channel; the exposure of the last good snapshot still holds.
    const posts = h.slack.calls.filter((c) => !before.has(c) && c.method === 'chat.postMessage');
    expect(posts.map((c) => c.args.channel)).toEqual(['C0DEFAULT']);
    expect(blockText(posts[0]!.args.blocks)).toContain(notice);
    expect((await h.services.advisories.exposure()).items.map((r) => r.site.name)).toEqual(['a.example.org', 'b.example.org']);
    expect(bad).toMatch(/^[0-9a-f]{40}$/);
    // The same refusal at the next poll is not said again.
    const again = new Set(h.slack.calls);
    expect((await h.services.advisories.poll())[0]).toMatchObject({ outcome: 'refused' });
    await h.settle();
    expect(h.slack.calls.filter((c) => !again.has(c))).toEqual([]);
    // A good commit after it is taken again and clears the notice.
    await repo.commitSnapshot('2024-01-17');
    expect((await h.services.advisories.poll())[0]!.outcome).toBe('same-map');
    expect((await inForce()).lastError).toBeNull();
  });
});

describe('an operator file', () => {
  test('a 50 MB file is refused from its size, before it is read', async () => {
    const path = join(dir, 'big.json');
    await writeFile(path, '{"conflict": {}}');
    await truncate(path, 50 * 1024 * 1024);
    const feed = new FileAdvisoryFeed({ path, maxBytes: 5 * 1024 * 1024 });
    await expect(feed.read({})).rejects.toThrow('is too large (50.0 MB; the limit is 5.0 MB)');
  });

  test('a changed file is a new snapshot; the same content is unchanged', async () => {
    const path = join(dir, 'own.json');
    await writeFile(path, advisorySnapshot('2024-01-17'));
    const feed = new FileAdvisoryFeed({ path, maxBytes: 5 * 1024 * 1024 });
    const first = await feed.read({});
    expect(first.unchanged).toBe(false);
    expect((await feed.read(first.state)).unchanged).toBe(true);
    await writeFile(path, advisorySnapshot('2024-01-31'));
    expect((await feed.read(first.state)).unchanged).toBe(false);
  });
});

describe('announcements across a restart', () => {
  test('an event committed while nobody announced is announced once by recovery, and not again', async () => {
    const repo = await createAdvisoryFeedRepo(join(dir, 'restart'));
    const feed = new GitAdvisoryFeed({ url: repo.url, branch: '9.x', maxBytes: 5 * 1024 * 1024, cacheDir: join(dir, 'restart-cache'), allowLocalUpstreams: true });
    const h = await startSlackHarness({ seed: { versions: ['12.0.5', '12.4.2'], sites: SITES, channel: CHANNEL }, advisoryFeeds: [feed] });
    try {
      await repo.commitSnapshot('2023-12-06');
      await h.services.advisories.poll();
      await h.settle();
      // The process "dies" between the commit and the announcement: no notifier is listening.
      h.notifier.stop();
      const seen = new Set(h.slack.calls);
      const posts = () => h.slack.callsTo('chat.postMessage').filter((c) => !seen.has(c));
      await repo.commitSnapshot('2024-01-17');
      const [outcome] = await h.services.advisories.poll();
      expect(outcome!.outcome).toBe('event');
      expect(posts()).toEqual([]);
      expect((await h.services.advisories.unannounced()).map((e) => e.id)).toEqual([outcome!.outcome === 'event' ? outcome!.event.id : '']);

      // The next start recovers it: one post; a second recovery posts nothing.
      await h.notifier.recover();
      await h.notifier.idle();
      expect(posts().map((c) => blockText(c.args.blocks))).toEqual([expect.stringContaining('2 sites of Open Social 12 newly exposed')]);
      await h.notifier.recover();
      await h.notifier.idle();
      expect(posts()).toHaveLength(1);
      expect(await h.services.advisories.unannounced()).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
