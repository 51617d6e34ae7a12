/**
 * Upgrade flow through Slack: summary → Confirm/Cancel → message updates as tasks progress, with the
 * idempotency, permission and staleness rules, and target-change announcements.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ACTIONS } from '../../src/slack/blocks/kit.js';
import { blockText, buttonsOf, type SlackCall } from '../support/slack-stand-in.js';
import { ALICE, BOB, CHANNEL, MALLORY, nextPost, planIdOf, startSlackHarness, type Harness } from './slack-harness.js';

const SITES = {
  '12.0.0': ['old.example.org'],
  '12.3.3': ['a1.example.org', 'a2.example.org', 'a3.example.org', 'a4.example.org'],
  '12.4.1': ['c.example.org'],
};
const seed = { versions: ['12.0.0', '12.3.3', '12.4.1', '12.4.2'], sites: SITES };

const actionIds = (call: SlackCall): string[] => buttonsOf(call.args.blocks).filter((b) => !b.url).map((b) => b.action_id);
const planTasks = async (h: Harness, planId: string) => (await h.repos.tasks.list({ planId }, { limit: 100, offset: 0 })).items;
const migrateJobs = (h: Harness) => h.jobs.list('site.migrate');

describe('upgrade summaries and Confirm', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startSlackHarness({ seed });
  });
  afterAll(async () => h.close());

  test('upgrade <site> posts the summary in the channel with Compare, Confirm and Cancel', async () => {
    const s = await h.postSummary('upgrade a1.example.org');
    expect(s.channel).toBe(CHANNEL);
    expect(s.ts).not.toBe('');
    expect(s.text).toContain('Upgrade 1 site to social-12.4.2');
    expect(s.text).toContain('*From `social-12.3.3` → `social-12.4.2`*\n1 site: `a1.example.org`');
    expect(s.text).toContain(':arrow_up: 40 upgrades');
    expect(s.text).toContain('Requested by <@U0ALICE>');
    const buttons = buttonsOf(s.call.args.blocks);
    expect(buttons.find((b) => b.action_id === ACTIONS.confirm)).toMatchObject({ value: s.planId, style: 'primary' });
    expect(buttons.find((b) => b.action_id === ACTIONS.cancel)).toMatchObject({ value: s.planId });
    const compare = new URL(buttons.find((b) => b.url)!.url!);
    expect(compare.pathname).toBe(`/compare/${h.seeded!.platforms['12.3.3']!.id}/${h.seeded!.platforms['12.4.2']!.id}`);
    expect((await h.repos.plans.get(s.planId))!.message).toEqual({ channel: CHANNEL, ts: s.ts });
  });

  test('upgrade --platform takes every enabled site of that platform', async () => {
    const s = await h.postSummary('upgrade --platform social-12.3.3');
    expect(s.text).toContain('4 sites: `a1.example.org`, `a2.example.org`, `a3.example.org`, `a4.example.org`');
    expect((await h.repos.plans.get(s.planId))!.moves.map((m) => m.siteName)).toEqual(SITES['12.3.3']);
  });

  test('upgrade --distro with a schema downgrade is blocked: warning markers, no Confirm, and a forced Confirm is refused', async () => {
    const s = await h.postSummary('upgrade --distro social');
    expect(s.text).toContain('6 sites on 3 platforms move to the upgrade target `social-12.4.2`');
    expect(s.text).toContain('*From `social-12.0.0` → `social-12.4.2`* :no_entry: :warning:');
    expect(s.text).toContain(':arrow_down: 2 downgrades');
    expect(s.text).toContain('*Cannot be confirmed:*');
    expect(actionIds(s.call)).toEqual([ACTIONS.cancel]);
    // A crafted click on a Confirm the message never showed.
    const { responseId } = await h.click(ACTIONS.confirm, s.planId, s);
    expect(blockText((await h.replyTo(responseId)).args.blocks)).toContain('This upgrade has errors (see the summary) and cannot be confirmed.');
    expect(await planTasks(h, s.planId)).toEqual([]);
  });

  test('Confirm updates the same message with per-site task state; a repeat click or Slack retry schedules nothing more', async () => {
    const s = await h.postSummary('upgrade a1.example.org');
    const { status } = await h.click(ACTIONS.confirm, s.planId, s, ALICE);
    expect(status).toBe(200);
    const update = await h.updateOf(s.ts, (t) => t.includes('*Confirmed* by <@U0ALICE>'), 'the confirmed summary');
    expect(update.args.channel).toBe(CHANNEL);
    const [task] = await planTasks(h, s.planId);
    expect(blockText(update.args.blocks)).toMatch(new RegExp(`:hourglass_flowing_sand: \`a1\\.example\\.org\` — queued \\(<https://distro\\.example\\.org/tasks/${task!.id}\\?exp=\\d+&sig=[^|]+\\|task #${task!.number}>\\)`));
    // Confirm and Cancel are gone; the rollout Confirm made can be paused or cancelled from here.
    expect(actionIds(update)).toEqual([ACTIONS.rolloutPause, ACTIONS.rolloutCancel]);
    expect(blockText(update.args.blocks)).toMatch(/\*Rollout \d+\* · running · wave 1 of 1/);

    const again = await h.click(ACTIONS.confirm, s.planId, s, ALICE);
    const retry = await h.click(ACTIONS.confirm, s.planId, s, ALICE, { retryNum: 1 });
    for (const r of [again, retry]) {
      expect(blockText((await h.replyTo(r.responseId)).args.blocks)).toContain('already confirmed by <@U0ALICE>');
    }
    expect(await planTasks(h, s.planId)).toHaveLength(1);
    expect((await migrateJobs(h)).filter((j) => (j.data as { taskId: string }).taskId === task!.id)).toHaveLength(1);
  });

  test('two users confirming at once schedule once; the other is told who confirmed', async () => {
    const s = await h.postSummary('upgrade a2.example.org');
    const jobsBefore = (await migrateJobs(h)).length;
    const [alice, bob] = await Promise.all([h.click(ACTIONS.confirm, s.planId, s, ALICE), h.click(ACTIONS.confirm, s.planId, s, BOB)]);
    // Both were acked at once; each gets its answer when the work behind the ack is done.
    const replies = await Promise.all([alice, bob].map(async (c) => blockText((await h.replyTo(c.responseId)).args.blocks)));
    expect(replies.filter((r) => r.includes('Confirmed: 1 migration scheduled.'))).toHaveLength(1);
    const plan = await h.repos.plans.get(s.planId);
    const winner = plan!.confirmedBy as { id: string };
    const loser = winner.id === ALICE.id ? bob : alice;
    expect(blockText((await h.replyTo(loser.responseId)).args.blocks)).toContain(`already confirmed by <@${winner.id}>`);
    expect(await planTasks(h, s.planId)).toHaveLength(1);
    expect((await migrateJobs(h)).length - jobsBefore).toBe(1);
  });

  test('task progress re-renders the plan message; a failure adds the log tail in the thread', async () => {
    const s = await h.postSummary('upgrade a3.example.org');
    await h.click(ACTIONS.confirm, s.planId, s, BOB);
    await h.updateOf(s.ts, (t) => t.includes('*Confirmed* by <@U0BOB>'));
    const [task] = await planTasks(h, s.planId);

    await h.repos.tasks.transition(task!.id, ['queued'], 'processing', { startedAt: new Date() });
    await h.services.events.publish({ type: 'task.updated', taskId: task!.id, state: 'processing' });
    await h.settle();
    await h.updateOf(s.ts, (t) => t.includes(`:gear: \`a3.example.org\` — processing (<`) && t.includes(`|task #${task!.number}>)`), 'processing state');

    await h.repos.tasks.appendLog(task!.id, [
      { at: new Date('2025-05-01T10:00:00Z'), level: 'info', message: 'backup written' },
      { at: new Date('2025-05-01T10:00:05Z'), level: 'error', message: 'drush updb failed: <exit 1>' },
    ]);
    await h.repos.tasks.transition(task!.id, ['processing'], 'failed', { finishedAt: new Date(), error: 'post-migrate step failed' });
    await h.services.events.publish({ type: 'task.updated', taskId: task!.id, state: 'failed' });
    await h.services.events.publish({ type: 'task.updated', taskId: task!.id, state: 'failed' }); // a duplicate delivery
    await h.settle();
    const failed = await h.updateOf(s.ts, (t) => t.includes(':x: `a3.example.org` — failed'), 'failed state');
    expect(blockText(failed.args.blocks)).toContain('1 failed');
    // Renders never land out of order: the last edit of the message shows the final state.
    const edits = h.slack.callsTo('chat.update').filter((c) => c.args.ts === s.ts);
    expect(blockText(edits.at(-1)!.args.blocks)).toContain(':x: `a3.example.org` — failed');
    const thread = h.slack.callsTo('chat.postMessage').filter((c) => c.args.thread_ts === s.ts);
    expect(thread).toHaveLength(1);
    const tail = blockText(thread[0]!.args.blocks);
    expect(tail).toContain(`*Task #${task!.number}* \`a3.example.org\` failed: post-migrate step failed`);
    expect(tail).toContain('2025-05-01T10:00:05.000Z ERROR drush updb failed: &lt;exit 1&gt;');
  });

  test('Cancel turns the summary into a cancelled notice; Confirm afterwards is refused', async () => {
    const s = await h.postSummary('upgrade c.example.org');
    await h.click(ACTIONS.cancel, s.planId, s, BOB);
    const update = await h.updateOf(s.ts, (t) => t.includes('*Cancelled* by <@U0BOB>'), 'the cancelled summary');
    expect(actionIds(update)).toEqual([]);
    expect((await h.repos.plans.get(s.planId))!.state).toBe('cancelled');
    const { responseId } = await h.click(ACTIONS.confirm, s.planId, s, ALICE);
    expect(blockText((await h.replyTo(responseId)).args.blocks)).toContain('This upgrade was cancelled');
    expect(await planTasks(h, s.planId)).toEqual([]);
  });

  test('a Confirm with a made-up plan id is refused without side effects', async () => {
    const { responseId } = await h.click(ACTIONS.confirm, 'ffffffffffffffffffffffff', { channel: CHANNEL, ts: '1.000001' }, ALICE);
    expect(blockText((await h.replyTo(responseId)).args.blocks)).toContain('No upgrade named `ffffffffffffffffffffffff`.');
  });

  test('target change: announcement with counts and Review upgrades; Confirm of an older summary is refused and a fresh one posted', async () => {
    const old = await h.postSummary('upgrade a4.example.org');
    const seen = new Set(h.slack.calls);
    // Back to an older build: nothing changes until the warning's button is clicked.
    const { reply: warning } = await h.command('target social social-12.4.1', ALICE);
    const warned = blockText(warning.args.blocks);
    expect(warned).toContain('`social-12.4.1` is an *older build* than the current target `social-12.4.2`');
    expect(warned).toContain('*9 package downgrades*');
    expect((await h.services.distributions.get('social')).targetPlatformId).toBe(h.seeded!.platforms['12.4.2']!.id);
    const anyway = buttonsOf(warning.args.blocks).find((b) => b.action_id === ACTIONS.confirmTarget)!;
    expect(anyway.confirm).toBeDefined();
    const clicks = await Promise.all([
      h.click(ACTIONS.confirmTarget, anyway.value!, { channel: CHANNEL, ts: '1.000009' }, ALICE),
      h.click(ACTIONS.confirmTarget, anyway.value!, { channel: CHANNEL, ts: '1.000009' }, ALICE),
    ]);
    const answers = await Promise.all(clicks.map(async (c) => blockText((await h.replyTo(c.responseId)).args.blocks)));
    expect(answers.filter((t) => t.includes(':dart: `social-12.4.1` is now the upgrade target of `social`'))).toHaveLength(1);
    expect(answers.filter((t) => t.includes('This target change was just made.'))).toHaveLength(1);
    await h.settle();
    // The older pending summary lost its Confirm as soon as the target moved.
    const superseded = await h.updateOf(old.ts, (t) => t.includes('*Out of date:*'), 'the superseded summary');
    expect(actionIds(superseded)).toEqual([]);

    const announcement = await nextPost(h.slack, 'New upgrade target for Open Social 12', seen);
    expect(announcement.args.channel).toBe(CHANNEL);
    const text = blockText(announcement.args.blocks);
    expect(text).toContain('`social-12.4.1` (ref `12.4.1`) is now the upgrade target of `social`, replacing `social-12.4.2`. Set by <@U0ALICE>.');
    expect(text).toContain('Changes since social-12.4.2: :arrow_up: 0 upgrades · :arrow_down: 9 downgrades');
    const [report] = await h.services.distributions.status('social');
    const outdated = report!.groups.reduce((n, g) => n + g.sites.length, 0);
    expect(text).toContain(`*${outdated} sites* on *${report!.groups.length} platforms* are now out of date.`);
    const review = buttonsOf(announcement.args.blocks).find((b) => b.action_id === ACTIONS.reviewUpgrades)!;
    expect(review.value).toBe('social');

    // The summary made against the old target can no longer be confirmed.
    const seen2 = new Set(h.slack.calls);
    const { responseId } = await h.click(ACTIONS.confirm, old.planId, old, BOB);
    expect(blockText((await h.replyTo(responseId)).args.blocks)).toContain('The upgrade target changed since this summary was posted');
    const fresh = await nextPost(h.slack, 'Upgrade 1 site to social-12.4.1', seen2);
    expect(blockText(fresh.args.blocks)).toContain('1 site: `a4.example.org`');
    expect(planIdOf(fresh.args.blocks)).not.toBe(old.planId);
    expect(await planTasks(h, old.planId)).toEqual([]);

    // Review upgrades proposes the whole distribution against the new target.
    const seen3 = new Set(h.slack.calls);
    const at = { channel: CHANNEL, ts: String(announcement.response.ts) };
    // Clicked twice (a double click, or two people at once): one summary.
    const reviews = await Promise.all([h.click(ACTIONS.reviewUpgrades, 'social', at, BOB), h.click(ACTIONS.reviewUpgrades, 'social', at, ALICE)]);
    const summary = await nextPost(h.slack, `Upgrade ${outdated} sites to social-12.4.1`, seen3);
    expect(blockText(summary.args.blocks)).toMatch(/Requested by <@U0(BOB|ALICE)>/);
    const told = await Promise.race(reviews.map((r) => h.replyTo(r.responseId)));
    expect(blockText(told.args.blocks)).toContain('A summary for this announcement was just posted');
    await h.settle();
    const posted = h.slack.calls.filter((c) => !seen3.has(c) && c.method === 'chat.postMessage' && blockText(c.args.blocks).includes(`Upgrade ${outdated} sites`));
    expect(posted).toHaveLength(1);
  });
});

describe('who may confirm', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startSlackHarness({ seed, slack: { confirmers: [BOB.id], confirmersUsergroup: 'S0OPS' } });
    h.slack.usergroups.set('S0OPS', ['U0CAROL']);
  });
  afterAll(async () => h.close());

  test('someone neither listed nor in the user group is refused with an explanation; nothing is scheduled', async () => {
    const s = await h.postSummary('upgrade a1.example.org', MALLORY);
    const { responseId } = await h.click(ACTIONS.confirm, s.planId, s, MALLORY);
    const text = blockText((await h.replyTo(responseId)).args.blocks);
    expect(text).toContain('Only <@U0BOB>, members of <!subteam^S0OPS> may do this.');
    expect((await h.repos.plans.get(s.planId))!.state).toBe('pending');
    expect(h.slack.callsTo('usergroups.users.list').at(-1)!.args.usergroup).toBe('S0OPS');
    const target = await h.command('target social social-12.4.1', MALLORY);
    expect(blockText(target.reply.args.blocks)).toContain('Only <@U0BOB>');
    expect((await h.services.distributions.get('social')).targetPlatformId).toBe(h.seeded!.platforms['12.4.2']!.id);
  });

  test('cancelling a scheduled migration needs the same permission as confirming it', async () => {
    const s = await h.postSummary('upgrade a4.example.org');
    await h.click(ACTIONS.confirm, s.planId, s, BOB);
    await h.updateOf(s.ts, (t) => t.includes('*Confirmed* by <@U0BOB>'));
    const [task] = (await h.repos.tasks.list({ planId: s.planId })).items;
    const refused = await h.command(`cancel ${task!.number}`, MALLORY);
    expect(blockText(refused.reply.args.blocks)).toContain('Only <@U0BOB>');
    expect((await h.repos.tasks.get(task!.id))!.state).toBe('queued');
    const done = await h.command(`cancel ${task!.number}`, BOB);
    expect(blockText(done.reply.args.blocks)).toContain(`Task #${task!.number}`);
    expect((await h.repos.tasks.get(task!.id))!.state).toBe('cancelled');
  });

  test('a listed user and a user-group member may confirm', async () => {
    const s1 = await h.postSummary('upgrade a1.example.org');
    await h.click(ACTIONS.confirm, s1.planId, s1, BOB);
    await h.updateOf(s1.ts, (t) => t.includes('*Confirmed* by <@U0BOB>'));
    const s2 = await h.postSummary('upgrade a2.example.org');
    await h.click(ACTIONS.confirm, s2.planId, s2, { id: 'U0CAROL', name: 'carol' });
    await h.updateOf(s2.ts, (t) => t.includes('*Confirmed* by <@U0CAROL>'));
  });

  test('when the user group cannot be read, the confirm is refused rather than guessed', async () => {
    const s = await h.postSummary('upgrade a3.example.org');
    h.slack.failNext('usergroups.users.list', 'missing_scope');
    const { responseId } = await h.click(ACTIONS.confirm, s.planId, s, { id: 'U0CAROL', name: 'carol' });
    expect(blockText((await h.replyTo(responseId)).args.blocks)).toContain('I could not check the confirmers user group');
    expect((await h.repos.plans.get(s.planId))!.state).toBe('pending');
  });
});
