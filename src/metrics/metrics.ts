/**
 * Prometheus metrics (prom-client), one registry per app. Counters and histograms are fed as things happen in this
 * process (HTTP requests, Slack calls, domain events); gauges of shared state (job backlog, rollouts, polls, exposure,
 * store health) are read from the store at each scrape, so any web process reports the whole deployment.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DomainEvent, JobBacklog, JobQueue } from '../domain/ports.js';
import { ROLLOUT_STATES } from '../domain/rollout.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services/services.js';

export interface MetricsDeps {
  services: Services;
  jobs: JobQueue;
  ping: () => Promise<boolean>;
  /** Summary edits waiting in this process's MessageUpdater (null without Slack). */
  slackBacklog?: () => number;
  logger: Logger;
}

/** A scrape must answer even when a part hangs: each reading gets this long. */
const READ_TIMEOUT_MS = 2000;

const within = <T>(work: Promise<T>, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${READ_TIMEOUT_MS} ms`)), READ_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
};

export class Metrics {
  readonly registry = new Registry();
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly slackCalls: Counter<'method' | 'outcome'>;
  private readonly slackRateLimited: Counter<'method'>;
  private readonly migrations: Counter<'outcome'>;
  private readonly migrationDuration: Histogram<'outcome'>;
  private readonly builds: Counter<'distribution' | 'outcome'>;
  private readonly polls: Counter<'distribution' | 'outcome'>;

  constructor(private readonly deps: MetricsDeps) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'distro_process_' });
    this.httpDuration = new Histogram({
      name: 'distro_http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.slackCalls = new Counter({ name: 'distro_slack_api_calls_total', help: 'Slack Web API calls by method and outcome (ok, error, rate_limited)', labelNames: ['method', 'outcome'], registers });
    this.slackRateLimited = new Counter({ name: 'distro_slack_rate_limited_total', help: 'Slack answers 429 (rate limited), by method', labelNames: ['method'], registers });
    this.migrations = new Counter({ name: 'distro_migrations_total', help: 'Migrations started, succeeded and failed (by this worker process)', labelNames: ['outcome'], registers });
    this.migrationDuration = new Histogram({
      name: 'distro_migration_duration_seconds',
      help: 'Migration run time from start to its end, by outcome',
      labelNames: ['outcome'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    });
    this.builds = new Counter({ name: 'distro_builds_total', help: 'Platform builds by distribution and outcome (built, failed)', labelNames: ['distribution', 'outcome'], registers });
    this.polls = new Counter({ name: 'distro_polls_asked_total', help: 'Asked-for polls by distribution and outcome (nothing_new, failed)', labelNames: ['distribution', 'outcome'], registers });
    this.defineScrapedGauges(registers);
    deps.services.events.subscribe((event) => this.onEvent(event));
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
  }

  observeSlackCall(method: string, outcome: 'ok' | 'error' | 'rate_limited'): void {
    this.slackCalls.inc({ method, outcome });
    if (outcome === 'rate_limited') this.slackRateLimited.inc({ method });
  }

  /** A 429 the client retried by itself (its `rate_limited` event). */
  observeSlackRateLimit(method: string): void {
    this.slackRateLimited.inc({ method });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private async onEvent(event: DomainEvent): Promise<void> {
    try {
      if (event.type === 'task.updated') {
        if (event.state === 'queued' || event.state === 'cancelled') return;
        const task = await this.deps.services.tasks.byId(event.taskId);
        if (task?.type !== 'migrate') return;
        if (event.state === 'processing') return void this.migrations.inc({ outcome: 'started' });
        this.migrations.inc({ outcome: event.state });
        if (task.startedAt && task.finishedAt) this.migrationDuration.observe({ outcome: event.state }, (task.finishedAt.getTime() - task.startedAt.getTime()) / 1000);
      } else if (event.type === 'platform.built' || event.type === 'platform.failed') {
        const platform = await this.deps.services.platforms.get(event.platformId);
        const distribution = await this.deps.services.distributions.get(platform.distributionId);
        this.builds.inc({ distribution: distribution.slug, outcome: event.type === 'platform.built' ? 'built' : 'failed' });
      } else if (event.type === 'poll.failed' || event.type === 'poll.nothing-new') {
        const distribution = await this.deps.services.distributions.get(event.distributionId);
        this.polls.inc({ distribution: distribution.slug, outcome: event.type === 'poll.failed' ? 'failed' : 'nothing_new' });
      }
    } catch (error) {
      this.deps.logger.debug({ err: error, event: event.type }, 'metrics: event not counted');
    }
  }

  private defineScrapedGauges(registers: Registry[]): void {
    const { services, jobs, ping, logger } = this.deps;
    const failed = (what: string) => (error: unknown) => void logger.warn({ err: error }, `metrics: ${what} not read`);
    const storeUp = new Gauge({
      name: 'distro_store_up',
      help: '1 when the store answers a ping, else 0',
      registers,
      collect: async () => {
        storeUp.set((await within(ping(), 'store').catch(() => false)) ? 1 : 0);
      },
    });
    // One reading per scrape for both gauges (prom-client collects the metrics of a scrape concurrently).
    let reading: { at: number; backlog: Promise<JobBacklog[] | undefined> } | null = null;
    const readBacklog = (): { at: number; backlog: Promise<JobBacklog[] | undefined> } => {
      const now = Date.now();
      if (!reading || now - reading.at > 1000) reading = { at: now, backlog: within(jobs.backlog(new Date(now)), 'job queue').catch(failed('job backlog')) };
      return reading;
    };
    new Gauge({
      name: 'distro_jobs_due',
      help: 'Jobs due and not yet taken, by job name',
      labelNames: ['job'],
      registers,
      async collect() {
        const { backlog } = readBacklog();
        this.reset();
        for (const b of (await backlog) ?? []) this.set({ job: b.name }, b.due);
      },
    });
    new Gauge({
      name: 'distro_jobs_oldest_due_age_seconds',
      help: 'How long the oldest due job of each name has waited',
      labelNames: ['job'],
      registers,
      async collect() {
        const { at, backlog } = readBacklog();
        this.reset();
        for (const b of (await backlog) ?? []) this.set({ job: b.name }, Math.max(0, (at - b.oldestDueAt.getTime()) / 1000));
      },
    });
    new Gauge({
      name: 'distro_rollouts',
      help: 'Rollouts by state',
      labelNames: ['state'],
      registers,
      async collect() {
        const totals = await within(
          Promise.all(ROLLOUT_STATES.map(async (state) => [state, (await services.rollouts.list({ state: [state] }, { limit: 1, offset: 0 })).total] as const)),
          'rollouts',
        ).catch(failed('rollouts'));
        for (const [state, total] of totals ?? []) this.set({ state }, total);
      },
    });
    let polls: { at: number; overviews: Promise<Awaited<ReturnType<Services['distributions']['list']>> | undefined> } | null = null;
    const readPolls = () => {
      const now = Date.now();
      if (!polls || now - polls.at > 1000) polls = { at: now, overviews: within(services.distributions.list(), 'distributions').catch(failed('distributions')) };
      return polls;
    };
    new Gauge({
      name: 'distro_poll_last_success',
      help: '1 when the last poll of the distribution succeeded, 0 when it failed',
      labelNames: ['distribution'],
      registers,
      async collect() {
        const { overviews } = readPolls();
        this.reset();
        for (const { distribution } of (await overviews) ?? []) {
          if (distribution.lastPoll) this.set({ distribution: distribution.slug }, distribution.lastPoll.error ? 0 : 1);
        }
      },
    });
    new Gauge({
      name: 'distro_poll_last_age_seconds',
      help: 'Seconds since each distribution was last polled',
      labelNames: ['distribution'],
      registers,
      async collect() {
        const { at, overviews } = readPolls();
        this.reset();
        for (const { distribution } of (await overviews) ?? []) {
          if (distribution.lastPoll) this.set({ distribution: distribution.slug }, Math.max(0, (at - distribution.lastPoll.at.getTime()) / 1000));
        }
      },
    });
    new Gauge({
      name: 'distro_exposed_sites',
      help: 'Sites running code a security advisory in force covers, by distribution',
      labelNames: ['distribution'],
      registers,
      async collect() {
        this.reset();
        const summary = await within(services.advisories.summary(), 'exposure').catch(failed('exposure'));
        for (const s of summary ?? []) this.set({ distribution: s.distribution.slug }, s.exposedSites);
      },
    });
    const slackBacklog = this.deps.slackBacklog;
    if (slackBacklog) {
      new Gauge({
        name: 'distro_slack_updater_backlog',
        help: 'Upgrade summaries waiting for their next edit in this process (Slack rate limits)',
        registers,
        collect() {
          this.set(slackBacklog());
        },
      });
    }
  }
}
