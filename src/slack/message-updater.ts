/**
 * The one way Distro edits a posted message (chat.update, Tier 3: about 50 a minute per workspace, with
 * bursts). Every change to a message only marks it dirty; the message is rendered from current state when its
 * turn comes, so any number of changes within the interval become one call and the last state is always the
 * one written. At least `minIntervalMs` between the end of one call for a message and the next; across messages a token bucket keeps the
 * workspace budget; a 429 pauses everything for its Retry-After and the message is sent again afterwards.
 *
 * Nothing here is durable, on purpose: after a restart the owners re-schedule what may be out of date
 * (recomputed from the store, see PlanMessenger.recover), which always renders the current truth.
 */
import { ErrorCode, type WebClient } from '@slack/web-api';
import type { Logger } from '../logger.js';
import type { Block } from './blocks/kit.js';
import { TokenBucket } from './token-bucket.js';

export interface MessageContent {
  channel: string;
  ts: string;
  text: string;
  blocks: Block[];
}

/** Renders the message from current state; null when there is (no longer) anything to update. */
export type RenderMessage = () => Promise<MessageContent | null>;

export interface MessageUpdaterTiming {
  /** Least time between two updates of one message (default 2 s). */
  minIntervalMs?: number;
  /** Workspace budget for chat.update (default: a burst of 10, 45 a minute: under Tier 3's ~50). */
  burst?: number;
  perMinute?: number;
  /** Wait after a failure that is not a rate limit (network, 5xx) before trying that message again. */
  retryMs?: number;
  /** Attempts for a message that keeps failing with such errors before it is dropped (logged). */
  maxAttempts?: number;
  now?: () => number;
}

export interface MessageUpdaterOptions extends MessageUpdaterTiming {
  /** Best created with `rejectRateLimitedCalls: true`, so a 429 comes back here instead of blocking the client. */
  client: WebClient;
  logger: Logger;
}

interface Entry {
  render: RenderMessage;
  dirty: boolean;
  inFlight: boolean;
  /**
   * When the last call for this message ended (answered or failed); the next update waits `minIntervalMs` from
   * here. From the end, not the start: a slow call must not let two edits reach Slack closer than the interval.
   */
  lastAt: number;
  /** Not before this time (after a failure). */
  notBefore: number;
  /** Order in which messages became dirty: the longest-waiting goes first. */
  seq: number;
  failures: number;
}

/** Slack platform errors after which updating the message again cannot help. */
const HOPELESS = new Set(['message_not_found', 'channel_not_found', 'cant_update_message', 'edit_window_closed', 'is_archived', 'not_in_channel', 'invalid_auth', 'account_inactive', 'token_revoked']);

export class MessageUpdater {
  private readonly entries = new Map<string, Entry>();
  private readonly bucket: TokenBucket;
  private readonly minIntervalMs: number;
  private readonly retryMs: number;
  private readonly maxAttempts: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private seq = 0;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  /** Calls made (for logs and tests). */
  readonly stats = { sent: 0, rateLimited: 0, failed: 0 };

  constructor(private readonly options: MessageUpdaterOptions) {
    this.now = options.now ?? Date.now;
    this.minIntervalMs = options.minIntervalMs ?? 2000;
    this.retryMs = options.retryMs ?? 5000;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.bucket = new TokenBucket({ capacity: options.burst ?? 10, perMinute: options.perMinute ?? 45, now: this.now });
  }

  /** Marks message `key` as changed; `render` (the newest wins) is called when its update goes out. */
  schedule(key: string, render: RenderMessage): void {
    if (this.stopped) return;
    const entry = this.entries.get(key);
    if (entry) {
      entry.render = render;
      if (!entry.dirty) entry.seq = ++this.seq;
      entry.dirty = true;
      entry.failures = 0;
    } else {
      this.entries.set(key, { render, dirty: true, inFlight: false, lastAt: -Infinity, notBefore: 0, seq: ++this.seq, failures: 0 });
    }
    this.pump();
  }

  /** Resolves when no message is waiting or being sent (tests, graceful shutdown). */
  /** Messages waiting for an edit (changed since their last one, or being sent). */
  backlog(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.dirty || e.inFlight) n++;
    return n;
  }

  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops what is waiting (the next start recomputes it) and stops the timer. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const [key, e] of this.entries) if (!e.inFlight) this.entries.delete(key);
    this.notifyIdle();
  }

  private isIdle(): boolean {
    for (const e of this.entries.values()) if (e.dirty || e.inFlight) return false;
    return true;
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private readyAt(e: Entry): number {
    return Math.max(e.lastAt + this.minIntervalMs, e.notBefore);
  }

  /** Sends every update that is due and has budget; arms the timer for the next one. */
  private pump(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.stopped) {
      for (const [key, e] of this.entries) if (!e.inFlight) this.entries.delete(key);
      return this.notifyIdle();
    }
    for (;;) {
      const now = this.now();
      let next: [string, Entry] | null = null;
      for (const item of this.entries) {
        const e = item[1];
        if (!e.dirty || e.inFlight) {
          // Forget messages that are done and past their interval (a later change starts a fresh entry).
          if (!e.dirty && !e.inFlight && this.readyAt(e) <= now) this.entries.delete(item[0]);
          continue;
        }
        if (!next || this.readyAt(e) < this.readyAt(next[1]) || (this.readyAt(e) === this.readyAt(next[1]) && e.seq < next[1].seq)) next = item;
      }
      if (!next) return this.notifyIdle();
      const due = this.readyAt(next[1]) - now;
      const wait = due > 0 ? due : this.bucket.waitMs();
      if (wait > 0 || !this.bucket.take()) {
        this.arm(Math.max(1, wait));
        return;
      }
      void this.send(next[0], next[1]);
    }
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pump();
    }, ms);
    // Pending edits alone do not keep the process alive (SIGTERM drains via idle()).
    this.timer.unref();
  }

  private async send(key: string, e: Entry): Promise<void> {
    e.dirty = false;
    e.inFlight = true;
    try {
      const content = await e.render();
      if (content) {
        await this.options.client.chat.update({ channel: content.channel, ts: content.ts, text: content.text, blocks: content.blocks });
        this.stats.sent++;
      }
      e.failures = 0;
    } catch (error) {
      this.onFailure(key, e, error);
    } finally {
      e.lastAt = this.now();
      e.inFlight = false;
      this.pump();
    }
  }

  private onFailure(key: string, e: Entry, error: unknown): void {
    const err = error as { code?: string; retryAfter?: number; data?: { error?: string } };
    if (err.code === ErrorCode.RateLimitedError) {
      // The whole workspace is over budget: stop everything for Retry-After, then send this message again.
      this.stats.rateLimited++;
      this.bucket.pause(Math.max(1, err.retryAfter ?? 1) * 1000);
      e.dirty = true;
      this.options.logger.warn({ message: key, retryAfterS: err.retryAfter }, 'Slack rate-limited chat.update; pausing message updates');
      return;
    }
    this.stats.failed++;
    const slackError = err.code === ErrorCode.PlatformError ? err.data?.error : undefined;
    if ((slackError && HOPELESS.has(slackError)) || ++e.failures >= this.maxAttempts) {
      this.options.logger.error({ err: error, message: key }, 'could not update a Slack message; giving up on it');
      return;
    }
    this.options.logger.warn({ err: error, message: key, attempt: e.failures }, 'could not update a Slack message; will try again');
    e.dirty = true;
    e.notBefore = this.now() + this.retryMs;
  }
}
