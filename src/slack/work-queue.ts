/**
 * Slow Slack work (services, rendering, replies) runs here, after the ack, a few jobs at a time. Acks must
 * reach Slack within 3 s whatever else the process is doing: with every listener's work in flight at once, 50
 * concurrent commands made later acks wait behind earlier work. Jobs start on `setImmediate`, so requests that
 * are already waiting (I/O) are read and acked before more work starts, and while requests are still being
 * answered (`busy`) new jobs wait, up to `maxDeferMs`, so a burst of requests is acked first and worked off after.
 */
import type { Logger } from '../logger.js';

export interface WorkQueueOptions {
  /** Jobs running at once (default 4). */
  concurrency?: number;
  /** Jobs waiting beyond this are refused (their `onRefused` runs instead), so a flood cannot grow memory. */
  maxWaiting?: number;
  /** True while requests are being answered: new jobs wait (see maxDeferMs). */
  busy?: () => boolean;
  /** Longest a job waits for the requests to calm down (default 2 s): a steady flood must not starve work. */
  maxDeferMs?: number;
  logger: Logger;
}

interface Job {
  run: () => Promise<void>;
  onRefused?: () => Promise<void>;
  queuedAt: number;
}

export class WorkQueue {
  private readonly waiting: Job[] = [];
  private running = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly concurrency: number;
  private readonly maxWaiting: number;
  private deferred: NodeJS.Timeout | null = null;

  constructor(private readonly options: WorkQueueOptions) {
    this.concurrency = options.concurrency ?? 4;
    this.maxWaiting = options.maxWaiting ?? 1000;
  }

  /** Queues `run`; never throws (failures are logged: `run` should report its own errors to the user). */
  push(run: () => Promise<void>, onRefused?: () => Promise<void>): void {
    if (this.waiting.length >= this.maxWaiting) {
      this.options.logger.warn({ waiting: this.waiting.length }, 'Slack work queue full; refusing a request');
      void onRefused?.().catch((error: unknown) => this.options.logger.error({ err: error }, 'could not tell a user we are busy'));
      return;
    }
    this.waiting.push({ run, queuedAt: Date.now(), ...(onRefused ? { onRefused } : {}) });
    this.next();
  }

  /** Resolves when nothing is waiting or running. */
  idle(): Promise<void> {
    if (!this.running && !this.waiting.length) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private next(): void {
    const oldest = this.waiting[0];
    if (oldest && this.running < this.concurrency && this.options.busy?.() && Date.now() - oldest.queuedAt < (this.options.maxDeferMs ?? 2000)) {
      // Requests are being acked: look again shortly rather than compete with them.
      this.deferred ??= setTimeout(() => {
        this.deferred = null;
        this.next();
      }, 5);
      return;
    }
    while (this.running < this.concurrency && this.waiting.length) {
      const job = this.waiting.shift()!;
      this.running++;
      setImmediate(() => {
        job
          .run()
          .catch((error: unknown) => this.options.logger.error({ err: error }, 'Slack work failed'))
          .finally(() => {
            this.running--;
            this.next();
            if (!this.running && !this.waiting.length) {
              const waiters = this.idleWaiters;
              this.idleWaiters = [];
              for (const w of waiters) w();
            }
          });
      });
    }
  }
}
