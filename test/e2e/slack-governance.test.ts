/**
 * Locks, pins and rollback from Slack, through signed requests into the real Bolt app (Slack stand-in): each
 * command's reply, its effect on targets, new sites and upgrade summaries, who may do it, and its audit entry
 * (the Slack user id, surface `slack`).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ACTIONS } from '../../src/slack/blocks/kit.js';
import { ADMIN } from '../support/seed.js';
import { blockText, buttonsOf } from '../support/slack-stand-in.js';
import { ALICE, MALLORY, startSlackHarness, type Harness } from './slack-harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startSlackHarness({
    seed: { sites: { '12.3.3': ['a.example.org', 'b.example.org'], '12.4.1': ['c.example.org'], '12.4.2': ['new.example.org'] } },
    slack: { confirmers: [ALICE.id] },
  });
});

afterAll(async () => {
  await h.close();
});

const reply = async (text: string, user = ALICE): Promise<string> => blockText((await h.command(text, user)).reply.args.blocks);

/** The newest audit entry of `action` made by Alice. */
const lastAudit = async (action: string) => (await h.services.audit.list({ action: [action as never], actorId: ALICE.id }, { limit: 1 })).items[0];

describe('manual locks', () => {
  test('lock with a reason: shown in `show` with who and why; no target, no new site; unlock; all audited from Slack', async () => {
    expect(await reply('lock social-12.4.1 waiting for the security review')).toContain(
      ':lock: `social-12.4.1` is locked: _waiting for the security review_. No new sites may be created on it and it cannot become the upgrade target until `/distro unlock social-12.4.1`.',
    );
    const shown = await reply('show social');
    expect(shown).toMatch(/`social-12\.4\.1`[^\n]*\n\s+:lock: locked by <@U0ALICE> <!date\^\d+\^[^|]+\|[^>]+>: _waiting for the security review_/);

    expect(await reply('target social social-12.4.1')).toContain('Platform `social-12.4.1` is locked by alice (waiting for the security review); unlock it before making it the target.');
    await expect(h.services.sites.create({ name: 'd.example.org', platform: 'social-12.4.2' }, ADMIN)).resolves.toBeDefined();
    await h.services.holds.set('platform', 'social-12.4.2', 'freeze', ADMIN);
    await expect(h.services.sites.create({ name: 'e.example.org', platform: 'social-12.4.2' }, ADMIN)).rejects.toThrow(
      'Platform `social-12.4.2` is locked by hand by admin: freeze. No new sites until it is unlocked.',
    );
    await h.services.holds.clear('platform', 'social-12.4.2', ADMIN);
    // Changes through the services directly are attributed to whoever they name, from the admin API by default.
    expect((await h.services.audit.list({ actorId: 'UADMIN', action: ['platform.lock', 'platform.unlock'] }, { limit: 5 })).items.map((e) => e.action)).toEqual([
      'platform.unlock',
      'platform.lock',
    ]);

    const locked = await lastAudit('platform.lock');
    expect(locked).toMatchObject({ actorId: 'U0ALICE', source: 'slack', subject: { kind: 'platform', name: 'social-12.4.1' }, details: { reason: 'waiting for the security review' } });

    expect(await reply('unlock social-12.4.1')).toContain(':unlock: `social-12.4.1` is no longer locked by hand (it was: _waiting for the security review_)');
    expect(await reply('unlock social-12.4.1')).toContain('is not locked by hand; nothing to undo');
    expect(await lastAudit('platform.unlock')).toMatchObject({ actorId: 'U0ALICE', source: 'slack' });
  });

  test('a lock needs a reason, and only confirmers may lock, pin or roll back', async () => {
    expect(await reply('lock social-12.4.1')).toContain('Say why');
    for (const text of ['lock social-12.4.1 because', 'pin a.example.org because', 'rollback a.example.org']) {
      expect(await reply(text, MALLORY)).toContain('Only <@U0ALICE> may do this.');
    }
    expect(await h.services.holds.get('platform', (await h.services.platforms.get('social-12.4.1')).id)).toBeNull();
  });
});

describe('pins', () => {
  test('a pinned site is held out of upgrades (listed as held, with the reason); a pinned distribution is refused whole', async () => {
    expect(await reply('pin a.example.org waiting for client sign-off')).toContain(':pushpin: `a.example.org` is pinned: _waiting for client sign-off_');
    expect(await reply('upgrade a.example.org')).toContain('`a.example.org` is pinned by alice: waiting for client sign-off. `unpin a.example.org` first.');
    const summary = await h.postSummary('upgrade --platform social-12.3.3');
    expect(summary.text).toContain('Upgrade 1 site to social-12.4.2');
    expect(summary.text).toMatch(/\*Held out \(1\)\*\n:pushpin: pinned by <@U0ALICE> .*: _waiting for client sign-off_ `a\.example\.org`/);
    const plan = await h.repos.plans.get(summary.planId);
    expect(plan!.moves.map((m) => m.siteName)).toEqual(['b.example.org']);

    expect(await reply('pin social holiday freeze')).toContain(':pushpin: `social` is pinned: _holiday freeze_');
    expect(await reply('upgrade --distro social')).toContain('Distribution `social` is pinned by alice: holiday freeze.');
    expect(await reply('unpin social')).toContain('`social` is no longer pinned by hand');
    expect(await reply('unpin a.example.org')).toContain('`a.example.org` is no longer pinned by hand');
    expect(await reply('pin nowhere.example.org because')).toContain('No site named `nowhere.example.org`');

    const actions = (await h.services.audit.list({ actorId: 'U0ALICE', source: ['slack'] }, { limit: 50 })).items.map((e) => `${e.action} ${e.subject.name}`);
    expect(actions).toEqual(expect.arrayContaining(['site.pin a.example.org', 'distribution.pin social', 'distribution.unpin social', 'site.unpin a.example.org']));
  });
});

describe('rollback from Slack', () => {
  test('refused with what to do for a site never migrated', async () => {
    expect(await reply('rollback c.example.org')).toContain('c.example.org has not been migrated by Distro, so there is no platform to go back to.');
  });

  test('a finished summary offers Roll back; the click starts a rollback task per migrated site and is audited', async () => {
    const s = await h.postSummary('upgrade c.example.org');
    await h.click(ACTIONS.confirm, s.planId, s, ALICE);
    await h.updateOf(s.ts, (t) => t.includes('*Confirmed* by <@U0ALICE>'));
    const [taskId] = (await h.repos.plans.get(s.planId))!.taskIds;
    // What the worker records when the migration succeeds (the jobs do not run in this harness).
    const site = (await h.repos.sites.getByName('c.example.org'))!;
    const target = await h.services.platforms.get('social-12.4.2');
    await h.repos.tasks.transition(taskId!, ['queued'], 'processing', { startedAt: new Date() });
    await h.repos.tasks.setStep(taskId!, 'maintenanceOff', { backup: '/backups/c.example.org.tar.gz', backupDigest: 'abc' });
    await h.repos.sites.beginMigration(site.id, site.platformId);
    await h.repos.sites.completeMigration(site.id, target.id, taskId!, new Date());
    await h.repos.tasks.transition(taskId!, ['processing'], 'succeeded', { finishedAt: new Date() });
    await h.services.events.publish({ type: 'task.updated', taskId: taskId!, state: 'succeeded' });
    await h.settle();
    const finished = await h.updateOf(s.ts, (t) => t.includes('*done*'), 'the finished summary');
    const button = buttonsOf(finished.args.blocks).find((b) => b.action_id === ACTIONS.rollbackPlan);
    expect(button).toMatchObject({ value: s.planId, style: 'danger' });
    expect(button!.confirm).toBeDefined();

    const { responseId } = await h.click(ACTIONS.rollbackPlan, s.planId, s, ALICE);
    const text = blockText((await h.replyTo(responseId)).args.blocks);
    const rollback = (await h.services.tasks.recent('c.example.org', 1))[0]!;
    expect(rollback).toMatchObject({ type: 'rollback', state: 'queued', toPlatformId: site.platformId, fromPlatformId: target.id });
    expect(text).toContain(`:rewind: Rolling back 1 site: \`c.example.org\` (#${rollback.number}).`);
    expect(await lastAudit('site.rollback')).toMatchObject({ actorId: 'U0ALICE', source: 'slack', subject: { name: 'c.example.org' }, details: { task: rollback.number } });

    // The same site again (typed this time): refused, naming the queued rollback.
    expect(await reply('rollback c.example.org')).toContain(`c.example.org has a rollback queued (task #${rollback.number}); wait for it to end or cancel it first.`);
    expect(await reply(`cancel ${rollback.number}`)).toContain('is cancelled');
    expect(await lastAudit('task.cancel')).toMatchObject({ actorId: 'U0ALICE', source: 'slack', subject: { name: `#${rollback.number}` } });
    expect(await lastAudit('upgrade.confirm')).toMatchObject({ actorId: 'U0ALICE', source: 'slack', details: { scheduled: 1 } });

    // When a rollback ends (here as the worker would record it), the distribution's channel is told.
    const { task: again } = await h.services.rollbacks.request('c.example.org', ADMIN);
    const seen = new Set(h.slack.calls);
    await h.repos.tasks.transition(again.id, ['queued'], 'processing', { startedAt: new Date() });
    await h.repos.tasks.transition(again.id, ['processing'], 'succeeded', { finishedAt: new Date() });
    await h.services.events.publish({ type: 'task.updated', taskId: again.id, state: 'succeeded' });
    const told = await h.slack.waitFor((c) => !seen.has(c) && c.method === 'chat.postMessage' && blockText(c.args.blocks).includes(':rewind:'), 'the rollback announcement');
    expect(told.args.channel).toBe('C0OPS');
    const said = blockText(told.args.blocks);
    expect(said).toContain(':rewind: `c.example.org` is back on `social-12.4.1` as it was before its migration (<https://distro.example.org/tasks/');
    expect(said).toContain(`|task #${again.number}>, asked by <@UADMIN>).`);
  });
});
