/**
 * Wires adapters and services for a role. Used by src/main.ts and by end-to-end tests, which pass
 * their own repositories/queue and point Slack and GitHub at local stand-ins through the config.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { hostname } from 'node:os';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Connection } from 'mongoose';
import { loadAdvisories } from './advisories/load-advisories.js';
import type { Config } from './config.js';
import type { Clock, HostingDriver, JobQueue, Repositories } from './domain/ports.js';
import { GitHubUpstreamChecker } from './github/github-checker.js';
import { CommandDriver, validateTemplates } from './hosting/command-driver.js';
import { redactorFor } from './lib/redact.js';
import type { Platform } from './domain/platform.js';
import { LocalDriver } from './hosting/local-driver.js';
import { Metrics } from './metrics/metrics.js';
import { pathExists } from './hosting/paths.js';
import { SiteHealthChecker } from './hosting/health-checker.js';
import { createGitHubWebhookRouter, GITHUB_WEBHOOK_PATH } from './http/github-webhooks.js';
import { createHealthCheck } from './http/health.js';
import { limitConnections } from './http/connection-limits.js';
import { createHttpApp, sessionManagerOf } from './http/http-app.js';
import { checkReadiness } from './services/readiness.js';
import { SqliteJobQueue } from './jobs/sqlite-queue.js';
import { registerBuildJobs } from './jobs/build-jobs.js';
import { registerMigrationJobs } from './jobs/migration-jobs.js';
import { registerPollJobs } from './jobs/poll-jobs.js';
import { registerRolloutJobs, requeueRollouts } from './jobs/rollout-jobs.js';
import { registerRollbackJobs } from './jobs/rollback-jobs.js';
import { registerSiteJobs } from './jobs/site-jobs.js';
import { startWorkerJobs } from './jobs/worker-jobs.js';
import { logFailures } from './failure-log.js';
import { armCrashPoints } from './lib/crash-point.js';
import type { Logger } from './logger.js';
import { withRedactedLogs } from './persistence/redacting-repositories.js';
import { SqliteDatabase } from './persistence/sqlite/database.js';
import { DataDirLock } from './persistence/sqlite/data-dir-lock.js';
import { importSnapshotOnce } from './persistence/sqlite/import-snapshot.js';
import { createSqliteRepositories } from './persistence/sqlite/sqlite-repositories.js';
import { BuildService } from './services/build-service.js';
import { createServices } from './services/create-services.js';
import { EventBus } from './services/event-bus.js';
import type { MigrationService } from './services/migration-service.js';
import type { Services } from './services/services.js';
import { createSlackApp, createSlackWebClient, type SlackApp } from './slack/slack-app.js';
import { createSlackNotifier, type SlackNotifier } from './slack/notifier.js';
import { GitUpstreamChecker } from './upstream/git-checker.js';
import { FileAdvisoryFeed, GitAdvisoryFeed, UrlAdvisoryFeed } from './upstream/advisory-feeds.js';
import { registerAdvisoryJobs } from './jobs/advisory-jobs.js';
import type { AdvisoryFeedReader } from './domain/ports.js';

export interface AppOverrides {
  logger: Logger;
  /** Ready-made stores (tests); otherwise chosen from config (MongoDB when MONGODB_URI is set). */
  repos?: Repositories;
  jobs?: JobQueue;
  driver?: HostingDriver;
  /** Time for rollouts and maintenance windows (tests). */
  clock?: Clock;
}

export interface DistroApp {
  config: Config;
  services: Services;
  repos: Repositories;
  jobs: JobQueue;
  slack: SlackApp | null;
  notifier: SlackNotifier | null;
  migrations: MigrationService | null;
  /** The listening server once started with a web role. */
  server: Server | null;
  /** Base URL of the started server (http://host:port). */
  url: string | null;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** How long stopping waits for pending Slack message edits. */
const SHUTDOWN_FLUSH_MS = 5000;

const openStores = async (config: Config, logger: Logger): Promise<{ repos: Repositories; jobs: JobQueue; connection: Connection | null }> => {
  if (config.mongoUri) {
    // Loaded only when used: mongoose, the driver and Agenda are a third of the embedded default's start-up.
    const [{ createMongoRepositories }, { openMongo }, { AgendaJobQueue }] = await Promise.all([
      import('./persistence/mongo/mongo-repositories.js'),
      import('./persistence/mongo/open-mongo.js'),
      import('./jobs/agenda-queue.js'),
    ]);
    const connection = await openMongo(config.mongoUri, { failFast: config.mongoFailFast, logger });
    return { repos: await createMongoRepositories(connection), jobs: new AgendaJobQueue({ connection, logger }), connection };
  }
  // Embedded: one process owns DATA_DIR (its sites, platforms and backups), whatever DATABASE_FILE says; one SQLite
  // file holds the state and the job queue, and refuses to open if another process has it.
  mkdirSync(config.dataDir, { recursive: true });
  const lock = DataDirLock.acquire(config.dataDir);
  let db: SqliteDatabase;
  try {
    mkdirSync(dirname(config.databaseFile), { recursive: true });
    db = SqliteDatabase.open({ file: config.databaseFile, dataDir: config.dataDir, logger });
  } catch (e) {
    lock.release();
    throw e;
  }
  const opened = createSqliteRepositories(db);
  const repos: typeof opened = {
    ...opened,
    close: async () => {
      try {
        await opened.close();
      } finally {
        lock.release();
      }
    },
  };
  try {
    await importSnapshotOnce(db, repos, join(config.dataDir, 'distro.json'), logger);
  } catch (e) {
    await repos.close();
    throw e;
  }
  return { repos, jobs: new SqliteJobQueue({ db, logger }), connection: null };
};

/** The advisory feeds the operator configured (ADVISORY_FEED_URL / _BRANCH, ADVISORY_FEED_FILE). */
export const createAdvisoryFeeds = (config: Config): AdvisoryFeedReader[] => {
  const { git, file, maxBytes } = config.advisoryFeed;
  const feeds: AdvisoryFeedReader[] = [];
  if (git) {
    feeds.push(
      new GitAdvisoryFeed({ ...git, maxBytes, cacheDir: join(config.dataDir, 'advisories'), allowLocalUpstreams: config.hosting.allowLocalUpstreams }),
    );
  }
  if (file) feeds.push(/^https:\/\//.test(file) ? new UrlAdvisoryFeed({ url: file, maxBytes }) : new FileAdvisoryFeed({ path: file, maxBytes }));
  return feeds;
};

const createDriver = (config: Config): HostingDriver =>
  config.hosting.driver === 'command'
    ? new CommandDriver({
        templates: validateTemplates(config.hosting.commands),
        platformsRoot: join(config.dataDir, 'platforms'),
        githubBaseUrl: githubCloneBase(config),
        allowLocalUpstreams: config.hosting.allowLocalUpstreams,
      })
    : new LocalDriver({
        root: config.dataDir,
        postMigrate: config.hosting.postMigrate,
        githubBaseUrl: githubCloneBase(config),
        allowLocalUpstreams: config.hosting.allowLocalUpstreams,
        gitTimeoutMs: config.git.timeoutMs,
      });

/** Clone URLs of GitHub upstreams: github.com for the public API, the enterprise host otherwise. */
const githubCloneBase = (config: Config): string =>
  config.github.apiUrl === 'https://api.github.com' ? 'https://github.com' : config.github.apiUrl.replace(/\/api\/v3$/, '');

export const buildApp = async (config: Config, overrides: AppOverrides): Promise<DistroApp> => {
  const { logger } = overrides;
  armCrashPoints(config.testCrash);
  const stores = overrides.repos && overrides.jobs
    ? { repos: overrides.repos, jobs: overrides.jobs, connection: null }
    : await openStores(config, logger);
  const { jobs } = stores;
  // URL credentials and configured secrets are redacted wherever text leaves the process (see src/lib/redact.ts).
  const redact = redactorFor(config);
  const repos = withRedactedLogs(stores.repos, redact);
  const driver = overrides.driver ?? createDriver(config);
  const events = new EventBus((error, event) => logger.error({ err: error, event: event.type }, 'event subscriber failed'));
  events.subscribe(logFailures({ repos, logger }));
  const checkers = {
    git: new GitUpstreamChecker({ allowLocalUpstreams: config.hosting.allowLocalUpstreams, timeoutMs: config.git.timeoutMs }),
    github: new GitHubUpstreamChecker({ apiUrl: config.github.apiUrl, token: config.github.token }),
  };
  // One health checker: the worker's migrations run it; the policy page's test runs it (web processes probe HTTP only,
  // the operator's command runs where migrations run).
  const healthChecker = new SiteHealthChecker({
    distributionOf: async (platform) => repos.distributions.get(platform.distributionId),
    command: config.role !== 'web' ? config.hosting.healthCheckCommand : null,
    allowHosts: config.hosting.healthCheckAllowHosts,
  });
  const services = createServices({
    repos,
    jobs,
    events,
    health: healthChecker,
    // Web processes only queue install tasks; the driver is called by workers (site.install job).
    siteInstalls: driver.installSite !== undefined,
    // A stat of the platform's directory (shared DATA_DIR), not a hosting operation.
    ...(driver instanceof LocalDriver ? { platformHasFiles: (p: Platform) => pathExists(driver.platformPath(p)) } : {}),
    // Adoption and import only read (a stat, a file, or the operator's read-only templates); they never move a site.
    hostingReads: driver,
    checkers,
    defaultPollIntervalMinutes: config.jobs.defaultPollIntervalMinutes,
    advisories: () => loadAdvisories(config.advisoriesFile),
    advisoryFeeds: createAdvisoryFeeds(config),
    advisoryMaxBytes: config.advisoryFeed.maxBytes,
    allowLocalUpstreams: config.hosting.allowLocalUpstreams,
    ...(overrides.clock ? { clock: overrides.clock } : {}),
    backupRetentionMs: config.backups.retentionMs,
    links: { secret: config.links.secret, ttlMs: config.links.ttlMs, publicUrl: config.http.publicUrl },
  });
  const { polls } = services;

  const web = config.role !== 'worker';
  const worker = config.role !== 'web';
  const owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

  // Prometheus metrics, served by web processes (gauges of shared state are read from the store at each scrape).
  let notifierRef: SlackNotifier | null = null;
  const metrics = web
    ? new Metrics({ services, jobs, ping: () => repos.ping(), logger, slackBacklog: () => notifierRef?.backlog() ?? 0 })
    : null;
  const observeSlack = metrics ? (method: string, outcome: 'ok' | 'error' | 'rate_limited') => metrics.observeSlackCall(method, outcome) : undefined;

  // Every process that changes state announces its own events (the worker has no Bolt, only a WebClient).
  const notifier = config.slack.botToken
    ? createSlackNotifier({
        client: createSlackWebClient(config.slack, logger, {}, redact, observeSlack),
        services,
        defaultChannel: config.slack.defaultChannel,
        slashCommand: config.slack.command,
        logger,
        // Edits are paced by the MessageUpdater; a 429 comes back to it instead of stalling the shared client.
        updates: { client: createSlackWebClient(config.slack, logger, { rejectRateLimitedCalls: true }, redact, observeSlack) },
      })
    : null;
  notifierRef = notifier;

  // Without Slack nothing announces advisory events, but a distribution's security policy (autoUpgrade) still acts
  // on them: the same idempotent delivery, with nowhere to post. Events a crash cut off are taken up at start.
  const actOnAdvisory = (eventId: string) => services.advisories.deliver(eventId, () => null, async () => '', services.securityUpgrades.act);
  if (!notifier && worker) {
    events.subscribe(async (event) => {
      if (event.type === 'advisory.published') await actOnAdvisory(event.eventId);
    });
  }

  let migrations: MigrationService | null = null;
  if (worker) {
    const builds = new BuildService({ repos, driver, events, targets: services.distributions, jobs });
    registerPollJobs(jobs, { polls, events, maxAttempts: config.jobs.maxAttempts });
    registerBuildJobs(jobs, { builds, maxAttempts: config.jobs.maxAttempts });
    registerAdvisoryJobs(jobs, { advisories: services.advisories, logger });
    registerSiteJobs(jobs, { repos, driver, events, owner, maxAttempts: config.jobs.maxAttempts });
    migrations = registerMigrationJobs(jobs, {
      repos,
      driver,
      events,
      owner,
      concurrency: config.hosting.concurrency,
      concurrencyPerServer: config.hosting.concurrencyPerServer,
      maxAttempts: config.jobs.maxAttempts,
      onError: (error) => logger.error({ err: error }, 'migration error'),
      health: healthChecker,
      rollouts: services.rollouts,
    });
    registerRolloutJobs(jobs, { rollouts: services.rollouts, maxAttempts: config.jobs.maxAttempts });
    registerRollbackJobs(jobs, {
      repos,
      driver,
      events,
      owner,
      retentionMs: config.backups.retentionMs,
      maxAttempts: config.jobs.maxAttempts,
      log: (message, level = 'info') => logger[level]({ job: 'backup.prune' }, message),
      onError: (error) => logger.error({ err: error }, 'rollback error'),
    });
  }

  let slack: SlackApp | null = null;
  const health = createHealthCheck({ repos, jobs, logger });
  const http = web
    ? createHttpApp({
        services,
        sessions: repos.sessions,
        signIns: repos.signIns,
        trustProxy: config.http.trustProxy,
        deviceSecret: config.links.secret,
        auth: config.admin,
        publicUrl: config.http.publicUrl,
        health,
        metrics,
        metricsToken: config.metrics.token,
        readiness: () => checkReadiness({ repos }),
        logger,
        redact,
        mount: (app) => {
          const secret = config.github.webhookSecret;
          if (secret) {
            app.use(
              createGitHubWebhookRouter({
                secret,
                onEvent: (event) => polls.onUpstreamRef(event),
                onError: (error) => logger.error({ err: error }, 'webhook handling failed'),
                redeliveries: repos.redeliveries,
              }),
            );
          } else {
            // Unsigned deliveries are never trusted: refuse them, saying why.
            app.post(GITHUB_WEBHOOK_PATH, (_req, res) => {
              res.status(503).json({ error: { code: 'not_configured', message: 'GITHUB_WEBHOOK_SECRET is not set; webhooks are disabled.' } });
            });
          }
          slack = createSlackApp({
            slack: config.slack,
            services,
            redeliveries: repos.redeliveries,
            expressApp: app,
            logger,
            redact,
            ...(observeSlack ? { observeCalls: observeSlack } : {}),
            ...(notifier ? { messenger: notifier.messenger } : {}),
          });
        },
      })
    : null;

  const app: DistroApp = {
    config,
    services,
    repos,
    jobs,
    get slack() {
      return slack;
    },
    notifier,
    migrations,
    server: null,
    url: null,
    async start() {
      if (worker) {
        const { scheduled } = await startWorkerJobs({
          repos,
          jobs,
          polls,
          singleProcess: config.mongoUri === null,
          advisoryPollMs: services.advisories.hasFeeds() ? config.advisoryFeed.pollMinutes * 60_000 : null,
          advisoryDigests: notifier !== null,
          requeueRollouts: () => requeueRollouts(services.rollouts),
        });
        logger.info({ owner, scheduled }, 'worker started');
        if (!notifier) for (const event of await services.advisories.unannounced()) await actOnAdvisory(event.id);
      }
      // Summary edits that were waiting in memory when the last process stopped are recomputed from the store.
      if (notifier) logger.info({ summaries: await notifier.recover() }, 'summaries re-rendered after start');
      if (http) {
        const server = await new Promise<Server>((resolve, reject) => {
          const s = http.listen(config.http.port, config.http.host, () => resolve(s));
          s.once('error', reject);
        });
        limitConnections(server, config.http.connections);
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : config.http.port;
        app.server = server;
        app.url = `http://${config.http.host}:${port}`;
        if (slack && config.slack.appToken) {
          await (slack as SlackApp).start();
          logger.info('Slack connected in Socket Mode');
        }
        logger.info({ url: app.url, publicUrl: config.http.publicUrl, store: config.mongoUri ? 'mongodb' : 'embedded' }, 'web started');
      }
    },
    async stop() {
      if (slack && config.slack.appToken) await (slack as SlackApp).stop();
      if (app.server) {
        const server = app.server;
        server.closeIdleConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      if (http) await sessionManagerOf(http)?.close();
      await jobs.stop();
      // The last summary edits (the drained jobs' final states) go out if Slack lets them within a few seconds;
      // whatever is left is re-rendered from the store by the next start (recover).
      if (notifier) await Promise.race([notifier.idle(), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_FLUSH_MS).unref())]);
      notifier?.stop();
      await notifier?.idle();
      await repos.close();
      if (stores.connection) await stores.connection.close();
    },
  };
  return app;
};
