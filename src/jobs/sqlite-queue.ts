/**
 * JobQueue of the embedded mode, in the same SQLite database as the state: a job and the state it changes can
 * commit together (enqueue inside `repos.transaction`), and queued jobs survive a restart. Queues on one
 * database act as workers of one deployment: a claim is one write transaction (queued → running, owner set),
 * so each job runs once. Jobs a dead process left running are queued again when the database is opened
 * (the database's exclusive lock means no other process can still be running them).
 */
import { randomBytes } from 'node:crypto';
import type { JobBacklog, JobHandler, JobOptions, JobQueue } from '../domain/ports.js';
import { silentLogger, type Logger } from '../logger.js';
import type { SqliteDatabase } from '../persistence/sqlite/database.js';
import { runAsJobOf, withRequestId } from '../lib/request-context.js';
import { errorMessage, jobOptions, retryDelay } from './retry.js';

/** A job as stored (for diagnostics and tests). */
export interface StoredJob {
  id: number;
  name: string;
  data: unknown;
  /** Dedupe key for one-off jobs (scoped to the job name). */
  uniqueKey: string | null;
  /** Key of a recurring job (scoped to the job name); null for one-off jobs. */
  recurringKey: string | null;
  intervalMs: number | null;
  runAt: Date;
  state: 'queued' | 'running' | 'done' | 'failed';
  /** Failed attempts so far in the current run (reset when a recurring job is rescheduled). */
  failures: number;
  owner: string | null;
  lastError: string | null;
}

interface JobRow {
  id: number;
  name: string;
  data: string;
  unique_key: string | null;
  recurring_key: string | null;
  interval_ms: number | null;
  run_at: number;
  state: StoredJob['state'];
  failures: number;
  owner: string | null;
  last_error: string | null;
}

const toJob = (r: JobRow): StoredJob => ({
  id: r.id,
  name: r.name,
  data: JSON.parse(r.data) as unknown,
  uniqueKey: r.unique_key,
  recurringKey: r.recurring_key,
  intervalMs: r.interval_ms,
  runAt: new Date(r.run_at),
  state: r.state,
  failures: r.failures,
  owner: r.owner,
  lastError: r.last_error,
});

interface Definition {
  handler: JobHandler<unknown>;
  options: Required<JobOptions>;
  running: number;
}

/** Retry delays for recording a job's end when the write fails (first, and at most). */
const SETTLE_RETRY_FIRST_MS = 100;
const SETTLE_RETRY_MAX_MS = 5_000;

export interface SqliteJobQueueOptions {
  db: SqliteDatabase;
  logger?: Logger;
  /** How often to look for due jobs (delayed jobs, retries); new jobs wake the queue at once. */
  pollIntervalMs?: number;
  owner?: string;
  /** Finished jobs kept (newest), so a long-running process does not grow the table forever. */
  keepFinished?: number;
}

export class SqliteJobQueue implements JobQueue {
  private readonly db: SqliteDatabase;
  private readonly logger: Logger;
  private readonly pollIntervalMs: number;
  private readonly owner: string;
  private readonly keepFinished: number;
  private readonly definitions = new Map<string, Definition>();
  private readonly running = new Set<Promise<void>>();
  private started = false;
  private abort = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private pumping = false;
  private pumpAgain = false;

  constructor(options: SqliteJobQueueOptions) {
    this.db = options.db;
    this.logger = options.logger ?? silentLogger();
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.owner = options.owner ?? `sqlite-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.keepFinished = options.keepFinished ?? 1000;
  }

  define<T>(name: string, handler: JobHandler<T>, options?: JobOptions): void {
    this.definitions.set(name, { handler: handler as JobHandler<unknown>, options: jobOptions(options), running: 0 });
    if (this.started) void this.pump();
  }

  async enqueue<T>(name: string, data: T, options: { uniqueKey?: string; runAt?: Date } = {}): Promise<void> {
    const runAt = options.runAt?.getTime() ?? Date.now();
    // The partial unique index makes a duplicate unfinished uniqueKey a no-op, even between racing writers.
    await this.db.write(() =>
      this.db.run(
        `INSERT INTO jobs (name, data, unique_key, run_at, state) VALUES (?, ?, ?, ?, 'queued') ON CONFLICT DO NOTHING`,
        name,
        JSON.stringify(withRequestId(data) ?? null),
        options.uniqueKey ?? null,
        runAt,
      ),
    );
    this.db.jobsChanged();
  }

  async every<T>(name: string, intervalMs: number, data: T, options: { uniqueKey: string }): Promise<void> {
    const now = Date.now();
    await this.db.write(() => {
      const payload = JSON.stringify(data ?? null);
      // A shorter interval takes effect now rather than after the old, longer wait.
      const { changes } = this.db.run(
        `UPDATE jobs SET interval_ms = ?, data = ?, run_at = CASE WHEN state = 'queued' THEN MIN(run_at, ?) ELSE run_at END
         WHERE name = ? AND recurring_key = ?`,
        intervalMs, payload, now + intervalMs, name, options.uniqueKey,
      );
      if (!changes) {
        this.db.run(
          `INSERT INTO jobs (name, data, recurring_key, interval_ms, run_at, state) VALUES (?, ?, ?, ?, ?, 'queued')`,
          name, payload, options.uniqueKey, intervalMs, now,
        );
      }
    });
    this.db.jobsChanged();
  }

  async cancelRecurring(uniqueKey: string): Promise<void> {
    await this.db.write(() => {
      this.db.run(`DELETE FROM jobs WHERE recurring_key = ? AND state != 'running'`, uniqueKey);
      // A running one finishes its run but is not rescheduled.
      this.db.run('UPDATE jobs SET interval_ms = NULL, recurring_key = NULL WHERE recurring_key = ?', uniqueKey);
    });
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.abort = new AbortController();
    this.unsubscribe = this.db.onJobsChanged(() => void this.pump());
    this.timer = setInterval(() => void this.pump(), this.pollIntervalMs);
    void this.pump();
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
    const queued = await this.db.read(() => this.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM jobs WHERE state = 'queued'`)!.n);
    return { running: this.running.size, queued, started: this.started };
  }

  async backlog(now: Date): Promise<JobBacklog[]> {
    const rows = await this.db.read(() =>
      this.db.all<{ name: string; due: number; oldest: number }>(
        `SELECT name, COUNT(*) AS due, MIN(run_at) AS oldest FROM jobs WHERE state = 'queued' AND run_at <= ? GROUP BY name ORDER BY name`,
        now.getTime(),
      ),
    );
    return rows.map((r) => ({ name: r.name, due: r.due, oldestDueAt: new Date(r.oldest) }));
  }

  /** Jobs as stored, oldest first (diagnostics and tests). */
  async list(name?: string): Promise<StoredJob[]> {
    return this.db.read(() =>
      (name === undefined
        ? this.db.all<JobRow>('SELECT * FROM jobs ORDER BY id')
        : this.db.all<JobRow>('SELECT * FROM jobs WHERE name = ? ORDER BY id', name)
      ).map(toJob),
    );
  }

  /** Starts every due job this queue has room for. Calls while one runs are folded into one more round. */
  private async pump(): Promise<void> {
    if (!this.started) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        for (const [name, def] of this.definitions) {
          const room = def.options.concurrency - def.running;
          if (!this.started || room <= 0) continue;
          for (const job of await this.claim(name, room)) this.run(job, def);
        }
      } while (this.pumpAgain && this.started);
    } catch (err) {
      this.logger.error({ err }, 'job queue could not claim jobs');
    } finally {
      this.pumping = false;
    }
  }

  /** Claims up to `limit` due jobs of `name`, earliest first; a read first so an idle poll writes nothing. */
  private async claim(name: string, limit: number): Promise<StoredJob[]> {
    const now = Date.now();
    const due = `SELECT id FROM jobs WHERE name = ? AND state = 'queued' AND run_at <= ? ORDER BY run_at, id LIMIT ?`;
    const any = await this.db.read(() => this.db.get(due, name, now, limit));
    if (!any) return [];
    const rows = await this.db.write(() =>
      this.db.all<JobRow>(`UPDATE jobs SET state = 'running', owner = ? WHERE id IN (${due}) RETURNING *`, this.owner, name, now, limit),
    );
    return rows.map(toJob).sort((a, b) => a.runAt.getTime() - b.runAt.getTime() || a.id - b.id);
  }

  private run(job: StoredJob, def: Definition): void {
    def.running += 1;
    const signal = this.abort.signal;
    const p = (async () => {
      let failure: { error: unknown } | null = null;
      try {
        await runAsJobOf(job.data, () => def.handler(job.data, { attempt: job.failures + 1, signal }));
      } catch (e) {
        failure = { error: e };
      }
      return this.settleUntilDone(job, failure, def, failure !== null && signal.aborted);
    })()
      .catch((err: unknown) => this.logger.error({ err, job: job.name, jobId: job.id }, 'could not record the end of a job'))
      .finally(() => {
        def.running -= 1;
        this.running.delete(p);
        // Capacity freed, maybe a retry queued: look again.
        void this.pump();
      });
    this.running.add(p);
  }

  /**
   * Records the end of a job, trying again until it is written (a full disk): a job left `running` here would be
   * stuck under this live process until a restart, recurring ones (recover, poll, prune) included. Gives up only
   * when the queue stops; the job row then stays `running`, which the next open of the database queues again.
   */
  private async settleUntilDone(job: StoredJob, failure: { error: unknown } | null, def: Definition, stopping: boolean): Promise<void> {
    for (let tries = 1; ; tries++) {
      try {
        return await this.settle(job, failure, def, stopping);
      } catch (err) {
        if (!this.started) throw err;
        const delayMs = Math.min(SETTLE_RETRY_MAX_MS, SETTLE_RETRY_FIRST_MS * 2 ** Math.min(tries - 1, 10));
        if (tries === 1 || tries % 20 === 0) this.logger.warn({ err, job: job.name, jobId: job.id, tries, delayMs }, 'could not record the end of a job; trying again');
        await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
      }
    }
  }

  private async settle(job: StoredJob, failure: { error: unknown } | null, def: Definition, stopping: boolean): Promise<void> {
    const log = this.logger.child({ job: job.name, jobId: job.id });
    const now = Date.now();
    let message: () => void = () => undefined;
    await this.db.write(() => {
      const row = this.db.get<Pick<JobRow, 'interval_ms' | 'failures'>>('SELECT interval_ms, failures FROM jobs WHERE id = ?', job.id);
      if (!row) return;
      const requeue = (runAt: number, failures: number, lastError: string | null) =>
        this.db.run(`UPDATE jobs SET state = 'queued', owner = NULL, run_at = ?, failures = ?, last_error = ? WHERE id = ?`, runAt, failures, lastError, job.id);
      const finish = (state: 'done' | 'failed', failures: number, lastError: string | null) => {
        if (row.interval_ms !== null) requeue(now + row.interval_ms, 0, lastError);
        else {
          this.db.run('UPDATE jobs SET state = ?, owner = NULL, failures = ?, last_error = ? WHERE id = ?', state, failures, lastError, job.id);
          this.prune();
        }
      };
      if (!failure) return finish('done', row.failures, null);
      const error = failure.error;
      const lastError = errorMessage(error);
      if (stopping) {
        // Interrupted by stop(): hand it back untouched so the next worker start resumes it.
        requeue(now, row.failures, lastError);
        message = () => log.warn({ err: error }, 'job interrupted by shutdown; requeued');
        return;
      }
      const failures = row.failures + 1;
      const delay = retryDelay(error, failures, def.options);
      if (delay !== null) {
        requeue(now + delay, failures, lastError);
        message = () => log.warn({ err: error, attempt: failures, delayMs: delay }, 'job failed; retrying');
        return;
      }
      finish('failed', failures, lastError);
      message = () => log.error({ err: error, attempts: failures }, 'job failed');
    });
    message();
  }

  private prune(): void {
    this.db.run(
      `DELETE FROM jobs WHERE state IN ('done','failed') AND id NOT IN
         (SELECT id FROM jobs WHERE state IN ('done','failed') ORDER BY id DESC LIMIT ?)`,
      this.keepFinished,
    );
  }
}
