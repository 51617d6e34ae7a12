/**
 * Announcements only when something changed for us (issue 18 item 7), over the nine real weekly snapshots of the
 * Drupal advisory map (test/fixtures/drupal-security-advisories/history, what changed at each step in its
 * README.txt) polled through the real git feed reader, real Open Social platforms and sites in the embedded store,
 * and the real Slack WebClient against the recording stand-in.
 *
 * What each event should announce is computed here, independently of the production code: the fixtures' own
 * composer.lock files and snapshot JSON, read with a small composer-constraint reader of this test's own (it
 * refuses any constraint form it does not know, so it cannot agree by accident). A site is newly exposed by a step
 * when a package it runs (narrowed by its enabled modules when known) is covered by the step's constraint and was
 * not by the previous snapshot's.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { GitAdvisoryFeed } from '../../src/upstream/advisory-feeds.js';
import { ADVISORY_HISTORY, advisorySnapshot, createAdvisoryFeedRepo, type AdvisoryFeedRepo } from '../support/advisory-feed-repo.js';
import { openSocialBuild } from '../support/fixtures.js';
import { makeTempDir } from '../support/git-fixtures.js';
import { blockText, type SlackCall } from '../support/slack-stand-in.js';
import { CHANNEL, startSlackHarness, type Harness } from './slack-harness.js';

// ---------------------------------------------------------------- the test's own composer constraint reader

const STABILITY: Record<string, number> = { alpha: 1, beta: 2, rc: 3 };
interface V {
  nums: number[];
  /** 0 dev (a bound's lowest point), 1 alpha, 2 beta, 3 rc, 4 stable. */
  stability: number;
  n: number;
  explicit: boolean;
}

const readVersion = (text: string): V => {
  const m = /^v?(\d+(?:\.\d+){0,3})(?:-(alpha|beta|rc)(\d+))?$/i.exec(text);
  if (!m) throw new Error(`the test's reader does not know the version form ${text}`);
  const nums = m[1]!.split('.').map(Number);
  while (nums.length < 4) nums.push(0);
  return { nums, stability: m[2] ? STABILITY[m[2].toLowerCase()]! : 4, n: m[3] ? Number(m[3]) : 0, explicit: Boolean(m[2]) };
};

const compare = (a: V, b: V): number => {
  for (let i = 0; i < 4; i++) if (a.nums[i] !== b.nums[i]) return a.nums[i]! - b.nums[i]!;
  return a.stability - b.stability || a.n - b.n;
};

/** Whether the constraint (`|` alternatives of `,` terms: `<x`, `<=x`, `>x`, `>=x`, `x`) covers the version. */
const covers = (constraint: string | undefined, version: string): boolean => {
  if (constraint === undefined) return false;
  const v = readVersion(version);
  return constraint.split('|').some((alternative) =>
    alternative.split(',').every((raw) => {
      const m = /^(<=|>=|<|>|==|=)?\s*(\S+)$/.exec(raw.trim());
      if (!m) throw new Error(`the test's reader does not know the term ${raw}`);
      const op = m[1] ?? '=';
      const bound = readVersion(m[2]!);
      // Composer: `<1.16` and `>=1.16` without a stability word mean "before/from 1.16's first dev release".
      if ((op === '<' || op === '>=') && !bound.explicit) bound.stability = 0;
      const c = compare(v, bound);
      return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : op === '>=' ? c >= 0 : c === 0;
    }),
  );
};

const conflictOf = (date: string): Record<string, string> => (JSON.parse(advisorySnapshot(date)) as { conflict: Record<string, string> }).conflict;

interface Locked {
  name: string;
  version: string;
  type: string;
}
const lockOf = (version: string): Locked[] => {
  const lock = JSON.parse(openSocialBuild(version).files['composer.lock']!) as { packages: Locked[]; 'packages-dev'?: Locked[] };
  return [...lock.packages, ...(lock['packages-dev'] ?? [])];
};

/** A module project matters to a site only when the site enables it (or a submodule); anything else always. */
const matters = (p: Locked, modules: string[] | null): boolean => {
  if (!modules || p.type !== 'drupal-module' || !p.name.startsWith('drupal/')) return true;
  const project = p.name.slice('drupal/'.length);
  return modules.some((m) => m === project || m.startsWith(`${project}_`));
};

// ---------------------------------------------------------------- the fleet

const VERSIONS = ['12.0.5', '12.2.0', '12.3.3', '12.4.1', '12.4.2'];
const TARGET = '12.4.2';
const SITES: Record<string, string[]> = {
  '12.0.5': ['a.example.org', 'b.example.org'],
  '12.2.0': ['h.example.org'],
  '12.3.3': ['c.example.org', 'd.example.org', 'e.example.org'],
  '12.4.1': ['i.example.org'],
  '12.4.2': ['f.example.org'],
};
/** Sites whose enabled modules are known (created in the store directly, as an imported site would be). */
const WITH_MODULES: Record<string, { version: string; modules: string[] }> = {
  'g.example.org': { version: '12.3.3', modules: ['social_core', 'node', 'views'] },
  'j.example.org': { version: '12.0.5', modules: ['social_core', 'swiftmailer', 'group', 'group_content_menu'] },
};
const fleet: Array<{ site: string; version: string; modules: string[] | null }> = [
  ...Object.entries(SITES).flatMap(([version, names]) => names.map((site) => ({ site, version, modules: null }))),
  ...Object.entries(WITH_MODULES).map(([site, w]) => ({ site, version: w.version, modules: w.modules })),
];

/** Independently: the sites a step newly exposes, the packages doing it, and whether the target fixes them. */
const expected = (previous: string, current: string): { sites: string[]; packages: string[]; fixed: boolean } => {
  const before = conflictOf(previous);
  const after = conflictOf(current);
  const sites = new Set<string>();
  const packages = new Set<string>();
  for (const { site, version, modules } of fleet) {
    for (const p of lockOf(version)) {
      if (!matters(p, modules)) continue;
      if (covers(after[p.name], p.version) && !covers(before[p.name], p.version)) {
        sites.add(site);
        packages.add(p.name);
      }
    }
  }
  const target = lockOf(TARGET);
  const fixed = [...packages].every((name) => !target.some((p) => p.name === name && covers(after[name], p.version)));
  return { sites: [...sites].sort(), packages: [...packages].sort(), fixed };
};

// ---------------------------------------------------------------- the replay

let h: Harness;
let feedRepo: AdvisoryFeedRepo;
let dir: string;

beforeAll(async () => {
  dir = await makeTempDir('distro-newly-exposed-');
  feedRepo = await createAdvisoryFeedRepo(dir);
  const feed = new GitAdvisoryFeed({ url: feedRepo.url, branch: feedRepo.branch, maxBytes: 5 * 1024 * 1024, cacheDir: join(dir, 'cache'), allowLocalUpstreams: true });
  h = await startSlackHarness({ seed: { versions: VERSIONS, sites: SITES, channel: CHANNEL, target: TARGET }, advisoryFeeds: [feed] });
  for (const [name, w] of Object.entries(WITH_MODULES)) {
    const platform = await h.services.platforms.get(`social-${w.version}`);
    await h.repos.sites.create({ name, platformId: platform.id, modules: w.modules });
  }
});

afterAll(async () => {
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

const SITE_NAME = /\b[a-z]\.example\.org\b/g;

describe('replaying nine real weekly advisory snapshots: each event announces exactly the sites it newly exposes', () => {
  test('every step, in order', async () => {
    const steps: string[] = [];
    let announcedEvents = 0;
    for (const [i, date] of ADVISORY_HISTORY.entries()) {
      await feedRepo.commitSnapshot(date);
      const before = new Set(h.slack.calls);
      const [outcome] = await h.services.advisories.poll();
      await h.settle();
      expect(outcome?.outcome).toBe('event');
      const posts: SlackCall[] = h.slack.calls.filter((c) => !before.has(c) && c.method === 'chat.postMessage');
      if (i === 0) {
        // The first snapshot is a baseline: every package would be "new".
        expect(posts).toEqual([]);
        continue;
      }
      const want = expected(ADVISORY_HISTORY[i - 1]!, date);
      steps.push(`${date}: ${want.sites.length ? want.sites.join(' ') : '-'}`);
      if (!want.sites.length) {
        expect({ date, posts: posts.length }).toEqual({ date, posts: 0 });
        continue;
      }
      announcedEvents++;
      expect({ date, posts: posts.length }).toEqual({ date, posts: 1 });
      const text = blockText(posts[0]!.args.blocks);
      expect({ date, sites: [...new Set(text.match(SITE_NAME))].sort() }).toEqual({ date, sites: want.sites });
      expect(text).toContain(`${want.sites.length === 1 ? '1 site' : `${want.sites.length} sites`} of Open Social 12 newly exposed`);
      for (const name of want.packages) expect(text).toContain(`\`${name}\``);
      expect({ date, fixed: text.includes(`The target \`social-${TARGET}\` fixes it.`) }).toEqual({ date, fixed: want.fixed });
    }
    // The history really exercises both sides: quiet events, and events that expose some sites but not all
    // (sites already exposed to the same package are not named again).
    expect(announcedEvents).toBeGreaterThanOrEqual(3);
    expect(steps.some((s) => s.endsWith(': -'))).toBe(true);
    const everExposed = new Set(steps.flatMap((s) => s.split(': ')[1]!.split(' ')).filter((s) => s !== '-'));
    expect(everExposed.size).toBeGreaterThan(Math.max(...steps.map((s) => s.split(': ')[1]!.split(' ').length)));
    // The sites stay exposed (the exposure listing still has them): they were just not announced again.
    const rows = (await h.services.advisories.exposure({}, { limit: 100, offset: 0 })).items.map((r) => r.site.name);
    for (const site of everExposed) expect(rows).toContain(site);
  });
});
