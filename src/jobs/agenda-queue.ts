/**
 * JobQueue on Agenda 6 + MongoDB, sharing the application's mongoose connection (no second pool).
 * Job data is wrapped in an envelope so dedupe keys live beside the payload where Agenda's unique() can
 * match them; the retry policy is the same function the memory queue uses.
 */
import { MongoBackend } from '@agendajs/mongo-backend';
import { Agenda, type Job } from 'agenda';
import type { Db } from 'mongodb';
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Connection } from 'mongoose';
import type { JobHandler, JobOptions, JobQueue } from '../domain/ports.js';
import { silentLogger, type Logger } from '../logger.js';
import { jobOptions, retryDelay } from './retry.js';

interface Envelope {
  payload: unknown;
  uniqueKey?: string;
  recurringKey?: string;
}

export interface AgendaJobQueueOptions {
  connection: Connection;
  /** Jobs collection (default `agendaJobs`). */
  collection?: string;
  logger?: Logger;
  /** Worker name recorded on jobs it touches. */
  owner?: string;
  /** How often to look for due jobs (default 2 s). */
  processEveryMs?: number;
  /** A running job's lock is refreshed every half of this; a worker silent for longer is presumed dead. */
  lockLifetimeMs?: number;
}

const DEFAULT_COLLECTION = 'agendaJobs';

export class AgendaJobQueue implements JobQueue {
  private readonly agenda: Agenda;
  private readonly logger: Logger;
  private readonly db: Db;
  private readonly collectionName: string;
  private readonly lockLifetimeMs: number;
  private abort = new AbortController();
  private started = false;
  private stopping = false;
  private running = 0;

  constructor(options: AgendaJobQueueOptions) {
    const db = options.connection.db;
    if (!db) throw new Error('AgendaJobQueue needs an open mongoose connection (connection.db is not set yet).');
    // mongoose bundles its own copy of the driver; the Db object is the same at run time.
    this.db = db as unknown as Db;
    this.collectionName = options.collection ?? DEFAULT_COLLECTION;
    this.logger = options.logger ?? silentLogger();
    this.lockLifetimeMs = options.lockLifetimeMs ?? 10 * 60_000;
    this.agenda = new Agenda({
      backend: new MongoBackend({ mongo: this.db, collection: this.collectionName }),
      name: options.owner ?? `agenda-${process.pid}-${randomBytes(3).toString('hex')}`,
      processEvery: options.processEveryMs ?? 2000,
      defaultLockLifetime: this.lockLifetimeMs,
    });
    this.agenda.on('error', (err: Error) => this.logger.error({ err }, 'agenda error'));
  }

  define<T>(name: string, handler: JobHandler<T>, options?: JobOptions): void {
    const opts = jobOptions(options);
    this.agenda.define<Envelope>(
      name,
      async (job: Job<Envelope>) => {
        const attempt = (job.attrs.failCount ?? 0) + 1;
        // Keep the lock fresh so long migrations are not mistaken for dead ones and run twice.
        const heartbeat = setInterval(() => void job.touch().catch(() => undefined), this.lockLifetimeMs / 2);
        this.running += 1;
        try {
          await handler(job.attrs.data.payload as T, { attempt, signal: this.abort.signal });
        } catch (err) {
          const log = this.logger.child({ job: name, jobId: String(job.attrs._id) });
          if (this.stopping) log.warn({ err }, 'job interrupted by shutdown; requeued');
          else if (retryDelay(err, attempt, opts) !== null) log.warn({ err, attempt }, 'job failed; retrying');
          else log.error({ err, attempts: attempt }, 'job failed');
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
    const envelope: Envelope = { payload: data };
    const job = this.agenda.create<Envelope>(name, envelope);
    if (options.runAt) job.schedule(options.runAt);
    if (options.uniqueKey !== undefined) {
      envelope.uniqueKey = options.uniqueKey;
      // Matches only unfinished jobs (due, scheduled, retrying or running); a finished one does not block.
      job.unique(
        {
          'data.uniqueKey': options.uniqueKey,
          $or: [{ nextRunAt: { $ne: null } }, { lockedAt: { $ne: null } }],
        },
        { insertOnly: true },
      );
    }
    await job.save();
  }

  async every<T>(name: string, intervalMs: number, data: T, options: { uniqueKey: string }): Promise<void> {
    await this.agenda.ready;
    const existing = await this.jobs().findOne({ name, 'data.recurringKey': options.uniqueKey });
    if (
      existing &&
      existing.repeatInterval === intervalMs &&
      isDeepStrictEqual((existing.data as Envelope | undefined)?.payload, data)
    ) {
      return; // Unchanged (every worker start re-declares its schedules): keep the current timing.
    }
    await this.agenda
      .create<Envelope>(name, { payload: data, recurringKey: options.uniqueKey })
      .repeatEvery(intervalMs)
      .unique({ 'data.recurringKey': options.uniqueKey })
      .save();
  }

  async cancelRecurring(uniqueKey: string): Promise<void> {
    await this.agenda.ready;
    await this.agenda.cancel({ data: { recurringKey: uniqueKey } });
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.stopping = false;
    this.abort = new AbortController();
    await this.agenda.start();
    this.started = true;
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.stopping = true;
    this.abort.abort();
    // drain() stops taking jobs and waits for running ones; the connection belongs to the app.
    await this.agenda.drain({ closeConnection: false });
    this.started = false;
  }

  async stats(): Promise<{ running: number; queued: number; started: boolean }> {
    await this.agenda.ready;
    const queued = await this.jobs().countDocuments({
      nextRunAt: { $ne: null },
      lockedAt: null,
      disabled: { $ne: true },
    });
    return { running: this.running, queued, started: this.started };
  }

  private jobs() {
    return this.db.collection(this.collectionName);
  }
}
