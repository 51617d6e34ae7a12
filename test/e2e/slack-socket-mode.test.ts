/**
 * Socket Mode end to end: with SLACK_APP_TOKEN the Bolt app opens a connection (apps.connections.open on the Slack
 * stand-in answers a ws://127.0.0.1 URL of a local Socket Mode stand-in), receives a slash command and a Confirm click
 * as envelopes, acknowledges each on the socket, and posts through the real WebClient to the recording stand-in.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { ACTIONS } from '../../src/slack/blocks/kit.js';
import { blockText } from '../support/slack-stand-in.js';
import { blockActionBody, slashCommandBody } from '../support/slack-requests.js';
import { ALICE, CHANNEL, planIdOf, startSlackHarness, type Harness } from './slack-harness.js';

const SITES = { '12.3.3': ['a.example.org', 'b.example.org'], '12.4.2': ['c.example.org'] };

let h: Harness;
let wss: WebSocketServer;
let socket: WebSocket;
const acks = new Map<string, (ack: Record<string, unknown>) => void>();

/** Sends one envelope and resolves with Distro's acknowledgement of it. */
const deliver = (type: 'slash_commands' | 'interactive', payload: Record<string, unknown>): Promise<Record<string, unknown>> => {
  const envelopeId = `env-${Math.random().toString(36).slice(2)}`;
  const ack = new Promise<Record<string, unknown>>((resolve) => acks.set(envelopeId, resolve));
  socket.send(JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: type === 'slash_commands', retry_attempt: 0, retry_reason: '' }));
  return ack.then((a) => ({ ...a, envelopeId }));
};

beforeAll(async () => {
  h = await startSlackHarness({ seed: { versions: ['12.3.3', '12.4.2'], sites: SITES }, slack: { appToken: 'xapp-1-A0DISTRO-1-test' } });
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const connected = new Promise<WebSocket>((resolve) =>
    wss.once('connection', (ws) => {
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as { envelope_id?: string };
        if (message.envelope_id) acks.get(message.envelope_id)?.(message);
      });
      ws.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'stand-in' }, connection_info: { app_id: 'A0DISTRO' } }));
      resolve(ws);
    }),
  );
  h.slack.socketModeUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/link`;
  await h.slackApp.start();
  socket = await connected;
});

afterAll(async () => {
  await h?.close();
  for (const client of wss?.clients ?? []) client.terminate();
  await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
});

describe('Socket Mode', () => {
  test('connects with the app-level token through apps.connections.open', () => {
    const open = h.slack.callsTo('apps.connections.open');
    expect(open).toHaveLength(1);
    expect(open[0]!.token).toBe('xapp-1-A0DISTRO-1-test');
  });

  test('a slash command envelope is acknowledged and its summary posted; a Confirm click schedules the migrations', async () => {
    const seen = new Set(h.slack.calls);
    const command = Object.fromEntries(new URLSearchParams(slashCommandBody({ text: 'upgrade --distro social', user: ALICE, channelId: CHANNEL, responseUrl: h.slack.responseUrl('sm1') })));
    const ack = await deliver('slash_commands', command);
    expect(ack['envelope_id']).toBe(ack['envelopeId']);
    const posted = await h.slack.waitFor((c) => !seen.has(c) && c.method === 'chat.postMessage' && !c.args.thread_ts, 'the upgrade summary');
    expect(blockText(posted.args.blocks)).toContain('a.example.org');
    const planId = planIdOf(posted.args.blocks);

    const click = JSON.parse(
      new URLSearchParams(
        blockActionBody({ actionId: ACTIONS.confirm, value: planId, user: ALICE, channelId: CHANNEL, messageTs: String(posted.response.ts), responseUrl: h.slack.responseUrl('sm2') }),
      ).get('payload')!,
    ) as Record<string, unknown>;
    const clickAck = await deliver('interactive', click);
    expect(clickAck['envelope_id']).toBe(clickAck['envelopeId']);
    await h.slack.waitFor((c) => c.method === 'chat.update' && c.args.ts === posted.response.ts && /Rollout/.test(blockText(c.args.blocks)), 'the summary updated with its rollout');
    const tasks = await h.services.tasks.list({ planId }, { limit: 10, offset: 0 });
    expect(tasks.items.map((t) => t.subject.name).sort()).toEqual(['a.example.org', 'b.example.org']);
  });
});
