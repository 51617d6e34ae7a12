/**
 * JobQueue on Agenda 6 + MongoDB, sharing the application's mongoose connection (no second pool).
 * Job data is wrapped in an envelope so dedupe keys live beside the payload where Agenda's unique() can
 * match them; the retry policy is the same function the SQLite queue uses.
 */
import { MongoBackend } from '@agendajs/mongo-backend';
import { Agenda, type AgendaBackend, type Job } from 'agenda';
import { ObjectId, type Db } from 'mongodb';
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Connection } from 'mongoose';
import { TransientError } from '../domain/errors.js';
import { isDuplicateKey } from '../lib/is-duplicate-key.js';
import type { JobBacklog, JobHandler, JobOptions, JobQueue } from '../domain/ports.js';
import { silentLogger, type Logger } from '../logger.js';
import { runAsJobOf, withRequestId } from '../lib/request-context.js';
import { errorMessage, jobOptions, retryDelay } from './retry.js';

interface Envelope {
  payload: unknown;
  uniqueKey?: string;
  /** The uniqueKey while the job is unfinished; removed when it ends for good. A unique index holds one per key. */
  activeKey?: string;
  recurringKey?: string;
}

export interface AgendaJobQueueOptions {
  connection: Connection;
  /** Jobs collection (default `agendaJobs`). */
  collection?: string;
  logger?: Logger;
  /** Worker name recorded on jobs it touches (a random suffix keeps it unique per queue). */
  owner?: string;
  /** How often to look for due jobs (default 2 s). */
  processEveryMs?: number;
  /**
   * A running job's lock is refreshed (touch) every quarter of this; a worker silent for longer is presumed dead
   * and its jobs are run by another (default 20 s: a dead worker's jobs are picked up within ~25 s).
   */
  lockLifetimeMs?: number;
}

const DEFAULT_COLLECTION = 'agendaJobs';
const DEFAULT_LOCK_LIFETIME_MS = 20_000;
/** Agenda's own cap on jobs running at once across all names (its default is 20). */
const MIN_MAX_CONCURRENCY = 20;
/** One recurring schedule per key, even when two workers declare it at the same moment. */
const RECURRING_KEY_INDEX = 'distro_recurringKey_unique';
/** One unfinished job per uniqueKey, even when two processes enqueue it at the same moment. */
const ACTIVE_KEY_INDEX = 'distro_activeKey_unique';

export class AgendaJobQueue implements JobQueue {
  private readonly agenda: Agenda;
  private readonly logger: Logger;
  private readonly db: Db;
  private readonly collectionName: string;
  private readonly lockLifetimeMs: number;
  /** Unique per queue: stop() releases exactly the jobs locked under this name. */
  private readonly name: string;
  /** Jobs collection set up (Agenda's index and ours); rejects with the cause, never unhandled. */
  private readonly connected: Promise<void>;
  private abort = new AbortController();
  private started = false;
  private stopping = false;
  private running = 0;
  private totalConcurrency = 0;

  constructor(options: AgendaJobQueueOptions) {
    const db = options.connection.db;
    if (!db) throw new Error('AgendaJobQueue needs an open mongoose connection (connection.db is not set yet).');
    // One copy of the driver: package.json pins \`mongodb\` to mongoose's range, so npm dedupes it and this Db is ours.
    this.db = db;
    this.collectionName = options.collection ?? DEFAULT_COLLECTION;
    this.logger = options.logger ?? silentLogger();
    this.lockLifetimeMs = options.lockLifetimeMs ?? DEFAULT_LOCK_LIFETIME_MS;
    this.name = `${options.owner ?? `agenda-${process.pid}`}-${randomBytes(3).toString('hex')}`;
    const mongo = new MongoBackend({ mongo: this.db, collection: this.collectionName });
    this.connected = mongo.connect().then(() => this.ensureIndexes());
    // Agenda connects its backend from its constructor with no catch: a failure there would be an unhandled
    // rejection (a crash, or a test failing at random when the connection closes first). It gets our attempt
    // instead, already handled; if that failed Agenda never becomes ready and our methods throw the cause.
    this.connected.catch((err: unknown) => this.logger.error({ err }, 'job queue setup failed'));
    const backend: AgendaBackend = {
      name: mongo.name,
      repository: mongo.repository,
      logger: mongo.logger,
      ownsConnection: false,
      connect: () => this.connected.catch(() => new Promise<void>(() => undefined)),
      disconnect: async () => undefined, // the connection belongs to the app
    };
    this.agenda = new Agenda({
      backend,
      name: this.name,
      processEvery: options.processEveryMs ?? 2000,
      defaultLockLifetime: this.lockLifetimeMs,
    });
    this.agenda.on('error', (err: Error) => this.logger.error({ err }, 'agenda error'));
  }

  define<T>(name: string, handler: JobHandler<T>, options?: JobOptions): void {
    const opts = jobOptions(options);
    this.totalConcurrency += opts.concurrency;
    this.agenda.define<Envelope>(
      name,
      async (job: Job<Envelope>) => {
        const attempt = (job.attrs.failCount ?? 0) + 1;
        // Keep the lock fresh so long jobs are not mistaken for dead ones and run twice. touch() also moves the
        // lockedAt Agenda's own liveness check reads (every half lifetime), so a quarter leaves a missed beat spare.
        const heartbeat = setInterval(() => void job.touch().catch(() => undefined), this.lockLifetimeMs / 4);
        this.running += 1;
        try {
          const payload = job.attrs.data.payload as T;
          await runAsJobOf(payload, () => handler(payload, { attempt, signal: this.abort.signal }));
          await this.finished(job);
        } catch (err) {
          const log = this.logger.child({ job: name, jobId: String(job.attrs._id) });
          if (this.stopping) log.warn({ err }, 'job interrupted by shutdown; requeued');
          else if (retryDelay(err, attempt, opts) !== null) log.warn({ err, attempt }, 'job failed; retrying');
          else {
            log.error({ err, attempts: attempt }, 'job failed');
            await this.finished(job);
          }
          throw err;
        } finally {
          clearInterval(heartbeat);
          this.running -= 1;
        }
      },
      {
        concurrency: opts.concurrency,
        // Lock no more than we can run, so a second worker gets the rest instead of waiting on our backlog.
        lockLimit: opts.concurrency,
        lockLifetime: this.lockLifetimeMs,
        // Interrupted by stop(): run again as soon as a worker is up; otherwise the shared retry policy.
        backoff: (ctx) => (this.stopping ? 0 : retryDelay(ctx.error, ctx.attempt, opts)),
      },
    );
  }

  async enqueue<T>(name: string, data: T, options: { uniqueKey?: string; runAt?: Date } = {}): Promise<void> {
    await this.ready();
    const envelope: Envelope = { payload: withRequestId(data) };
    const job = this.agenda.create<Envelope>(name, envelope);
    if (options.runAt) job.schedule(options.runAt);
    if (options.uniqueKey === undefined) {
      await job.save();
      return;
    }
    envelope.uniqueKey = options.uniqueKey;
    envelope.activeKey = options.uniqueKey;
    // Matches only the unfinished job of this key (activeKey is removed when a job ends for good).
    job.unique({ 'data.activeKey': options.uniqueKey }, { insertOnly: true });
    try {
      await job.save();
    } catch (err) {
      // Another process inserted the same key between our upsert's lookup and insert: its job is the one.
      if (!isDuplicateKey(err)) throw err;
    }
  }

  async every<T>(name: string, intervalMs: number, data: T, options: { uniqueKey: string }): Promise<void> {
    await this.ready();
    const existing = await this.jobs().findOne({ name, 'data.recurringKey': options.uniqueKey });
    if (
      existing &&
      existing.repeatInterval === intervalMs &&
      isDeepStrictEqual((existing.data as Envelope | undefined)?.payload, data)
    ) {
      return; // Unchanged (every worker start re-declares its schedules): keep the current timing.
    }
    const save = () =>
      this.agenda
        .create<Envelope>(name, { payload: data, recurringKey: options.uniqueKey })
        .repeatEvery(intervalMs)
        .unique({ 'data.recurringKey': options.uniqueKey })
        .save();
    try {
      await save();
    } catch (err) {
      // Another worker inserted the same schedule between our lookup and upsert: update theirs instead.
      if (!isDuplicateKey(err)) throw err;
      await save();
    }
  }

  async cancelRecurring(uniqueKey: string): Promise<void> {
    await this.ready();
    await this.agenda.cancel({ data: { recurringKey: uniqueKey } });
  }

  async start(): Promise<void> {
    if (this.started) return;
    await this.ready();
    this.stopping = false;
    this.abort = new AbortController();
    // Agenda also caps running jobs across all names; the per-name concurrency is the limit that counts.
    this.agenda.maxConcurrency(Math.max(MIN_MAX_CONCURRENCY, this.totalConcurrency));
    await this.agenda.start();
    this.started = true;
  }

  async stop(): Promise<void> {
    if (!this.started) {
      // Even a queue that never ran (web role) may still be setting up: let that finish before the app
      // closes the connection under it.
      await this.connected.catch(() => undefined);
      return;
    }
    this.stopping = true;
    this.abort.abort();
    // drain() stops taking jobs and waits for running ones; the connection belongs to the app.
    await this.agenda.drain({ closeConnection: false });
    // drain() keeps the locks of jobs it had fetched but not started (due within processEvery, or waiting for a
    // slot): release them so the next worker need not wait out the lock lifetime. None of ours is running now.
    try {
      await this.jobs().updateMany({ lastModifiedBy: this.name, lockedAt: { $ne: null } }, { $unset: { lockedAt: 1 } });
    } catch (err) {
      // Shutdown goes on: such jobs still run once their lock lifetime has passed.
      this.logger.warn({ err }, 'could not release locked jobs on stop');
    }
    this.started = false;
  }

  async stats(): Promise<{ running: number; queued: number; started: boolean }> {
    await this.ready();
    const queued = await this.jobs().countDocuments({
      nextRunAt: { $ne: null },
      lockedAt: null,
      disabled: { $ne: true },
    });
    return { running: this.running, queued, started: this.started };
  }

  async backlog(now: Date): Promise<JobBacklog[]> {
    await this.ready();
    // Grouped in JavaScript over a projection: the due jobs of a healthy queue are few.
    const due = await this.jobs()
      .find({ nextRunAt: { $ne: null, $lte: now }, lockedAt: null, disabled: { $ne: true } }, { projection: { name: 1, nextRunAt: 1 } })
      .limit(100_000)
      .toArray();
    const byName = new Map<string, JobBacklog>();
    for (const job of due) {
      const name = String(job['name']);
      const at = new Date(job['nextRunAt'] as Date);
      const entry = byName.get(name);
      if (!entry) byName.set(name, { name, due: 1, oldestDueAt: at });
      else {
        entry.due++;
        if (at < entry.oldestDueAt) entry.oldestDueAt = at;
      }
    }
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Waits for setup; a failed setup is a clear error instead of Agenda's silent, endless wait for `ready`. */
  private async ready(): Promise<void> {
    try {
      await this.connected;
    } catch (err) {
      throw new TransientError(`Job queue is not available: its MongoDB setup failed (${errorMessage(err)}).`, undefined, {
        cause: err,
      });
    }
  }

  private async ensureIndexes(): Promise<void> {
    await this.jobs().createIndex(
      { 'data.recurringKey': 1 },
      { name: RECURRING_KEY_INDEX, unique: true, partialFilterExpression: { 'data.recurringKey': { $type: 'string' } } },
    );
    await this.jobs().createIndex(
      { 'data.activeKey': 1 },
      { name: ACTIVE_KEY_INDEX, unique: true, partialFilterExpression: { 'data.activeKey': { $type: 'string' } } },
    );
  }

  /** The job ended for good (succeeded, or failed with no retry left): its uniqueKey may be enqueued again. */
  private async finished(job: Job<Envelope>): Promise<void> {
    if (job.attrs.data.activeKey === undefined) return;
    try {
      await this.jobs().updateOne({ _id: new ObjectId(String(job.attrs._id)) }, { $unset: { 'data.activeKey': 1 } });
    } catch (err) {
      // The key stays taken until the job is removed; the next enqueue of it is a no-op meanwhile.
      this.logger.warn({ err, job: job.attrs.name }, 'could not release the unique key of a finished job');
    }
  }

  private jobs() {
    return this.db.collection(this.collectionName);
  }
}
