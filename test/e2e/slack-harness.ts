/**
 * The real Slack surface, end to end: the embedded store (SQLite in memory) + real services, the real Bolt app on an express
 * server on 127.0.0.1, signed requests sent over HTTP, and the real WebClient (Bolt's and the notifier's)
 * talking to the local Slack API stand-in.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Config } from '../../src/config.js';
import { parseAdvisories } from '../../src/domain/compare/advisories.js';
import type { SqliteJobQueue } from '../../src/jobs/sqlite-queue.js';
import { silentLogger, type Logger } from '../../src/logger.js';
import { createServices } from '../../src/services/create-services.js';
import type { Services } from '../../src/services/services.js';
import type { MessageUpdaterTiming } from '../../src/slack/message-updater.js';
import { createSlackNotifier, type SlackNotifier } from '../../src/slack/notifier.js';
import { createSlackApp, createSlackWebClient, SLACK_EVENTS_PATH, type SlackApp } from '../../src/slack/slack-app.js';
import type { AdvisoryFeedReader, Clock, Repositories } from '../../src/domain/ports.js';
import { embeddedStore } from '../support/embedded.js';
import { advisoriesJson } from '../support/fixtures.js';
import { seedOpenSocial, type SeedOptions, type Seeded } from '../support/seed.js';
import { blockText, startSlackStandIn, type SlackCall, type SlackStandIn } from '../support/slack-stand-in.js';
import { slackRequester, type SignOptions, type SlackRequester, type SlackUser } from '../support/slack-requests.js';
import { waitFor } from '../support/wait.js';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';
export const CHANNEL = 'C0OPS';
export const ALICE: SlackUser = { id: 'U0ALICE', name: 'alice' };
export const BOB: SlackUser = { id: 'U0BOB', name: 'bob' };
export const MALLORY: SlackUser = { id: 'U0MALLORY', name: 'mallory' };

export interface HarnessOptions {
  seed?: SeedOptions | false;
  slack?: Partial<Config['slack']>;
  logger?: Logger;
  /** Retry policy of the notifier's WebClient (default: no retries). */
  notifierRetries?: number;
  /** Pacing of message edits (default: 20 ms per message, a roomy budget, so suites run fast). */
  updates?: MessageUpdaterTiming;
  /** Security advisory feeds the services poll (default: none, the bundled map only). */
  advisoryFeeds?: AdvisoryFeedReader[];
  /** Time of rollouts (maintenance windows); real time by default. */
  clock?: Clock;
}

export interface PostedSummary {
  channel: string;
  ts: string;
  planId: string;
  text: string;
  call: SlackCall;
}

/** Plan id from a summary's link to its page (`/upgrades/<id>?…`): the summary shows no internal id. */
export const planIdOf = (blocks: unknown): string => {
  const id = /\/upgrades\/([0-9a-f]+)\?/.exec(JSON.stringify(blocks))?.[1];
  if (!id) throw new Error(`no plan link in ${blockText(blocks)}`);
  return id;
};

/** Waits for a new top-level (not threaded) chat.postMessage whose text contains `needle`. */
export const nextPost = (slack: SlackStandIn, needle: string, seen = new Set(slack.calls)): Promise<SlackCall> =>
  slack.waitFor(
    (c) => !seen.has(c) && c.method === 'chat.postMessage' && !c.args.thread_ts && blockText(c.args.blocks).includes(needle),
    `a message containing "${needle}"`,
  );

export interface Harness {
  url: string;
  slack: SlackStandIn;
  services: Services;
  repos: Repositories;
  jobs: SqliteJobQueue;
  notifier: SlackNotifier;
  /** The Bolt app (its receiver is Socket Mode when `slack.appToken` is given: start it with `slackApp.start()`). */
  slackApp: SlackApp;
  seeded: Seeded | null;
  requests: SlackRequester;
  /** Sends `/distro <text>` and waits for the reply posted to its response_url. */
  command(text: string, user?: SlackUser, options?: SignOptions): Promise<{ status: number; reply: SlackCall }>;
  /** Sends `/distro <text>` and returns once acked (for commands that post in the channel instead). */
  commandAck(text: string, user?: SlackUser): Promise<{ status: number; responseId: string }>;
  /** Clicks a button on a message; `replyExpected` waits for an ephemeral reply. */
  click(
    actionId: string,
    value: string,
    at: { channel: string; ts: string },
    user?: SlackUser,
    options?: SignOptions,
  ): Promise<{ status: number; responseId: string }>;
  /** The reply sent to one response_url. */
  replyTo(responseId: string): Promise<SlackCall>;
  /** Runs an `upgrade …` command and waits for the summary it posts in the channel. */
  postSummary(text: string, user?: SlackUser): Promise<PostedSummary>;
  /** The most recent chat.update of a message, waiting for one that matches `predicate`. */
  updateOf(ts: string, predicate: (text: string, call: SlackCall) => boolean, what?: string): Promise<SlackCall>;
  /** Waits until everything the notifier received is handled. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

let nextResponse = 0;

/** Waits for `condition` (shared helper; kept under this name for the Slack suites). The bound is a hang guard below jest's 30 s test timeout, so a failure names what never happened; it was 5 s, too short at load 10–20. */
export const eventually = (condition: () => Promise<boolean>, what: string, limitMs = 20_000): Promise<void> => waitFor(condition, what, limitMs);

export const startSlackHarness = async (options: HarnessOptions = {}): Promise<Harness> => {
  const slack = await startSlackStandIn();
  const logger = options.logger ?? silentLogger();
  const { repos, queue } = embeddedStore();
  // Never started: confirmed migrations stay queued, and tests drive task states themselves.
  const jobs = queue({ logger });
  const advisories = parseAdvisories(advisoriesJson());
  const services = createServices({
    repos,
    jobs,
    advisories: async () => advisories,
    ...(options.advisoryFeeds ? { advisoryFeeds: options.advisoryFeeds } : {}),
    links: { secret: 'link-secret-0123456789abcdef', ttlMs: 3_600_000, publicUrl: 'https://distro.example.org' },
    allowLocalUpstreams: true,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const config: Config['slack'] = {
    signingSecret: SIGNING_SECRET,
    botToken: 'xoxb-test-token',
    apiUrl: slack.apiUrl,
    command: '/distro',
    confirmers: [],
    confirmersUsergroup: null,
    defaultChannel: null,
    ...options.slack,
  };
  const expressApp = express();
  const notifier = createSlackNotifier({
    client: createSlackWebClient(config, logger, {
      retryConfig: { retries: options.notifierRetries ?? 0, factor: 1, minTimeout: 10, maxTimeout: 50 },
    }),
    services,
    defaultChannel: config.defaultChannel,
    logger,
    updates: {
      client: createSlackWebClient(config, logger, { rejectRateLimitedCalls: true, retryConfig: { retries: 0 } }),
      minIntervalMs: 20,
      burst: 1000,
      perMinute: 600_000,
      retryMs: 20,
      ...options.updates,
    },
  });
  const slackApp = createSlackApp({
    slack: config,
    services,
    redeliveries: repos.redeliveries,
    expressApp,
    logger,
    clientOptions: { retryConfig: { retries: 0 } },
    messenger: notifier.messenger,
  });
  const seeded = options.seed === false ? null : await seedOpenSocial(services, { channel: CHANNEL, ...options.seed });
  await notifier.idle();

  const server: Server = await new Promise((resolve) => {
    const s = expressApp.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${SLACK_EVENTS_PATH}`;
  const requests = slackRequester(url, SIGNING_SECRET);

  const replyTo = (responseId: string): Promise<SlackCall> =>
    slack.waitFor((c) => c.method === 'response_url' && c.responseId === responseId, `a reply on response_url ${responseId}`);

  const commandAck = async (text: string, user = ALICE, signOptions?: SignOptions) => {
    const responseId = `r${++nextResponse}`;
    const res = await requests.command({ text, user, channelId: CHANNEL, responseUrl: slack.responseUrl(responseId) }, signOptions);
    await res.arrayBuffer();
    return { status: res.status, responseId };
  };

  return {
    url,
    slack,
    services,
    repos,
    jobs,
    notifier,
    slackApp,
    seeded,
    requests,
    commandAck: (text, user) => commandAck(text, user),
    command: async (text, user, signOptions) => {
      const { status, responseId } = await commandAck(text, user, signOptions);
      return { status, reply: await replyTo(responseId) };
    },
    click: async (actionId, value, at, user = ALICE, signOptions) => {
      const responseId = `r${++nextResponse}`;
      const res = await requests.blockAction(
        { actionId, value, user, channelId: at.channel, messageTs: at.ts, responseUrl: slack.responseUrl(responseId) },
        signOptions,
      );
      await res.arrayBuffer();
      return { status: res.status, responseId };
    },
    replyTo,
    postSummary: async (text, user) => {
      const seen = new Set(slack.calls);
      const { responseId } = await commandAck(text, user);
      const posted = slack.waitFor((c) => !seen.has(c) && c.method === 'chat.postMessage' && !c.args.thread_ts, 'a posted summary');
      const replied = replyTo(responseId).then(
        (r) => {
          throw new Error(`"${text}" was answered instead of posted: ${blockText(r.args.blocks)}`);
        },
        () => new Promise<never>(() => undefined), // no reply at all is the expected case
      );
      const call = await Promise.race([posted, replied]);
      const ref = { channel: String(call.response.channel), ts: String(call.response.ts) };
      // The app stores where it posted right after Slack answers; later steps rely on it.
      await eventually(async () => (await repos.plans.get(planIdOf(call.args.blocks)))?.message?.ts === ref.ts, 'the plan message to be stored');
      return { ...ref, planId: planIdOf(call.args.blocks), text: blockText(call.args.blocks), call };
    },
    updateOf: (ts, predicate, what = 'a matching chat.update') =>
      slack.waitFor((c) => c.method === 'chat.update' && c.args.ts === ts && predicate(blockText(c.args.blocks), c), what),
    settle: async () => {
      await slackApp.work.idle();
      await notifier.idle();
    },
    close: async () => {
      await slackApp.stop();
      notifier.stop();
      await notifier.idle();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      await jobs.stop();
      await slack.close();
    },
  };
};
