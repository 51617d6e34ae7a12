/**
 * Posting and re-rendering upgrade summary messages. One per process, shared by the Bolt listeners and the
 * notifier. Every change only asks the MessageUpdater to refresh the plan's message; the updater renders it
 * from the plan's current state when its turn comes (coalesced, within Slack's rate limits), so the last
 * edit always shows the latest state.
 */
import type { WebClient } from '@slack/web-api';
import type { Task } from '../domain/task.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services/services.js';
import type { PlanView } from '../services/upgrade-service.js';
import { taskFailureMessage } from './blocks/task-list.js';
import { rolloutPausedMessage } from './blocks/rollout.js';
import { planMessage } from './blocks/upgrade-plan.js';
import type { MessageUpdater } from './message-updater.js';

export interface MessageRef {
  channel: string;
  ts: string;
}

/** How far back a restart looks for summaries whose last edit may have been lost. */
const RECOVER_FINISHED_WITHIN_MS = 15 * 60_000;
const RECOVER_PLANS = 200;

export class PlanMessenger {
  /** Failed tasks already reported in a thread (task.updated may be published more than once). */
  private readonly reported = new Set<string>();

  constructor(private readonly deps: { client: WebClient; services: Services; logger: Logger; updater: MessageUpdater }) {}

  render(view: PlanView) {
    const { links } = this.deps.services;
    return planMessage(view, {
      compareUrl: (from, to) => links.compareUrl(from, to),
      advisoryUrl: (id) => links.advisoryUrl(id),
      taskUrl: (id) => links.taskUrl(id),
      planUrl: (id) => links.planUrl(id),
    });
  }

  /** Posts a fresh summary in `channel` (in a thread when given) and remembers where, for later updates. */
  async post(view: PlanView, channel: string, threadTs?: string): Promise<MessageRef> {
    const { text, blocks } = this.render(view);
    const res = await this.deps.client.chat.postMessage({ channel, text, blocks, unfurl_links: false, ...(threadTs ? { thread_ts: threadTs } : {}) });
    const ref = { channel: res.channel ?? channel, ts: res.ts ?? '' };
    await this.deps.services.upgrades.setMessage(view.plan.id, ref);
    return ref;
  }

  /** The plan changed: its message is re-rendered from current state soon (coalesced with other changes). */
  refresh(planId: string): void {
    this.deps.updater.schedule(`plan:${planId}`, async () => {
      const view = await this.deps.services.upgrades.view(planId);
      const ref = view.plan.message;
      return ref ? { ...ref, ...this.render(view) } : null;
    });
  }

  /** Every pending summary of a distribution: after its target moved they must lose their buttons. */
  async refreshPending(distributionId: string): Promise<number> {
    const plans = await this.deps.services.upgrades.postedPending(distributionId);
    for (const plan of plans) this.refresh(plan.id);
    return plans.length;
  }

  /**
   * After a restart: edits that were waiting in memory are gone, so every summary that may be behind is
   * re-rendered from the store (recomputed, not replayed).
   */
  async recover(now = new Date()): Promise<number> {
    const plans = await this.deps.services.upgrades.postedInProgress(now, RECOVER_FINISHED_WITHIN_MS, RECOVER_PLANS);
    for (const plan of plans) this.refresh(plan.id);
    return plans.length;
  }

  /** Thread reply with the log tail under the plan message, once per failed task. */
  async reportFailure(task: Task): Promise<void> {
    if (!task.planId || task.state !== 'failed' || this.reported.has(task.id)) return;
    const ref = await this.deps.services.upgrades.messageOf(task.planId);
    if (!ref) return;
    this.reported.add(task.id);
    const { text, blocks } = taskFailureMessage(task);
    try {
      await this.deps.client.chat.postMessage({ channel: ref.channel, thread_ts: ref.ts, text, blocks });
    } catch (error) {
      this.reported.delete(task.id);
      throw error;
    }
  }

  /**
   * A failing wave paused a rollout: said once in the summary's thread and, with reply_broadcast, in its channel
   * (one message, so one call against Slack's limits).
   */
  async reportRolloutPaused(rolloutId: string, slashCommand: string): Promise<void> {
    const rollout = await this.deps.services.rollouts.get(rolloutId);
    const key = `rollout:${rollout.id}:${rollout.version}`;
    if (rollout.state !== 'paused' || this.reported.has(key)) return;
    const ref = await this.deps.services.upgrades.messageOf(rollout.planId);
    const channel = ref?.channel ?? (await this.deps.services.distributions.get(rollout.distributionId)).channel;
    if (!channel) return;
    this.reported.add(key);
    // Without a summary in Slack (confirmed on the pages or through the API) the rollout's page is where to act.
    const { text, blocks } = rolloutPausedMessage(rollout, slashCommand, ref ? undefined : this.deps.services.links.rolloutUrl(rollout.number));
    try {
      if (ref) await this.deps.client.chat.postMessage({ channel, text, blocks, thread_ts: ref.ts, reply_broadcast: true });
      else await this.deps.client.chat.postMessage({ channel, text, blocks });
    } catch (error) {
      this.reported.delete(key);
      throw error;
    }
  }

  /** Resolves once every scheduled edit went out (tests, graceful shutdown). */
  idle(): Promise<void> {
    return this.deps.updater.idle();
  }
}
