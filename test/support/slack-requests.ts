/**
 * Builds requests exactly as Slack sends them to a Request URL, signed with the v0 scheme
 * (`v0=` + HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the signing secret), and sends them with fetch.
 */
import { createHmac, randomBytes } from 'node:crypto';

export interface SignOptions {
  /** Unix seconds; defaults to now. */
  timestamp?: number;
  /** Overrides the computed signature (forgery tests). */
  signature?: string;
  /** Sets `x-slack-retry-num` as Slack does on redelivery. */
  retryNum?: number;
}

export const signature = (secret: string, timestamp: number, body: string): string =>
  `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;

/** Slack makes one per invocation; a redelivery repeats it (the app recognises redeliveries by it). */
const triggerId = (): string => `${Date.now()}.${randomBytes(6).toString('hex')}`;

export interface SlackUser {
  id: string;
  name: string;
}

export interface SlashCommandInput {
  text: string;
  user: SlackUser;
  channelId: string;
  responseUrl: string;
  command?: string;
  /** Slack sends `directmessage` for DMs (default `ops`). */
  channelName?: string;
}

export const slashCommandBody = (i: SlashCommandInput): string =>
  new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: 'T0TEST',
    team_domain: 'example',
    channel_id: i.channelId,
    channel_name: i.channelName ?? 'ops',
    user_id: i.user.id,
    user_name: i.user.name,
    command: i.command ?? '/distro',
    text: i.text,
    api_app_id: 'A0DISTRO',
    is_enterprise_install: 'false',
    response_url: i.responseUrl,
    trigger_id: triggerId(),
  }).toString();

export interface BlockActionInput {
  actionId: string;
  value?: string;
  user: SlackUser;
  channelId: string;
  messageTs: string;
  responseUrl: string;
  blockId?: string;
}

/** Interactivity payloads arrive form-encoded as a single `payload` JSON field. */
export const blockActionBody = (i: BlockActionInput): string => {
  const payload = {
    type: 'block_actions',
    user: { id: i.user.id, username: i.user.name, name: i.user.name, team_id: 'T0TEST' },
    api_app_id: 'A0DISTRO',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: i.messageTs, channel_id: i.channelId, is_ephemeral: false },
    trigger_id: triggerId(),
    team: { id: 'T0TEST', domain: 'example' },
    channel: { id: i.channelId, name: 'ops' },
    message: { type: 'message', ts: i.messageTs, text: '', user: 'U0BOT' },
    response_url: i.responseUrl,
    actions: [
      {
        type: 'button',
        action_id: i.actionId,
        block_id: i.blockId ?? 'block',
        text: { type: 'plain_text', text: 'button' },
        ...(i.value !== undefined ? { value: i.value } : {}),
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
};

/** Events API envelope (JSON). */
export const eventBody = (event: Record<string, unknown>): string =>
  JSON.stringify({
    token: 'legacy-verification-token',
    team_id: 'T0TEST',
    api_app_id: 'A0DISTRO',
    event,
    type: 'event_callback',
    event_id: `Ev${Date.now()}${Math.floor(Math.random() * 1e6)}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: 'T0TEST', user_id: 'U0BOT', is_bot: true }],
  });

/** POSTs a body to the Request URL with Slack's headers. */
export const sendSigned = async (
  url: string,
  secret: string,
  body: string,
  contentType: 'application/x-www-form-urlencoded' | 'application/json',
  options: SignOptions = {},
): Promise<Response> => {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': options.signature ?? signature(secret, timestamp, body),
      ...(options.retryNum !== undefined ? { 'x-slack-retry-num': String(options.retryNum), 'x-slack-retry-reason': 'http_timeout' } : {}),
    },
    body,
  });
};

/** A client for one app's Request URL. */
export const slackRequester = (url: string, secret: string) => ({
  command: (input: SlashCommandInput, options?: SignOptions) =>
    sendSigned(url, secret, slashCommandBody(input), 'application/x-www-form-urlencoded', options),
  blockAction: (input: BlockActionInput, options?: SignOptions) =>
    sendSigned(url, secret, blockActionBody(input), 'application/x-www-form-urlencoded', options),
  event: (event: Record<string, unknown>, options?: SignOptions) => sendSigned(url, secret, eventBody(event), 'application/json', options),
});

export type SlackRequester = ReturnType<typeof slackRequester>;
