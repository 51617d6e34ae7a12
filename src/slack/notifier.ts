/**
 * Domain events → Slack, with a plain WebClient so the worker role can post without Bolt:
 * target changes are announced in the distribution's channel, plan/task changes re-render the plan message
 * (and a failed migration gets its log tail in the thread).
 *
 * Handlers run detached from the publisher: a slow or failing Slack call (rate limits are retried by the
 * WebClient) must never hold up or undo a migration or a target change. Failures are logged.
 */
import type { WebClient } from '@slack/web-api';
import type { DomainEvent, Repositories } from '../domain/ports.js';
import type { Task } from '../domain/task.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services/services.js';
import type { Distribution } from '../domain/distribution.js';
import { announcementMessage } from './blocks/announcement.js';
import type { SlackMessage } from './blocks/kit.js';
import { buildFailedMessage, pollFailedMessage } from './blocks/upstream-failures.js';
import { PlanMessenger } from './plan-messages.js';

export interface SlackNotifierOptions {
  client: WebClient;
  services: Services;
  /** Reads tasks by id directly when given (otherwise through the task service). */
  repos?: Repositories;
  /** For distributions without a channel of their own. */
  defaultChannel: string | null;
  logger: Logger;
}

export interface SlackNotifier {
  messenger: PlanMessenger;
  /** Handles one event (also what the subscription calls); never throws. */
  handle(event: DomainEvent): Promise<void>;
  /** Resolves once every event received so far has been handled (tests, graceful shutdown). */
  idle(): Promise<void>;
  /** Unsubscribes from the event bus. */
  stop(): void;
}

export const createSlackNotifier = (options: SlackNotifierOptions): SlackNotifier => {
  const { client, services, logger } = options;
  const messenger = new PlanMessenger({ client, services, logger });
  const pending = new Set<Promise<void>>();

  const getTask = (id: string): Promise<Task | null> => (options.repos ? options.repos.tasks.get(id) : services.tasks.get(id));

  const channelOf = (distribution: Distribution, what: string): string | null => {
    const channel = distribution.channel ?? options.defaultChannel;
    if (!channel) logger.info({ distribution: distribution.slug }, `${what}; no channel to announce it in`);
    return channel;
  };

  const announce = async (event: Extract<DomainEvent, { type: 'target.changed' }>): Promise<void> => {
    const distribution = await services.distributions.get(event.distributionId);
    const channel = channelOf(distribution, 'target changed');
    if (!channel) return;
    const target = await services.platforms.get(event.targetId);
    const previous = event.previousTargetId ? await services.platforms.get(event.previousTargetId) : null;
    const [compare, [outdated]] = await Promise.all([
      previous ? services.compare.compare(previous, target) : Promise.resolve(null),
      services.distributions.status(distribution.slug),
    ]);
    const { text, blocks } = announcementMessage({
      distribution,
      target,
      previous,
      compare,
      outdated: outdated ?? { distribution, target, groups: [] },
      actor: event.actor,
      compareUrl: previous ? services.links.compareUrl(previous.id, target.id) : null,
    });
    await client.chat.postMessage({ channel, text, blocks, unfurl_links: false });
  };

  const post = async (distribution: Distribution, what: string, m: SlackMessage): Promise<void> => {
    const channel = channelOf(distribution, what);
    if (channel) await client.chat.postMessage({ channel, text: m.text, blocks: m.blocks, unfurl_links: false });
  };

  const onBuildFailed = async (platformId: string): Promise<void> => {
    const platform = await services.platforms.get(platformId);
    const distribution = await services.distributions.get(platform.distributionId);
    await post(distribution, 'build failed', buildFailedMessage(platform, distribution));
  };

  const onPollFailed = async (event: Extract<DomainEvent, { type: 'poll.failed' }>): Promise<void> => {
    const distribution = await services.distributions.get(event.distributionId);
    await post(distribution, 'poll failed', pollFailedMessage(distribution, event.actor, event.error));
  };

  const onTask = async (taskId: string): Promise<void> => {
    const task = await getTask(taskId);
    if (!task?.planId) return;
    const view = await messenger.refresh(task.planId);
    if (task.state === 'failed') await messenger.reportFailure(task, view);
  };

  const process = async (event: DomainEvent): Promise<void> => {
    try {
      if (event.type === 'target.changed') await announce(event);
      else if (event.type === 'plan.updated') await messenger.refresh(event.planId);
      else if (event.type === 'task.updated') await onTask(event.taskId);
      else if (event.type === 'platform.failed') await onBuildFailed(event.platformId);
      else if (event.type === 'poll.failed') await onPollFailed(event);
    } catch (error) {
      logger.error({ err: error, event }, 'could not send a Slack notification');
    }
  };

  const handle = (event: DomainEvent): Promise<void> => {
    const p = process(event);
    pending.add(p);
    void p.finally(() => pending.delete(p));
    return p;
  };

  const unsubscribe = services.events.subscribe((event) => {
    void handle(event);
  });

  return {
    messenger,
    handle,
    idle: async () => {
      while (pending.size) await Promise.all([...pending]);
    },
    stop: unsubscribe,
  };
};
