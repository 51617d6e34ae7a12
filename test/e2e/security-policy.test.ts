/**
 * policy.security end to end on real parts: a local git advisory feed replaying the real 2023-12-06 → 2024-01-17
 * snapshots (drupal/core, exposing the two sites on 12.0.5 that the target 12.4.2 fixes), the embedded store,
 * the real notifier and WebClient against the Slack stand-in, and an injected clock outside the maintenance window.
 * The event starts one security rollout of exactly the exposed sites (canary first) outside the window, announced
 * and audited; a crash before the start is picked up by recovery, and replaying never starts a second one; a
 * person's rollout of the same distribution without security fixes still waits for the window.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Rollout } from '../../src/domain/rollout.js';
import { ValidationError } from '../../src/domain/errors.js';
import { ACTIONS } from '../../src/slack/blocks/kit.js';
import { advisoryAnnouncementMessage } from '../../src/slack/blocks/advisory-announcement.js';
import { GitAdvisoryFeed } from '../../src/upstream/advisory-feeds.js';
import { createAdvisoryFeedRepo, type AdvisoryFeedRepo } from '../support/advisory-feed-repo.js';
import { openSocialBuild } from '../support/fixtures.js';
import { makeTempDir } from '../support/git-fixtures.js';
import { ADMIN } from '../support/seed.js';
import { blockText, buttonsOf, type SlackCall } from '../support/slack-stand-in.js';
import { CHANNEL, startSlackHarness, type Harness } from './slack-harness.js';

/** A Wednesday noon; the window is Sunday night, so it is closed. */
const NOW = new Date('2024-01-17T12:00:00Z');
const NEXT_WINDOW = new Date('2024-01-21T01:00:00Z');

let h: Harness;
let feedRepo: AdvisoryFeedRepo;
let dir: string;
let normal: Rollout;

const page = { limit: 50, offset: 0 };
const posts = (since: Set<SlackCall>): SlackCall[] => h.slack.calls.filter((c) => !since.has(c) && c.method === 'chat.postMessage');

beforeAll(async () => {
  dir = await makeTempDir('distro-security-policy-');
  feedRepo = await createAdvisoryFeedRepo(dir);
  const feed = new GitAdvisoryFeed({ url: feedRepo.url, branch: feedRepo.branch, maxBytes: 5 * 1024 * 1024, cacheDir: join(dir, 'cache'), allowLocalUpstreams: true });
  h = await startSlackHarness({
    seed: { versions: ['12.0.5', '12.4.2'], sites: { '12.0.5': ['a.example.org', 'b.example.org'] }, channel: CHANNEL },
    advisoryFeeds: [feed],
    clock: { now: () => NOW },
  });
  // A platform with the target's packages (another build of them): moving its site fixes nothing.
  const base = openSocialBuild('12.4.2');
  const copy = await h.services.platforms.register({ name: 'social-12.4.2-b', distribution: 'social', ref: '12.4.2-b', commit: 'e'.repeat(40), files: base.files }, ADMIN);
  await h.repos.sites.create({ name: 'n.example.org', platformId: copy.id, modules: [] });
  // The baseline snapshot: an initial event, announced as nothing.
  await feedRepo.commitSnapshot('2023-12-06');
  await h.services.advisories.poll();
  await h.settle();
});

afterAll(async () => {
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('policy.security: security rollouts skip windows and start automatically', () => {
  test('the policy is validated like the rest, naming the field, and both settings are off by default', async () => {
    expect((await h.services.distributions.get('social')).policy.security ?? null).toBeNull();
    const refused = h.services.distributions.update('social', { policy: { security: { autoUpgrade: 'yes', later: true } as never } }, ADMIN);
    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(refused).rejects.toMatchObject({
      issues: expect.arrayContaining(['policy.security.autoUpgrade: true or false', expect.stringMatching(/^policy\.security\.later: unknown setting/)]),
    });
    const d = await h.services.distributions.update(
      'social',
      { policy: { security: { autoUpgrade: true, skipWindows: true }, rollout: { waves: { canaries: 1 }, windows: ['Sun 01:00-02:00 UTC'] } } },
      ADMIN,
    );
    expect(d.policy.security).toEqual({ autoUpgrade: true, skipWindows: true });
  });

  test('a person\'s rollout whose Compare shows no security fix waits for the window', async () => {
    const view = await h.services.upgrades.propose({ kind: 'site', name: 'n.example.org' }, ADMIN);
    const { view: confirmed } = await h.services.upgrades.confirm(view.plan.id, ADMIN);
    normal = confirmed.rollout!;
    expect(normal.security).toBeNull();
    expect(normal.waitingUntil).toEqual(NEXT_WINDOW);
    expect(normal.waves[0]).toMatchObject({ state: 'pending', sites: [{ siteName: 'n.example.org', taskId: null }] });
    expect(await h.services.rollouts.advance(normal.id)).toBe('waiting-for-window');
  });

  test('2024-01-17 drupal/core: a crash before the automatic start is picked up by recovery; one rollout of exactly the exposed sites, canary first, outside the window', async () => {
    // The process "dies" between the event's commit and its announcement: nothing reacts to the event.
    h.notifier.stop();
    await feedRepo.commitSnapshot('2024-01-17');
    const [outcome] = await h.services.advisories.poll();
    expect(outcome).toMatchObject({ outcome: 'event' });
    const eventId = outcome!.outcome === 'event' ? outcome!.event.id : '';
    const distribution = await h.services.distributions.get('social');
    expect(await h.repos.rollouts.getAutomatic(eventId, distribution.id)).toBeNull();

    const before = new Set(h.slack.calls);
    await h.notifier.recover();
    await h.settle();

    const rollout = (await h.repos.rollouts.getAutomatic(eventId, distribution.id))!;
    expect(rollout).toMatchObject({ number: normal.number + 1, security: { advisoryEventId: eventId, automatic: true }, createdBy: { kind: 'system' }, waitingUntil: null });
    expect(rollout.waves.map((w) => ({ canary: w.canary, sites: w.sites.map((s) => s.siteName) }))).toEqual([
      { canary: true, sites: ['a.example.org'] },
      { canary: false, sites: ['b.example.org'] },
    ]);
    // The canary wave started although the window is closed; the next wave waits for it, not for the window.
    expect(rollout.waves[0]).toMatchObject({ state: 'running', sites: [{ taskId: expect.any(String) }] });
    expect(rollout.waves[1]!.state).toBe('pending');
    expect(await h.services.rollouts.mayStart(rollout.waves[0]!.sites[0]!.taskId!)).toBe(true);
    expect(await h.services.rollouts.advance(rollout.id)).toBe('idle');
    // The person's rollout of the same distribution still waits.
    expect(await h.services.rollouts.advance(normal.id)).toBe('waiting-for-window');

    const announced = posts(before).filter((c) => !c.args.thread_ts);
    expect(announced).toHaveLength(1);
    const text = blockText(announced[0]!.args.blocks);
    // The rollout's summary is in the announcement's thread, recorded so progress edits reach it.
    const thread = posts(before).filter((c) => c.args.thread_ts === announced[0]!.response.ts);
    expect(thread).toHaveLength(1);
    const summary = blockText(thread[0]!.args.blocks);
    expect(summary).toContain('*Confirmed* by system');
    expect(summary).toContain(`*Rollout ${rollout.number}* · running · wave 1 of 2 (canary)`);
    expect(summary).toMatch(/`a\.example\.org` — queued/);
    expect(await h.services.upgrades.messageOf(rollout.planId)).toEqual({ channel: CHANNEL, ts: thread[0]!.response.ts });
    expect(text).toContain('2 sites of Open Social 12 newly exposed');
    expect(text).toContain(
      `Started automatically: rollout #${rollout.number} of 2 exposed sites (canary first) — security rollouts in this distribution skip maintenance windows.`,
    );
    expect(buttonsOf(announced[0]!.args.blocks).some((b) => b.action_id === ACTIONS.reviewUpgrades)).toBe(false);

    const audit = await h.services.audit.list({ action: ['upgrade.confirm'] }, { limit: 10 });
    const automatic = audit.items.filter((e) => e.details.automatic === true);
    expect(automatic).toHaveLength(1);
    expect(automatic[0]).toMatchObject({
      actorId: 'system',
      source: 'system',
      subject: { kind: 'upgrade', name: 'distribution social' },
      details: { automatic: true, advisoryEvent: eventId, rollout: rollout.number, scheduled: 2, security: true },
    });
  });

  test('replaying the event (recovery again, or acting on it again) starts no second rollout', async () => {
    const [event] = (await h.services.advisories.listEvents({ package: 'drupal/core' }, { limit: 1, offset: 0 })).items;
    const before = new Set(h.slack.calls);
    await h.notifier.recover();
    await h.settle();
    expect(posts(before)).toEqual([]);
    const [assessment] = await h.services.advisories.assessEvent(event!);
    const again = await h.services.securityUpgrades.act(assessment!);
    expect(again).toMatchObject({ kind: 'started', rollout: { number: normal.number + 1 } });
    expect((await h.services.rollouts.list({}, page)).total).toBe(2);
    expect((await h.services.audit.list({ action: ['upgrade.confirm'] }, { limit: 10 })).items.filter((e) => e.details.automatic === true)).toHaveLength(1);
  });

  test('a pinned distribution: nothing starts automatically, and the announcement says why', async () => {
    const [event] = (await h.services.advisories.listEvents({ package: 'drupal/core' }, { limit: 1, offset: 0 })).items;
    await h.services.holds.set('distribution', 'social', 'client freeze until Friday', ADMIN);
    // The same exposure as a new event (another id): the pin is checked before anything is proposed.
    const [assessment] = await h.services.advisories.assessEvent({ ...event!, id: 'f'.repeat(24) });
    const plans = (await h.services.upgrades.list({}, page)).total;
    const outcome = await h.services.securityUpgrades.act(assessment!);
    expect(outcome).toMatchObject({ kind: 'pinned', hold: { reason: 'client freeze until Friday' } });
    expect((await h.services.upgrades.list({}, page)).total).toBe(plans);
    expect((await h.services.rollouts.list({}, page)).total).toBe(2);
    const text = blockText(advisoryAnnouncementMessage(assessment!, null, outcome).blocks);
    expect(text).toContain('Not started automatically: `social` is pinned by admin (client freeze until Friday).');
    expect(JSON.stringify(advisoryAnnouncementMessage(assessment!, null, outcome).blocks)).toContain('Review upgrades (2 sites)');
  });

  test('a person\'s Confirm of a plan whose Compare shows security fixes makes a security rollout: it skips the window too', async () => {
    await h.services.holds.clear('distribution', 'social', ADMIN);
    const [automatic] = (await h.services.rollouts.list({ state: ['running'] }, page)).items.filter((r) => r.security?.automatic);
    await h.services.rollouts.cancel(String(automatic!.number), ADMIN);
    const view = await h.services.upgrades.propose({ kind: 'platform', name: 'social-12.0.5' }, ADMIN);
    expect(view.groups[0]!.compare.counts.securityFixes).toBeGreaterThan(0);
    const { view: confirmed } = await h.services.upgrades.confirm(view.plan.id, ADMIN);
    expect(confirmed.rollout).toMatchObject({ security: { advisoryEventId: null, automatic: false }, createdBy: ADMIN, waitingUntil: null });
    expect(confirmed.rollout!.waves[0]).toMatchObject({ canary: true, state: 'running' });
    const [entry] = (await h.services.audit.list({ action: ['upgrade.confirm'] }, { limit: 1 })).items;
    expect(entry).toMatchObject({ actorId: 'UADMIN', details: { security: true, rollout: confirmed.rollout!.number } });
    expect(entry!.details.automatic).toBeUndefined();
  });
});
