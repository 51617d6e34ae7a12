/** The notifier: announcements go to the right channel, Slack trouble is retried or logged, never thrown. */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { ADMIN, platformName } from '../support/seed.js';
import { blockText, type LooseJson } from '../support/slack-stand-in.js';
import { CHANNEL, nextPost, startSlackHarness, type Harness } from './slack-harness.js';

const capture = () => {
  const lines: Array<LooseJson> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)) as LooseJson);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
};

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('target.changed announcements', () => {
  test('a distribution without a channel is announced in the default channel', async () => {
    h = await startSlackHarness({ seed: { channel: null, sites: { '12.3.3': ['a.example.org'] } }, slack: { defaultChannel: 'C0DEFAULT' } });
    const seen = new Set(h.slack.calls);
    await h.services.distributions.setTarget('social', platformName('social', '12.4.1'), ADMIN);
    await h.settle();
    const post = await nextPost(h.slack, 'New upgrade target for Open Social 12', seen);
    expect(post.args.channel).toBe('C0DEFAULT');
    expect(blockText(post.args.blocks)).toContain('Set by <@UADMIN>.');
  });

  test('with no channel anywhere nothing is posted and the reason is logged', async () => {
    const { logger, lines } = capture();
    h = await startSlackHarness({ seed: { channel: null }, logger });
    await h.settle();
    expect(h.slack.callsTo('chat.postMessage')).toEqual([]);
    expect(lines.some((l) => l.msg === 'target changed; no channel to announce it in' && l.distribution === 'social')).toBe(true);
  });

  test('a Slack error is logged and never reaches the code that changed the target', async () => {
    const { logger, lines } = capture();
    h = await startSlackHarness({ seed: { sites: { '12.3.3': ['a.example.org'] } }, logger });
    h.slack.failNext('chat.postMessage', 'channel_not_found');
    const change = await h.services.distributions.setTarget('social', platformName('social', '12.4.1'), ADMIN);
    expect(change.changed).toBe(true);
    await h.settle();
    const logged = lines.find((l) => l.msg === 'could not send a Slack notification');
    expect(logged?.event).toMatchObject({ type: 'target.changed', targetId: change.target.id });
    expect(String(logged?.err?.message)).toContain('channel_not_found');
  });

  test('a rate-limited post is retried by the WebClient and lands', async () => {
    h = await startSlackHarness({ seed: { sites: { '12.3.3': ['a.example.org'] } }, notifierRetries: 2 });
    h.slack.rateLimitNext('chat.postMessage');
    const seen = new Set(h.slack.calls);
    await h.services.distributions.setTarget('social', platformName('social', '12.4.1'), ADMIN);
    await h.settle();
    const post = await nextPost(h.slack, 'New upgrade target', seen);
    expect(post.args.channel).toBe(CHANNEL);
    expect(h.slack.calls.filter((c) => c.method === 'chat.postMessage (429)')).toHaveLength(1);
  });
});

describe('task.updated', () => {
  test('a task that belongs to no plan posts nothing', async () => {
    h = await startSlackHarness({ seed: { sites: { '12.3.3': ['a.example.org'] } } });
    const task = await h.repos.tasks.create({ type: 'install', subject: { kind: 'site', id: 'x', name: 'a.example.org' }, requestedBy: ADMIN });
    const before = h.slack.calls.length;
    await h.services.events.publish({ type: 'task.updated', taskId: task.id, state: 'queued' });
    await h.settle();
    expect(h.slack.calls.slice(before)).toEqual([]);
  });
});
