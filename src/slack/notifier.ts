/**
 * Domain events → Slack, with a plain WebClient so the worker role can post without Bolt:
 * target changes are announced in the distribution's channel (and older summaries lose their Confirm), plan/task
 * changes re-render the plan message through the rate-limited MessageUpdater (and a failed migration gets its
 * log tail in the thread).
 *
 * Handlers run detached from the publisher: a slow or failing Slack call (rate limits are retried by the
 * WebClient) must never hold up or undo a migration or a target change. Failures are logged.
 */
import type { WebClient } from '@slack/web-api';
import type { DomainEvent } from '../domain/ports.js';
import type { Task } from '../domain/task.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services/services.js';
import type { Distribution } from '../domain/distribution.js';
import { advisoryDigestMessage } from './blocks/advisory-digest.js';
import { advisoryAnnouncementMessage, advisoryFixedMessage, advisoryRefusedMessage } from './blocks/advisory-announcement.js';
import { announcementMessage } from './blocks/announcement.js';
import type { SlackMessage } from './blocks/kit.js';
import { rollbackFinishedMessage } from './blocks/rollback.js';
import { buildFailedMessage, pollFailedMessage, pollNothingNewMessage } from './blocks/upstream-failures.js';
import { MessageUpdater, type MessageUpdaterTiming } from './message-updater.js';
import { PlanMessenger } from './plan-messages.js';

export interface SlackNotifierOptions {
  client: WebClient;
  services: Services;
  /** For distributions without a channel of their own. */
  defaultChannel: string | null;
  logger: Logger;
  /** The slash command, for the "resume with …" hint (default /distro). */
  slashCommand?: string;
  /**
   * Message edits: the client to use (best with `rejectRateLimitedCalls`, so 429s are paced here; default
   * `client`) and the pacing (tests shorten it).
   */
  updates?: MessageUpdaterTiming & { client?: WebClient };
}


export interface SlackNotifier {
  messenger: PlanMessenger;
  /** Handles one event (also what the subscription calls); never throws. */
  handle(event: DomainEvent): Promise<void>;
  /** Resolves once every event received so far has been handled (tests, graceful shutdown). */
  idle(): Promise<void>;
  /** Re-renders summaries that may be behind after a restart (see PlanMessenger.recover). */
  recover(): Promise<number>;
  /** Summary edits waiting (metrics). */
  backlog(): number;
  /** Unsubscribes from the event bus and stops editing messages. */
  stop(): void;
}

/**
 * Compiles only when every DomainEvent type has its case. At run time an unknown type (e.g. published by a newer
 * process on a shared bus) is ignored, as before.
 */
const unhandled = (_event: never): void => undefined;

export const createSlackNotifier = (options: SlackNotifierOptions): SlackNotifier => {
  const { client, services, logger } = options;
  const { client: updateClient = client, ...timing } = options.updates ?? {};
  const updater = new MessageUpdater({ client: updateClient, logger, ...timing });
  const messenger = new PlanMessenger({ client, services, logger, updater });
  const pending = new Set<Promise<void>>();

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
      advisoryUrl: (id) => services.links.advisoryUrl(id),
    });
    await client.chat.postMessage({ channel, text, blocks, unfurl_links: false });
  };

  const onTargetChanged = async (event: Extract<DomainEvent, { type: 'target.changed' }>): Promise<void> => {
    // Older summaries lose their Confirm at once, whether or not the announcement gets through.
    await messenger.refreshPending(event.distributionId);
    await announce(event);
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

  const onNothingNew = async (event: Extract<DomainEvent, { type: 'poll.nothing-new' }>): Promise<void> => {
    const distribution = await services.distributions.get(event.distributionId);
    const channel = distribution.channel ?? options.defaultChannel;
    if (event.actor.kind !== 'user' || !channel) return;
    const { text, blocks } = pollNothingNewMessage(distribution);
    // Only the person who asked needs to know; the channel does not.
    await client.chat.postEphemeral({ channel, user: event.actor.id, text, blocks });
  };

  /** Posts one message per distribution the event exposes; the service records each so none is doubled or lost. */
  const onAdvisory = async (eventId: string): Promise<void> => {
    await services.advisories.deliver(
      eventId,
      (d) => channelOf(d, 'security advisory'),
      async (a, channel, auto) => {
        const { text, blocks } = advisoryAnnouncementMessage(a, services.links.advisoryUrl(a.event.id), auto ?? null);
        const res = await client.chat.postMessage({ channel, text, blocks, unfurl_links: false });
        if (auto?.kind === 'started') {
          // The automatic rollout's summary in the announcement's thread, kept up to date like any other; its
          // failure must not lose the announcement's record (the announcement already names the rollout).
          const view = await services.upgrades.view(auto.rollout.planId);
          if (!view.plan.message) await messenger.post(view, channel, String(res.ts)).catch((err: unknown) => logger.error({ err, planId: view.plan.id }, 'could not post the automatic upgrade summary'));
        }
        return String(res.ts);
      },
      services.securityUpgrades.act,
    );
  };

  /** A build (or new target) that fixes an announced advisory: a follow-up in the announcement's thread. */
  const onFixCandidate = async (platformId: string): Promise<void> => {
    for (const f of await services.advisories.fixedBy(platformId)) {
      const current = await services.distributions.get(f.distribution.id);
      const isTarget = current.targetPlatformId === f.platform.id;
      const [assessment] = (await services.advisories.assessEvent(f.event)).filter((a) => a.distribution.id === f.distribution.id);
      const m = advisoryFixedMessage({ event: f.event, platform: f.platform, distribution: current, isTarget, exposedSites: assessment?.exposedSites ?? 0 });
      await client.chat.postMessage({ channel: f.announcement.channel, thread_ts: f.announcement.ts!, text: m.text, blocks: m.blocks, unfurl_links: false });
    }
  };

  const onBuilt = async (platformId: string): Promise<void> => {
    const platform = await services.platforms.get(platformId);
    const distribution = await services.distributions.get(platform.distributionId);
    // With autoTarget the build is about to become the target: its target.changed says so, with the button.
    if (!distribution.policy.autoTarget) await onFixCandidate(platformId);
  };

  /** A weekly digest the worker claimed: posted when anything is still exposed, then marked done either way. */
  const onDigest = async (event: Extract<DomainEvent, { type: 'advisory.digest' }>): Promise<void> => {
    const digest = await services.advisories.digest(event.distributionId);
    const channel = digest.exposedSites ? channelOf(digest.distribution, 'advisory digest') : null;
    if (channel) {
      const { text, blocks } = advisoryDigestMessage(digest, services.links.distributionUrl(digest.distribution.slug));
      await client.chat.postMessage({ channel, text, blocks, unfurl_links: false });
    }
    await services.advisories.digestPosted(event.key);
  };

  const onRefused = async (event: Extract<DomainEvent, { type: 'advisory.refused' }>): Promise<void> => {
    if (!options.defaultChannel) return logger.warn({ source: event.label, notice: event.notice }, 'advisory feed refused');
    const { text, blocks } = advisoryRefusedMessage(event.label, event.notice);
    await client.chat.postMessage({ channel: options.defaultChannel, text, blocks, unfurl_links: false });
  };

  /** A rollback has no summary to update: its end is said in the distribution's channel. */
  const onRollbackFinished = async (task: Task): Promise<void> => {
    if (!task.toPlatformId || (task.state !== 'succeeded' && task.state !== 'failed')) return;
    const previous = await services.platforms.get(task.toPlatformId);
    const distribution = await services.distributions.get(previous.distributionId);
    await post(distribution, 'rollback finished', rollbackFinishedMessage(task, previous, services.links.taskUrl(task.id)));
  };

  const onTask = async (taskId: string): Promise<void> => {
    const task = await services.tasks.byId(taskId);
    if (task?.type === 'rollback') return onRollbackFinished(task);
    if (!task?.planId) return;
    messenger.refresh(task.planId);
    if (task.state === 'failed') await messenger.reportFailure(task);
  };

  const process = async (event: DomainEvent): Promise<void> => {
    try {
      // Exhaustive: a new event type does not compile until it is handled here or listed as ignored.
      switch (event.type) {
        case 'target.changed':
          await onTargetChanged(event);
          return await onFixCandidate(event.targetId);
        case 'plan.updated':
          return messenger.refresh(event.planId);
        case 'rollout.updated':
          messenger.refresh(event.planId);
          if (event.notice === 'paused') await messenger.reportRolloutPaused(event.rolloutId, options.slashCommand ?? '/distro');
          return;
        case 'task.updated':
          return await onTask(event.taskId);
        case 'platform.failed':
          return await onBuildFailed(event.platformId);
        case 'poll.failed':
          return await onPollFailed(event);
        case 'poll.nothing-new':
          return await onNothingNew(event);
        case 'platform.built':
          return await onBuilt(event.platformId); // announced when it becomes the target (target.changed)
        case 'advisory.published':
          return await onAdvisory(event.eventId);
        case 'advisory.refused':
          return await onRefused(event);
        case 'advisory.digest':
          return await onDigest(event);
        default:
          return unhandled(event);
      }
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
      await updater.idle();
    },
    recover: async () => {
      // Advisory events committed but cut off before (all) their announcements went out.
      for (const e of await services.advisories.unannounced()) await handle({ type: 'advisory.published', eventId: e.id });
      return messenger.recover();
    },
    backlog: () => updater.backlog(),
    stop: () => {
      unsubscribe();
      updater.stop();
    },
  };
};
