/**
 * Slow Slack work (services, rendering, replies) runs here, after the ack, a few jobs at a time. Acks must
 * reach Slack within 3 s whatever else the process is doing: with every listener's work in flight at once, 50
 * concurrent commands made later acks wait behind earlier work. Jobs start on `setImmediate`, so requests that
 * are already waiting (I/O) are read and acked before more work starts.
 */
import type { Logger } from '../logger.js';

export interface WorkQueueOptions {
  /** Jobs running at once (default 4). */
  concurrency?: number;
  /** Jobs waiting beyond this are refused (their `onRefused` runs instead), so a flood cannot grow memory. */
  maxWaiting?: number;
  logger: Logger;
}

interface Job {
  run: () => Promise<void>;
  onRefused?: () => Promise<void>;
}

export class WorkQueue {
  private readonly waiting: Job[] = [];
  private running = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly concurrency: number;
  private readonly maxWaiting: number;

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
    this.waiting.push({ run, ...(onRefused ? { onRefused } : {}) });
    this.next();
  }

  /** Resolves when nothing is waiting or running. */
  idle(): Promise<void> {
    if (!this.running && !this.waiting.length) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private next(): void {
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
