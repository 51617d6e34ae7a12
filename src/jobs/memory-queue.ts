/**
 * In-process JobQueue for the embedded mode and tests. Jobs live in a MemoryJobStore; queues sharing one
 * store behave like workers sharing a database: each job is claimed by exactly one of them (claiming is a
 * synchronous check-and-set, which is atomic on Node's single thread).
 */
import { randomBytes } from 'node:crypto';
import type { JobHandler, JobOptions, JobQueue } from '../domain/ports.js';
import { silentLogger, type Logger } from '../logger.js';
import { deepCopy } from '../persistence/records.js';
import { errorMessage, jobOptions, retryDelay } from './retry.js';

export interface StoredJob {
  id: number;
  name: string;
  data: unknown;
  /** Dedupe key for one-off jobs (scoped to the job name). */
  uniqueKey: string | null;
  /** Key of a recurring job (scoped to the job name); null for one-off jobs. */
  recurringKey: string | null;
  intervalMs: number | null;
  runAt: number;
  state: 'queued' | 'running' | 'done' | 'failed';
  /** Failed attempts so far in the current run (reset when a recurring job is rescheduled). */
  failures: number;
  owner: string | null;
  lastError: string | null;
}

/** Job storage that several MemoryJobQueue instances may share. */
export class MemoryJobStore {
  private seq = 0;
  private readonly jobs = new Map<number, StoredJob>();
  private readonly listeners = new Set<() => void>();

  /** Keeps finished jobs only up to this many, so a long-running embedded process does not grow forever. */
  constructor(private readonly keepFinished = 1000) {}

  add(job: Omit<StoredJob, 'id' | 'state' | 'failures' | 'owner' | 'lastError'>): StoredJob {
    const stored: StoredJob = { ...job, id: ++this.seq, state: 'queued', failures: 0, owner: null, lastError: null };
    this.jobs.set(stored.id, stored);
    this.notify();
    return stored;
  }

  find(pred: (job: StoredJob) => boolean): StoredJob | undefined {
    for (const job of this.jobs.values()) if (pred(job)) return job;
    return undefined;
  }

  all(): StoredJob[] {
    return [...this.jobs.values()];
  }

  remove(id: number): void {
    this.jobs.delete(id);
  }

  /** Claims the due job of `name` that is earliest to run, for `owner`; null when none is due. */
  claim(name: string, owner: string, now: number): StoredJob | null {
    let best: StoredJob | null = null;
    for (const job of this.jobs.values()) {
      if (job.name === name && job.state === 'queued' && job.runAt <= now && (!best || job.runAt < best.runAt)) best = job;
    }
    if (!best) return null;
    best.state = 'running';
    best.owner = owner;
    return best;
  }

  /** A run ended: capacity freed and maybe a retry queued, so wake the queues. */
  finished(): void {
    this.prune();
    this.notify();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    for (const l of this.listeners) l();
  }

  private prune(): void {
    const finished = this.all().filter((j) => j.state === 'done' || j.state === 'failed');
    for (const j of finished.slice(0, Math.max(0, finished.length - this.keepFinished))) this.jobs.delete(j.id);
  }
}

interface Definition {
  handler: JobHandler<unknown>;
  options: Required<JobOptions>;
  running: number;
}

export interface MemoryJobQueueOptions {
  logger?: Logger;
  /** Share one store between queues to model several workers. */
  store?: MemoryJobStore;
  /** How often to look for due jobs (delayed jobs, retries); new jobs wake the queue at once. */
  pollIntervalMs?: number;
  owner?: string;
}

export class MemoryJobQueue implements JobQueue {
  readonly store: MemoryJobStore;
  private readonly logger: Logger;
  private readonly pollIntervalMs: number;
  private readonly owner: string;
  private readonly definitions = new Map<string, Definition>();
  private readonly running = new Set<Promise<void>>();
  private started = false;
  private abort = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private pumping = false;

  constructor(options: MemoryJobQueueOptions = {}) {
    this.store = options.store ?? new MemoryJobStore();
    this.logger = options.logger ?? silentLogger();
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.owner = options.owner ?? `memory-${process.pid}-${randomBytes(3).toString('hex')}`;
  }

  define<T>(name: string, handler: JobHandler<T>, options?: JobOptions): void {
    this.definitions.set(name, { handler: handler as JobHandler<unknown>, options: jobOptions(options), running: 0 });
    if (this.started) this.pump();
  }

  async enqueue<T>(name: string, data: T, options: { uniqueKey?: string; runAt?: Date } = {}): Promise<void> {
    const uniqueKey = options.uniqueKey ?? null;
    if (uniqueKey !== null) {
      const pending = this.store.find(
        (j) => j.name === name && j.uniqueKey === uniqueKey && (j.state === 'queued' || j.state === 'running'),
      );
      if (pending) return;
    }
    this.store.add({
      name,
      data: deepCopy(data),
      uniqueKey,
      recurringKey: null,
      intervalMs: null,
      runAt: options.runAt?.getTime() ?? Date.now(),
    });
  }

  async every<T>(name: string, intervalMs: number, data: T, options: { uniqueKey: string }): Promise<void> {
    const existing = this.store.find((j) => j.name === name && j.recurringKey === options.uniqueKey);
    if (existing) {
      existing.intervalMs = intervalMs;
      existing.data = deepCopy(data);
      // A shorter interval takes effect now rather than after the old, longer wait.
      if (existing.state === 'queued') existing.runAt = Math.min(existing.runAt, Date.now() + intervalMs);
      this.store.notify();
      return;
    }
    this.store.add({
      name,
      data: deepCopy(data),
      uniqueKey: null,
      recurringKey: options.uniqueKey,
      intervalMs,
      runAt: Date.now(),
    });
  }

  async cancelRecurring(uniqueKey: string): Promise<void> {
    for (const job of this.store.all()) {
      if (job.recurringKey !== uniqueKey) continue;
      // A running one finishes its run but is not rescheduled.
      if (job.state === 'running') job.intervalMs = null;
      else this.store.remove(job.id);
      job.recurringKey = null;
    }
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.abort = new AbortController();
    this.unsubscribe = this.store.subscribe(() => this.pump());
    this.timer = setInterval(() => this.pump(), this.pollIntervalMs);
    this.pump();
  }

  async stop(): Promise<void> {
    if (this.started) {
      this.started = false;
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      this.unsubscribe?.();
      this.unsubscribe = null;
      this.abort.abort();
    }
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  async stats(): Promise<{ running: number; queued: number; started: boolean }> {
    return {
      running: this.running.size,
      queued: this.store.all().filter((j) => j.state === 'queued').length,
      started: this.started,
    };
  }

  /** Starts every due job this queue has room for. Re-entrant calls (store notifications) are folded in. */
  private pump(): void {
    if (!this.started || this.pumping) return;
    this.pumping = true;
    try {
      const now = Date.now();
      for (const [name, def] of this.definitions) {
        while (this.started && def.running < def.options.concurrency) {
          const job = this.store.claim(name, this.owner, now);
          if (!job) break;
          this.run(job, def);
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private run(job: StoredJob, def: Definition): void {
    def.running += 1;
    const signal = this.abort.signal;
    const attempt = job.failures + 1;
    const p = (async () => {
      try {
        await def.handler(deepCopy(job.data), { attempt, signal });
        this.settle(job, null, def);
      } catch (e) {
        this.settle(job, e, def, signal.aborted);
      }
    })().finally(() => {
      def.running -= 1;
      this.running.delete(p);
      this.store.finished();
    });
    this.running.add(p);
  }

  private settle(job: StoredJob, error: unknown, def: Definition, stopping = false): void {
    job.owner = null;
    const log = this.logger.child({ job: job.name, jobId: job.id });
    if (error === null) {
      job.lastError = null;
      return this.finish(job, 'done');
    }
    job.lastError = errorMessage(error);
    if (stopping) {
      // Interrupted by stop(): hand it back untouched so the next worker start resumes it.
      log.warn({ err: error }, 'job interrupted by shutdown; requeued');
      job.state = 'queued';
      job.runAt = Date.now();
      return;
    }
    job.failures += 1;
    const delay = retryDelay(error, job.failures, def.options);
    if (delay !== null) {
      log.warn({ err: error, attempt: job.failures, delayMs: delay }, 'job failed; retrying');
      job.state = 'queued';
      job.runAt = Date.now() + delay;
      return;
    }
    log.error({ err: error, attempts: job.failures }, 'job failed');
    this.finish(job, 'failed');
  }

  private finish(job: StoredJob, state: 'done' | 'failed'): void {
    if (job.intervalMs !== null) {
      job.state = 'queued';
      job.failures = 0;
      job.runAt = Date.now() + job.intervalMs;
    } else {
      job.state = state;
    }
  }
}
