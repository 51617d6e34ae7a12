/**
 * A rollout confirmed on the pages (no upgrade summary in Slack) that pauses: the channel notice links the
 * rollout's page, where it can be resumed (issue 18 item 6). Real services and notifier, real WebClient against
 * the recording Slack stand-in; the `rollout.updated` paused notice is the event the rollout service publishes
 * when a failing wave pauses it.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { ACTIONS } from '../../src/slack/blocks/kit.js';
import { ADMIN } from '../support/seed.js';
import { blockText } from '../support/slack-stand-in.js';
import { CHANNEL, startSlackHarness, type Harness } from './slack-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startSlackHarness({ seed: { versions: ['12.3.3', '12.4.2'], sites: { '12.3.3': ['a.example.org', 'b.example.org'] }, channel: CHANNEL } });
});
afterAll(() => h?.close());

test('the paused notice of a rollout confirmed on the pages links its page; one with a summary points at the summary', async () => {
  // Proposed and confirmed as the pages do (through the services, as the admin), so no summary is posted in Slack.
  const view = await h.services.upgrades.propose({ kind: 'site', name: 'a.example.org' }, ADMIN);
  const { view: confirmed } = await h.services.upgrades.confirm(view.plan.id, ADMIN);
  const rollout = await h.services.rollouts.pause(String(confirmed.rollout!.number), ADMIN);
  expect(await h.services.upgrades.messageOf(view.plan.id)).toBeNull();
  const before = new Set(h.slack.calls);
  await h.notifier.handle({ type: 'rollout.updated', rolloutId: rollout.id, planId: rollout.planId, notice: 'paused' });
  await h.settle();
  const [notice] = h.slack.calls.filter((c) => !before.has(c) && c.method === 'chat.postMessage');
  expect(notice!.args.channel).toBe(CHANNEL);
  expect(notice!.args.thread_ts).toBeUndefined();
  const text = blockText(notice!.args.blocks);
  expect(text).toContain(`*Rollout ${rollout.number} paused*`);
  expect(text).toMatch(new RegExp(`<https://distro\\.example\\.org/rollouts/${rollout.number}\\?exp=\\d+&sig=[\\w-]+\\|its page>, or \`/distro resume ${rollout.number}\``));

  // The signed link opens the page (checked by the link signer the pages use).
  const url = new URL(/<(https:[^|]+)\|its page>/.exec(text)![1]!);
  expect(h.services.links.verify(url.pathname, url.searchParams.get('exp'), url.searchParams.get('sig'))).toBe('ok');

  // Confirmed from Slack: the summary (in whose thread the notice goes) has the Resume button.
  const summary = await h.postSummary('upgrade b.example.org');
  await h.click(ACTIONS.confirm, summary.planId, summary);
  await h.updateOf(summary.ts, (t) => t.includes('*Confirmed*'), 'the confirmed summary');
  const other = (await h.services.rollouts.list({}, { limit: 10, offset: 0 })).items.find((r) => r.planId === summary.planId)!;
  const paused = await h.services.rollouts.pause(String(other.number), ADMIN);
  const mark = new Set(h.slack.calls);
  await h.notifier.handle({ type: 'rollout.updated', rolloutId: paused.id, planId: paused.planId, notice: 'paused' });
  await h.settle();
  const threaded = h.slack.calls.filter((c) => !mark.has(c) && c.method === 'chat.postMessage');
  expect(threaded).toHaveLength(1);
  expect(threaded[0]!.args.thread_ts).toBe(summary.ts);
  expect(blockText(threaded[0]!.args.blocks)).toContain('the Resume button on the summary');
});
