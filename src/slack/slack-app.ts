/**
 * The Bolt app on an ExpressReceiver mounted into the given express app. One Request URL, `/slack/events`,
 * serves slash commands, interactivity and events. slackRequestGate refuses missing signature headers and
 * timestamps more than 5 minutes from now (either way) before the body is read; Bolt then verifies the v0
 * signature before any listener runs and answers 401 otherwise.
 *
 * The receiver reads the raw request body itself, so it must be mounted before any body parser that
 * would consume `/slack/events`.
 */
import { format } from 'node:util';
import { App, ExpressReceiver, LogLevel, SocketModeReceiver, type Logger as BoltLogger } from '@slack/bolt';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import express, { Router, type Express } from 'express';
import type { Redactor } from '../lib/redact.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services/services.js';
import type { RedeliveryStore } from '../domain/ports.js';
import { registerActions } from './listeners/actions.js';
import { registerAppHome } from './listeners/app-home.js';
import { registerCommands } from './listeners/commands.js';
import type { ListenerDeps } from './listeners/shared.js';
import { createPermissions, type Permissions } from './permissions.js';
import { MessageUpdater } from './message-updater.js';
import { PlanMessenger } from './plan-messages.js';
import { RedactingWebClient, type SlackCallObserver } from './redacting-web-client.js';
import { slackRequestGate } from './slack-request-gate.js';
import { SLACK_EVENTS_PATH } from './slack-surface.js';
import { WorkQueue } from './work-queue.js';

export { EXTRA_BOT_SCOPES, SLACK_BOT_EVENTS, SLACK_EVENTS_PATH, WEB_API_SCOPES } from './slack-surface.js';

/**
 * Bodies Bolt reads before verifying their signature (its default is 4 MB). Distro's largest payloads are button
 * clicks carrying an upgrade summary (at most 50 blocks, well under 200 KB).
 */
export const SLACK_BODY_LIMIT_BYTES = 1024 * 1024;

export interface SlackAppOptions {
  slack: Config['slack'];
  services: Services;
  /** Requests already handled (repos.redeliveries), so a Slack retry runs once in any web process. */
  redeliveries: RedeliveryStore;
  /** The HTTP app to mount `/slack/events` on; without it the receiver makes its own (`receiver.app`). */
  expressApp?: Express;
  logger: Logger;
  permissions?: Permissions;
  /** Extra WebClient options (e.g. retry policy); the API URL always comes from `slack.apiUrl`. */
  clientOptions?: WebClientOptions;
  /** Applied to everything the app's WebClient sends (see redacting-web-client.ts). */
  redact?: Redactor;
  /** Told of each Slack API call's outcome (metrics). */
  observeCalls?: SlackCallObserver;
  /** The process's summary messenger (the notifier's), so every edit of a message goes through one updater. */
  messenger?: PlanMessenger;
  /** Slow work after the ack: how many jobs at once (default 4). */
  workConcurrency?: number;
}

export interface SlackApp {
  app: App;
  /** HTTP request URLs (POST /slack/events), or Socket Mode when SLACK_APP_TOKEN is set. */
  receiver: ExpressReceiver | SocketModeReceiver;
  /** Socket Mode: opens the connection to Slack (start) and closes it (stop); nothing to do over HTTP. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Renders/updates upgrade summaries. */
  messenger: PlanMessenger;
  /** Work the listeners queued after acking (tests wait on `idle()`). */
  work: WorkQueue;
}

/** Bolt wants its own logger interface; route it into pino. */
export const boltLogger = (logger: Logger): BoltLogger => {
  const log = (level: 'debug' | 'info' | 'warn' | 'error') => (...msg: unknown[]) => logger[level]({ from: 'bolt' }, format(...msg));
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
};

/**
 * The Web API client every Slack adapter uses (Bolt listeners, the notifier in any role): API URL from config,
 * logs into pino. Rate limits and transient failures are retried by the WebClient itself.
 */
export const createSlackWebClient = (
  slack: Config['slack'],
  logger: Logger,
  clientOptions: WebClientOptions = {},
  redact?: Redactor,
  observe?: SlackCallObserver,
): WebClient => {
  const options = { ...clientOptions, slackApiUrl: slack.apiUrl, logger: boltLogger(logger) };
  return redact || observe
    ? new RedactingWebClient(slack.botToken ?? undefined, options, redact ?? ((text) => text), observe)
    : new WebClient(slack.botToken ?? undefined, options);
};

/** How long after the last answered request the Slack endpoint counts as quiet again. */
const QUIET_MS = 25;

export const createSlackApp = (options: SlackAppOptions): SlackApp => {
  const { slack, services, logger } = options;
  const log = boltLogger(logger);
  const expressApp = options.expressApp ?? express();
  // Requests being answered, or answered a moment ago (more are likely on their way): work queued by listeners
  // waits for a quiet moment, so acks go first.
  let answering = 0;
  let lastAnsweredAt = 0;
  expressApp.use(SLACK_EVENTS_PATH, (_req, res, next) => {
    answering++;
    res.once('close', () => {
      answering--;
      lastAnsweredAt = Date.now();
    });
    next();
  });
  const busy = () => answering > 0 || Date.now() - lastAnsweredAt < QUIET_MS;
  // Bolt adds its own handlers for the path to this router, after the gate.
  const router = Router();
  router.post(SLACK_EVENTS_PATH, slackRequestGate());
  // Socket Mode: Slack delivers over a WebSocket Distro opens (apps.connections.open with the app-level token), so
  // no public URL is needed; envelopes are acknowledged on the socket. Otherwise Slack posts to /slack/events.
  const receiver = slack.appToken
    ? new SocketModeReceiver({
        appToken: slack.appToken,
        logger: log,
        installerOptions: { clientOptions: { slackApiUrl: slack.apiUrl } },
      })
    : new ExpressReceiver({
        signingSecret: slack.signingSecret,
        endpoints: SLACK_EVENTS_PATH,
        router,
        bodyLimit: SLACK_BODY_LIMIT_BYTES,
        logger: log,
        app: expressApp,
      });
  const clientOptions: WebClientOptions = { ...options.clientOptions, slackApiUrl: slack.apiUrl, logger: log };
  const token = slack.botToken ?? undefined;
  const client = createSlackWebClient(slack, logger, options.clientOptions, options.redact, options.observeCalls);
  if (!token) logger.warn('SLACK_BOT_TOKEN is not set: Distro can answer commands but not post messages');
  // Single workspace: the bot identity is looked up once, on the first request (so starting never needs Slack),
  // and looked up again only if that failed.
  let identity: Promise<{ botId?: string; botUserId?: string }> | null = null;
  const authorize = async () => {
    if (!token) return {};
    identity ??= client.auth.test().then(
      (r) => ({ ...(r.bot_id ? { botId: r.bot_id } : {}), ...(r.user_id ? { botUserId: r.user_id } : {}) }),
      (error: unknown) => {
        identity = null;
        throw error;
      },
    );
    return { botToken: token, ...(await identity) };
  };
  const app = new App({ receiver, logger: log, clientOptions, authorize });

  const messenger =
    options.messenger ?? new PlanMessenger({ client, services, logger, updater: new MessageUpdater({ client, logger }) });
  const work = new WorkQueue({ logger, busy, ...(options.workConcurrency ? { concurrency: options.workConcurrency } : {}) });
  const deps: ListenerDeps = {
    services,
    logger,
    messenger,
    work,
    slashCommand: slack.command,
    redeliveries: options.redeliveries,
    ...(options.redact ? { redact: options.redact } : {}),
    permissions:
      options.permissions ??
      createPermissions({ confirmers: slack.confirmers, confirmersUsergroup: slack.confirmersUsergroup, logger }),
  };
  registerCommands(app, deps);
  registerActions(app, deps);
  registerAppHome(app, deps);
  app.error(async (error) => {
    logger.error({ err: error }, 'unhandled Slack listener error');
  });
  const socketMode = receiver instanceof SocketModeReceiver;
  return {
    app,
    receiver,
    messenger,
    work,
    start: async () => {
      if (socketMode) await app.start();
    },
    stop: async () => {
      if (socketMode) await app.stop();
    },
  };
};
