/**
 * Edits of one message are spaced from the END of the previous call (issue 18 item 6: under load, arrivals were
 * 1.85 s apart with a 2 s interval, because the interval ran from the start of a slow call). Real WebClient
 * against the recording Slack stand-in, which answers chat.update slowly here.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { WebClient } from '@slack/web-api';
import { silentLogger } from '../../src/logger.js';
import { MessageUpdater } from '../../src/slack/message-updater.js';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in.js';

let slack: SlackStandIn;
beforeAll(async () => {
  slack = await startSlackStandIn();
});
afterAll(() => slack?.close());

const INTERVAL = 150;
const SLOW = 250;

describe('MessageUpdater spacing', () => {
  test('the next edit of a message goes out at least the interval after the previous call ended, and ends on the latest state', async () => {
    slack.slowDown('chat.update', SLOW);
    const client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, rejectRateLimitedCalls: true, retryConfig: { retries: 0 } });
    const updater = new MessageUpdater({ client, logger: silentLogger(), minIntervalMs: INTERVAL, burst: 100, perMinute: 60_000 });
    let version = 0;
    const render = async () => ({ channel: 'C1', ts: '1.000001', text: `v${version}`, blocks: [] });
    // A change, then more changes while each call is still in flight (the slow answer).
    version = 1;
    updater.schedule('m', render);
    for (let i = 0; i < 3; i++) {
      await slack.waitFor((c) => c.method === 'chat.update' && c.args.text === `v${version}`, `edit v${version}`);
      version++;
      updater.schedule('m', render);
    }
    await updater.idle();
    updater.stop();
    slack.slowDown('chat.update', 0);
    const calls = slack.callsTo('chat.update');
    expect(calls.map((c) => c.args.text)).toEqual(['v1', 'v2', 'v3', 'v4']);
    for (let i = 1; i < calls.length; i++) {
      // Measured by the stand-in: the answer of the previous call, and the arrival of the next one.
      expect(calls[i]!.at - calls[i - 1]!.answeredAt!).toBeGreaterThanOrEqual(INTERVAL);
    }
  });
});
