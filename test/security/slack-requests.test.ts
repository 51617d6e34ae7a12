/**
 * Attacks on the Slack Request URL through the real Bolt receiver: requests signed for a time more than 5 minutes
 * away (either way) or without signature headers are refused before any listener runs, state-changing buttons are
 * for confirmers only, and over-long command text is refused with a reply saying so.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ACTIONS } from '../../src/slack/blocks/kit.js';
import { MAX_COMMAND_TEXT_CHARS } from '../../src/slack/listeners/commands.js';
import { SLACK_BODY_LIMIT_BYTES } from '../../src/slack/slack-app.js';
import { SLACK_MAX_CLOCK_SKEW_SECONDS } from '../../src/slack/slack-request-gate.js';
import { ALICE, BOB, CHANNEL, MALLORY, startSlackHarness, type Harness } from '../e2e/slack-harness.js';
import { blockText } from '../support/slack-stand-in.js';
import { slashCommandBody } from '../support/slack-requests.js';

const seed = {
  versions: ['12.3.3', '12.4.2'],
  sites: { '12.3.3': ['a1.example.org', 'a2.example.org'] },
};

const now = (): number => Math.floor(Date.now() / 1000);

describe('request timestamps and signature headers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startSlackHarness({ seed });
  });
  afterAll(() => h.close());

  /** The target, and every call the app made to Slack, after a request that must have changed nothing. */
  const snapshot = async () => ({ target: (await h.services.distributions.get('social')).targetPlatformId, calls: h.slack.calls.length });

  test('a command signed 600 s in the future is refused with 401 JSON and runs nothing', async () => {
    const before = await snapshot();
    const target = `target social ${h.seeded!.platforms['12.3.3']!.name}`;
    for (const skew of [600, SLACK_MAX_CLOCK_SKEW_SECONDS + 30, -600]) {
      const res = await h.requests.command(
        { text: target, user: ALICE, channelId: CHANNEL, responseUrl: h.slack.responseUrl(`future-${skew}`) },
        { timestamp: now() + skew },
      );
      expect([skew, res.status]).toEqual([skew, 401]);
      expect(await res.json()).toEqual({ error: { code: 'stale_request', message: expect.stringMatching(/at most 300 s/) } });
    }
    // A valid command afterwards is answered: the app still serves, and anything the refused ones started would be done.
    const ok = await h.command('list');
    expect(ok.status).toBe(200);
    const after = await snapshot();
    expect(after.target).toBe(before.target);
    const made = h.slack.calls.slice(before.calls);
    expect(made.filter((c) => c.method === 'chat.postMessage' || String(c.responseId).startsWith('future-'))).toEqual([]);
  });

  test('a timestamp a little ahead (clock skew within the window) is accepted', async () => {
    const res = await h.command('help', ALICE, { timestamp: now() + 120 });
    expect(res.status).toBe(200);
    expect(blockText(res.reply.args.blocks)).toContain('/distro');
  });

  test('missing or malformed signature headers are refused at once; a forged signature is still refused by Bolt', async () => {
    const body = slashCommandBody({ text: 'list', user: ALICE, channelId: CHANNEL, responseUrl: h.slack.responseUrl('unsigned') });
    const unsigned = await fetch(h.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    expect([unsigned.status, ((await unsigned.json()) as { error: { code: string } }).error.code]).toEqual([401, 'missing_signature']);
    const badTs = await h.requests.command({ text: 'list', user: ALICE, channelId: CHANNEL, responseUrl: h.slack.responseUrl('bad-ts') }, { timestamp: Number.NaN });
    expect(badTs.status).toBe(401);
    const forged = await h.requests.command(
      { text: 'list', user: ALICE, channelId: CHANNEL, responseUrl: h.slack.responseUrl('forged') },
      { signature: `v0=${'0'.repeat(64)}` },
    );
    expect(forged.status).toBe(401);
    await h.command('list');
    expect(h.slack.calls.filter((c) => c.method === 'response_url' && ['unsigned', 'bad-ts', 'forged'].includes(String(c.responseId)))).toEqual([]);
  });

  test('a signed-looking body over 1 MB is refused (413) without running anything', async () => {
    const res = await h.requests.command({ text: 'x'.repeat(SLACK_BODY_LIMIT_BYTES), user: ALICE, channelId: CHANNEL, responseUrl: h.slack.responseUrl('huge') });
    expect(res.status).toBe(413);
    await h.command('list');
    expect(h.slack.calls.filter((c) => c.responseId === 'huge')).toEqual([]);
  });

  test(`command text over ${MAX_COMMAND_TEXT_CHARS} characters gets a reply saying so, and nothing runs`, async () => {
    const before = await snapshot();
    const long = `target social ${'x'.repeat(MAX_COMMAND_TEXT_CHARS)}`;
    const res = await h.command(long);
    expect(res.status).toBe(200);
    expect(blockText(res.reply.args.blocks)).toContain(`at most ${MAX_COMMAND_TEXT_CHARS} are accepted`);
    expect((await snapshot()).target).toBe(before.target);
    // At the limit the command is parsed as usual (here: an unknown platform).
    const atLimit = await h.command(`target social ${'x'.repeat(MAX_COMMAND_TEXT_CHARS - 'target social '.length)}`);
    expect(blockText(atLimit.reply.args.blocks)).toMatch(/No platform named/);
  });
});

describe('state-changing buttons are for confirmers only', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startSlackHarness({ seed, slack: { confirmers: [BOB.id] } });
  });
  afterAll(() => h.close());

  test('Cancel by someone refused Confirm is refused too, with an ephemeral explanation; the plan stays pending', async () => {
    const s = await h.postSummary('upgrade a1.example.org', MALLORY);
    const confirm = await h.click(ACTIONS.confirm, s.planId, s, MALLORY);
    expect(blockText((await h.replyTo(confirm.responseId)).args.blocks)).toContain('Only <@U0BOB> may do this.');
    const cancel = await h.click(ACTIONS.cancel, s.planId, s, MALLORY);
    const reply = await h.replyTo(cancel.responseId);
    expect(reply.args).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(blockText(reply.args.blocks)).toContain('Only <@U0BOB> may do this.');
    expect((await h.repos.plans.get(s.planId))!.state).toBe('pending');

    await h.click(ACTIONS.cancel, s.planId, s, BOB);
    await h.updateOf(s.ts, (t) => /cancel/i.test(t), 'the summary marked cancelled');
    expect((await h.repos.plans.get(s.planId))!.state).toBe('cancelled');
  });

  test('Review upgrades by a non-confirmer is refused and posts no summary', async () => {
    const posts = h.slack.callsTo('chat.postMessage').length;
    const refused = await h.click(ACTIONS.reviewUpgrades, 'social', { channel: CHANNEL, ts: '1.1' }, MALLORY);
    expect(blockText((await h.replyTo(refused.responseId)).args.blocks)).toContain('Only <@U0BOB> may do this.');
    // A confirmer's click afterwards posts one: so the refused click had its chance to post, and did not.
    await h.click(ACTIONS.reviewUpgrades, 'social', { channel: CHANNEL, ts: '1.1' }, BOB);
    await h.slack.waitFor((c) => c.method === 'chat.postMessage' && blockText(c.args.blocks).includes('Requested by <@U0BOB>'), "BOB's summary");
    const summaries = h.slack.callsTo('chat.postMessage').slice(posts);
    expect(summaries.map((c) => blockText(c.args.blocks).includes('Requested by <@U0MALLORY>'))).toEqual([false]);
  });
});
