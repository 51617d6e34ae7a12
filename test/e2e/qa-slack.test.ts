/**
 * Adversarial use of the Slack surface: odd command text, redelivered requests, buttons clicked in the wrong
 * order or on the wrong message, and Slack's Web API failing half way. Each case has one defined outcome.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ACTIONS, LIMITS } from '../../src/slack/blocks/kit.js';
import { ADMIN } from '../support/seed.js';
import { sendSigned, slashCommandBody } from '../support/slack-requests.js';
import { blockText, type SlackCall } from '../support/slack-stand-in.js';
import { ALICE, BOB, CHANNEL, eventually, SIGNING_SECRET, startSlackHarness, type Harness } from './slack-harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startSlackHarness({
    seed: {
      versions: ['12.3.3', '12.4.2'],
      sites: { '12.3.3': ['a.example.org', 'b.example.org', 'c.example.org', 'd.example.org', 'e.example.org'] },
    },
  });
});

afterAll(async () => h.close());

const replyText = async (text: string): Promise<string> => {
  const { status, reply } = await h.command(text);
  expect(status).toBe(200);
  expect(reply.args.response_type).toBe('ephemeral');
  return blockText(reply.args.blocks);
};

const summariesOf = (site: string, since: Set<SlackCall>): SlackCall[] =>
  h.slack.calls.filter(
    (c) => !since.has(c) && c.method === 'chat.postMessage' && !c.args.thread_ts && blockText(c.args.blocks).includes(`\`${site}\``),
  );

const planTasks = async (planId: string) => (await h.repos.tasks.list({ planId }, { limit: 100, offset: 0 })).items;

describe('odd command text', () => {
  test('empty and blank text answer the help', async () => {
    for (const text of ['', '   ', '\t']) expect(await replyText(text)).toContain('/distro upgrade &lt;site&gt;');
  });

  test('extra spaces and an upper-case subcommand are understood', async () => {
    expect(await replyText('   SHOW     social   ')).toContain('social-12.4.2');
  });

  test('unicode names are an unknown site, named back to the user, and nothing is posted', async () => {
    const posted = h.slack.callsTo('chat.postMessage').length;
    const text = await replyText('upgrade ａ.example.org');
    expect(text).toContain('No site named `ａ.example.org`');
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(posted);
  });

  test('a 10 KB argument gets an error that fits in a Slack message', async () => {
    // Over the command length cap: refused as too long. Under it: the usual "no such site", still fitting.
    for (const [long, expected] of [['x'.repeat(10_240), 'at most 1000 are accepted'], ['x'.repeat(990), 'No site named']] as const) {
      const { reply } = await h.command(`upgrade ${long}`);
      expect(reply.args.text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
      for (const b of reply.args.blocks as Array<{ text?: { text: string } }>) {
        if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
      }
      expect(blockText(reply.args.blocks)).toContain(expected);
    }
  });

  test('a site typed as a URL (Slack auto-links it) or with a trailing slash is that site', async () => {
    for (const text of ['upgrade <https://a.example.org/|a.example.org>', 'upgrade https://a.example.org/', 'upgrade <http://a.example.org>']) {
      const s = await h.postSummary(text);
      expect(s.text).toContain('`a.example.org`');
      await h.services.upgrades.cancel(s.planId, ADMIN);
    }
  });

  test('broadcast and user mentions typed into a command are not sent back as mentions', async () => {
    const text = await replyText('upgrade x<!channel>');
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('&lt;!channel&gt;');
    const user = await replyText('upgrade x<@U0BOB>');
    expect(user).toContain('No site named `x&lt;@U0BOB&gt;`');
    const group = await replyText('show <!subteam^S0OPS>x');
    expect(group).not.toContain('<!subteam^S0OPS>');
  });
});

describe('redelivered requests', () => {
  test('a slash command delivered twice (Slack retry, same trigger) runs once', async () => {
    const seen = new Set(h.slack.calls);
    const body = slashCommandBody({ text: 'upgrade b.example.org', user: ALICE, channelId: CHANNEL, responseUrl: h.slack.responseUrl('dup') });
    const first = await sendSigned(h.url, SIGNING_SECRET, body, 'application/x-www-form-urlencoded');
    const retry = await sendSigned(h.url, SIGNING_SECRET, body, 'application/x-www-form-urlencoded', { retryNum: 1 });
    expect([first.status, retry.status]).toEqual([200, 200]);
    await eventually(async () => summariesOf('b.example.org', seen).length >= 1, 'the summary');
    // A later, separate command proves the retry was handled (not merely slow) before counting.
    await replyText('help');
    await h.settle();
    expect(summariesOf('b.example.org', seen)).toHaveLength(1);
  });

  test('the same command typed again (a new trigger) runs again', async () => {
    const seen = new Set(h.slack.calls);
    await h.postSummary('upgrade c.example.org');
    await h.postSummary('upgrade c.example.org');
    expect(summariesOf('c.example.org', seen)).toHaveLength(2);
  });
});

describe('buttons in the wrong order, on the wrong message', () => {
  test('when Slack refuses to update the confirmed summary, the confirmer is told it was confirmed (not to try again)', async () => {
    const s = await h.postSummary('upgrade d.example.org');
    // The summary cannot be edited (deleted message): the edit is given up, the confirmation stands.
    h.slack.failNext('chat.update', 'message_not_found');
    const { responseId } = await h.click(ACTIONS.confirm, s.planId, s, ALICE);
    const reply = blockText((await h.replyTo(responseId)).args.blocks);
    expect(reply).toContain('Confirmed: 1 migration scheduled.');
    expect(reply).toContain('`/distro tasks`');
    expect(reply).not.toMatch(/Something went wrong/);
    expect((await h.repos.plans.get(s.planId))!.state).toBe('confirmed');
    expect(await planTasks(s.planId)).toHaveLength(1);
  });

  test('Cancel of an already confirmed summary is refused and changes nothing', async () => {
    const s = await h.postSummary('upgrade e.example.org');
    await h.click(ACTIONS.confirm, s.planId, s, ALICE);
    await h.updateOf(s.ts, (t) => t.includes('*Confirmed*'));
    const { responseId } = await h.click(ACTIONS.cancel, s.planId, s, BOB);
    expect(blockText((await h.replyTo(responseId)).args.blocks)).toContain('already confirmed');
    expect((await h.repos.plans.get(s.planId))!.state).toBe('confirmed');
    const [task] = await planTasks(s.planId);
    expect(task!.state).toBe('queued');
  });

  test('a Confirm whose plan id names nothing (an empty value) is refused', async () => {
    const { responseId } = await h.click(ACTIONS.confirm, '', { channel: CHANNEL, ts: '1.000002' }, ALICE);
    expect(blockText((await h.replyTo(responseId)).args.blocks)).toMatch(/No upgrade named/);
  });

  test('a summary confirmed while a migration of the same site is queued skips that site and says why', async () => {
    const first = await h.postSummary('upgrade a.example.org');
    const second = await h.postSummary('upgrade a.example.org');
    await h.click(ACTIONS.confirm, first.planId, first, ALICE);
    await h.updateOf(first.ts, (t) => t.includes('*Confirmed*'));
    const { responseId } = await h.click(ACTIONS.confirm, second.planId, second, BOB);
    expect(blockText((await h.replyTo(responseId)).args.blocks)).toContain('Not scheduled: `a.example.org` (a migration is already queued or running).');
    const update = await h.updateOf(second.ts, (t) => t.includes('*Confirmed*'));
    expect(blockText(update.args.blocks)).toContain('`a.example.org` — skipped');
    expect(await planTasks(second.planId)).toHaveLength(0);
    expect(await planTasks(first.planId)).toHaveLength(1);
  });
});

describe('text from outside Distro in public messages', () => {
  test('a failed migration whose error quotes <!channel> and <@U…> posts them escaped, in the blocks and the notification text', async () => {
    const s = await h.postSummary('upgrade c.example.org');
    await h.click(ACTIONS.confirm, s.planId, s, ALICE);
    await h.updateOf(s.ts, (t) => t.includes('*Confirmed*'));
    const [task] = await planTasks(s.planId);
    await h.repos.tasks.transition(task!.id, ['queued'], 'processing', { startedAt: new Date() });
    await h.repos.tasks.appendLog(task!.id, [{ at: new Date(), level: 'error', message: 'drush said <!channel> <@U0BOB>' }]);
    await h.repos.tasks.transition(task!.id, ['processing'], 'failed', { finishedAt: new Date(), error: 'drush updb: <!channel> & <@U0BOB>' });
    await h.services.events.publish({ type: 'task.updated', taskId: task!.id, state: 'failed' });
    await h.settle();
    const thread = await h.slack.waitFor((c) => c.method === 'chat.postMessage' && c.args.thread_ts === s.ts, 'the failure thread reply');
    for (const text of [thread.args.text as string, blockText(thread.args.blocks)]) {
      expect(text).not.toMatch(/<!channel>|<@U0BOB>/);
      expect(text).toContain('&lt;!channel&gt; &amp; &lt;@U0BOB&gt;');
    }
  });
});

describe('cancel', () => {
  test('a finished task cannot be cancelled; the reply says what state it is in', async () => {
    const [task] = (await h.repos.tasks.list({ type: ['migrate'], state: ['queued'] }, { limit: 1, offset: 0 })).items;
    await h.repos.tasks.claim(task!.id, 'qa', new Date(Date.now() + 60_000), new Date());
    expect(await replyText(`cancel ${task!.number}`)).toContain(`Task #${task!.number} is already running`);
    await h.repos.tasks.transition(task!.id, ['processing'], 'succeeded', { finishedAt: new Date(), lease: null });
    expect(await replyText(`cancel #${task!.number}`)).toContain(`Task #${task!.number} already succeeded.`);
    expect((await h.repos.tasks.get(task!.id))!.state).toBe('succeeded');
  });

  test("another user may cancel someone's queued task; the log names who did", async () => {
    const [task] = (await h.repos.tasks.list({ type: ['migrate'], state: ['queued'] }, { limit: 1, offset: 0 })).items;
    expect(task!.confirmedBy).toMatchObject({ id: expect.not.stringMatching(BOB.id) });
    const { reply } = await h.command(`cancel ${task!.number}`, BOB);
    expect(blockText(reply.args.blocks)).toContain('is cancelled');
    const after = (await h.repos.tasks.get(task!.id))!;
    expect(after.state).toBe('cancelled');
    expect(after.log.at(-1)!.message).toContain('bob');
  });
});
