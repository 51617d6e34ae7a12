/**
 * Posting and re-rendering upgrade summary messages. Used by the Bolt listeners (web role) and the notifier
 * (any role), each with its own WebClient. Renders always read the plan's current state, and renders of one
 * plan run one after another, so a slower, older render can never overwrite a newer one.
 */
import type { WebClient } from '@slack/web-api';
import type { Task } from '../domain/task.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services/services.js';
import type { PlanView } from '../services/upgrade-service.js';
import { taskFailureMessage } from './blocks/task-list.js';
import { planMessage, type PlanMessageOptions } from './blocks/upgrade-plan.js';

export interface MessageRef {
  channel: string;
  ts: string;
}

export class PlanMessenger {
  private readonly chains = new Map<string, Promise<unknown>>();
  /** Failed tasks already reported in a thread (task.updated may be published more than once). */
  private readonly reported = new Set<string>();

  constructor(private readonly deps: { client: WebClient; services: Services; logger: Logger }) {}

  render(view: PlanView, skipped?: PlanMessageOptions['skipped']) {
    return planMessage(view, {
      compareUrl: (from, to) => this.deps.services.links.compareUrl(from, to),
      ...(skipped ? { skipped } : {}),
    });
  }

  /** Posts a fresh summary in `channel` and remembers where, for later updates. */
  async post(view: PlanView, channel: string): Promise<MessageRef> {
    const { text, blocks } = this.render(view);
    const res = await this.deps.client.chat.postMessage({ channel, text, blocks, unfurl_links: false });
    const ref = { channel: res.channel ?? channel, ts: res.ts ?? '' };
    await this.deps.services.upgrades.setMessage(view.plan.id, ref);
    return ref;
  }

  /** Re-renders the plan's message from current state. `at` is used when the plan has no stored message yet. */
  refresh(planId: string, options: { skipped?: PlanMessageOptions['skipped']; at?: MessageRef } = {}): Promise<PlanView> {
    return this.serial(planId, async () => {
      const view = await this.deps.services.upgrades.view(planId);
      const ref = view.plan.message ?? options.at;
      if (!ref) return view;
      const { text, blocks } = this.render(view, options.skipped);
      await this.deps.client.chat.update({ channel: ref.channel, ts: ref.ts, text, blocks });
      return view;
    });
  }

  /** Thread reply with the log tail under the plan message, once per failed task. */
  async reportFailure(task: Task, view: PlanView): Promise<void> {
    const ref = view.plan.message;
    if (!ref || task.state !== 'failed' || this.reported.has(task.id)) return;
    this.reported.add(task.id);
    const { text, blocks } = taskFailureMessage(task);
    try {
      await this.deps.client.chat.postMessage({ channel: ref.channel, thread_ts: ref.ts, text, blocks });
    } catch (error) {
      this.reported.delete(task.id);
      throw error;
    }
  }

  private serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(fn);
    this.chains.set(key, next);
    void next
      .finally(() => {
        if (this.chains.get(key) === next) this.chains.delete(key);
      })
      .catch(() => undefined);
    return next;
  }
}
