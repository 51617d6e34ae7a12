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
import { ALL_ITEMS, type HostingDriver, type JobQueue, type Repositories } from './domain/ports.js';
import { GitHubUpstreamChecker } from './github/github-checker.js';
import { CommandDriver, validateTemplates } from './hosting/command-driver.js';
import { LocalDriver } from './hosting/local-driver.js';
import { createGitHubWebhookRouter, GITHUB_WEBHOOK_PATH } from './http/github-webhooks.js';
import { createHealthCheck } from './http/health.js';
import { createHttpApp } from './http/http-app.js';
import { AgendaJobQueue } from './jobs/agenda-queue.js';
import { SqliteJobQueue } from './jobs/sqlite-queue.js';
import { MIGRATION_RECOVER_JOB, registerMigrationJobs } from './jobs/migration-jobs.js';
import type { Logger } from './logger.js';
import { connectMongo, createMongoRepositories } from './persistence/mongo/mongo-repositories.js';
import { SqliteDatabase } from './persistence/sqlite/database.js';
import { importSnapshotOnce } from './persistence/sqlite/import-snapshot.js';
import { createSqliteRepositories } from './persistence/sqlite/sqlite-repositories.js';
import { BuildService } from './services/build-service.js';
import { createServices } from './services/create-services.js';
import { EventBus } from './services/event-bus.js';
import type { MigrationService } from './services/migration-service.js';
import { BUILD_JOB, buildKey, PollService, registerPollJobs } from './services/poll-service.js';
import type { Services } from './services/services.js';
import { MIGRATE_JOB, migrateJobKey } from './services/upgrade-service.js';
import { createSlackApp, createSlackWebClient, type SlackApp } from './slack/slack-app.js';
import { createSlackNotifier, type SlackNotifier } from './slack/notifier.js';
import { GitUpstreamChecker } from './upstream/git-checker.js';

export interface AppOverrides {
  logger: Logger;
  /** Ready-made stores (tests); otherwise chosen from config (MongoDB when MONGODB_URI is set). */
  repos?: Repositories;
  jobs?: JobQueue;
  driver?: HostingDriver;
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

/** How often a worker looks for migrations whose worker died (expired leases). */
const RECOVER_EVERY_MS = 60_000;

const openStores = async (config: Config, logger: Logger): Promise<{ repos: Repositories; jobs: JobQueue; connection: Connection | null }> => {
  if (config.mongoUri) {
    const connection = await connectMongo(config.mongoUri);
    return { repos: await createMongoRepositories(connection), jobs: new AgendaJobQueue({ connection, logger }), connection };
  }
  // Embedded: one SQLite file holds the state and the job queue; it refuses to open if another process has it.
  mkdirSync(dirname(config.databaseFile), { recursive: true });
  const db = SqliteDatabase.open({ file: config.databaseFile, dataDir: config.dataDir, logger });
  const repos = createSqliteRepositories(db);
  try {
    await importSnapshotOnce(db, repos, join(config.dataDir, 'distro.json'), logger);
  } catch (e) {
    await db.close();
    throw e;
  }
  return { repos, jobs: new SqliteJobQueue({ db, logger }), connection: null };
};

const createDriver = (config: Config): HostingDriver =>
  config.hosting.driver === 'command'
    ? new CommandDriver({
        templates: validateTemplates(config.hosting.commands),
        platformsRoot: join(config.dataDir, 'platforms'),
        githubBaseUrl: githubCloneBase(config),
      })
    : new LocalDriver({ root: config.dataDir, postMigrate: config.hosting.postMigrate, githubBaseUrl: githubCloneBase(config) });

/** Clone URLs of GitHub upstreams: github.com for the public API, the enterprise host otherwise. */
const githubCloneBase = (config: Config): string =>
  config.github.apiUrl === 'https://api.github.com' ? 'https://github.com' : config.github.apiUrl.replace(/\/api\/v3$/, '');

export const buildApp = async (config: Config, overrides: AppOverrides): Promise<DistroApp> => {
  const { logger } = overrides;
  const stores = overrides.repos && overrides.jobs
    ? { repos: overrides.repos, jobs: overrides.jobs, connection: null }
    : await openStores(config, logger);
  const { repos, jobs } = stores;
  const driver = overrides.driver ?? createDriver(config);
  const events = new EventBus((error, event) => logger.error({ err: error, event: event.type }, 'event subscriber failed'));
  const checkers = {
    git: new GitUpstreamChecker(),
    github: new GitHubUpstreamChecker({ apiUrl: config.github.apiUrl, token: config.github.token }),
  };
  const polls = new PollService({ repos, jobs, checkers });
  const services = createServices({
    repos,
    jobs,
    events,
    driver,
    polls,
    defaultPollIntervalMinutes: config.jobs.defaultPollIntervalMinutes,
    advisories: () => loadAdvisories(config.advisoriesFile),
    links: { secret: config.links.secret, ttlMs: config.links.ttlMs, publicUrl: config.http.publicUrl },
  });

  const web = config.role !== 'worker';
  const worker = config.role !== 'web';
  const owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

  // Every process that changes state announces its own events (the worker has no Bolt, only a WebClient).
  const notifier = config.slack.botToken
    ? createSlackNotifier({
        client: createSlackWebClient(config.slack, logger),
        services,
        repos,
        defaultChannel: config.slack.defaultChannel,
        logger,
      })
    : null;

  let migrations: MigrationService | null = null;
  if (worker) {
    const builds = new BuildService({ repos, driver, events, targets: services.distributions });
    registerPollJobs(jobs, { polls, builds, events, maxAttempts: config.jobs.maxAttempts });
    migrations = registerMigrationJobs(jobs, {
      repos,
      driver,
      events,
      owner,
      concurrency: config.hosting.concurrency,
      concurrencyPerServer: config.hosting.concurrencyPerServer,
      maxAttempts: config.jobs.maxAttempts,
      onError: (error) => logger.error({ err: error }, 'migration error'),
    });
  }

  let slack: SlackApp | null = null;
  const health = createHealthCheck({ repos, jobs, logger });
  const http = web
    ? createHttpApp({
        services,
        repos,
        auth: config.admin,
        health,
        logger,
        mount: (app) => {
          const secret = config.github.webhookSecret;
          if (secret) {
            app.use(
              createGitHubWebhookRouter({
                secret,
                onEvent: (event) => polls.onUpstreamRef(event),
                onError: (error) => logger.error({ err: error }, 'webhook handling failed'),
              }),
            );
          } else {
            // Unsigned deliveries are never trusted: refuse them, saying why.
            app.post(GITHUB_WEBHOOK_PATH, (_req, res) => {
              res.status(503).json({ error: { code: 'not_configured', message: 'GITHUB_WEBHOOK_SECRET is not set; webhooks are disabled.' } });
            });
          }
          slack = createSlackApp({ slack: config.slack, services, expressApp: app, logger });
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
        await requeueOrphans(repos, jobs, { singleProcess: config.mongoUri === null });
        await jobs.start();
        // `every` runs once at once too: migrations a dead worker left are taken over now and every minute.
        await jobs.every(MIGRATION_RECOVER_JOB, RECOVER_EVERY_MS, {}, { uniqueKey: 'migrate-recover' });
        const { scheduled } = await polls.schedulePolls();
        logger.info({ owner, scheduled }, 'worker started');
      }
      if (http) {
        const server = await new Promise<Server>((resolve, reject) => {
          const s = http.listen(config.http.port, config.http.host, () => resolve(s));
          s.once('error', reject);
        });
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : config.http.port;
        app.server = server;
        app.url = `http://${config.http.host}:${port}`;
        logger.info({ url: app.url, publicUrl: config.http.publicUrl, store: config.mongoUri ? 'mongodb' : 'embedded' }, 'web started');
      }
    },
    async stop() {
      if (app.server) {
        const server = app.server;
        server.closeIdleConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      await jobs.stop();
      notifier?.stop();
      await notifier?.idle();
      await repos.close();
      if (stores.connection) await stores.connection.close();
    },
  };
  return app;
};

/**
 * Work recorded in the store but not in the queue: a crash can fall between recording a task and enqueueing it
 * (where the two are not one transaction). Unique keys make this a no-op otherwise.
 * (Builds cut off in a multi-worker install stay `building` until an operator re-polls: another worker may
 * still be building them.)
 */
const requeueOrphans = async (repos: Repositories, jobs: JobQueue, options: { singleProcess: boolean }): Promise<void> => {
  if (options.singleProcess) {
    // The embedded store has one worker, this one: a build still marked `building` was cut off by a restart.
    const building = await repos.platforms.list({ status: ['building'] }, ALL_ITEMS);
    for (const p of building.items) {
      await repos.platforms.appendBuildLog(p.id, ['Build interrupted by a restart; building again.']);
      await repos.platforms.setStatus(p.id, 'queued', ['building']);
    }
  }
  const queued = await repos.tasks.list({ type: ['migrate'], state: ['queued'] }, ALL_ITEMS);
  for (const task of queued.items) await jobs.enqueue(MIGRATE_JOB, { taskId: task.id }, { uniqueKey: migrateJobKey(task.id) });
  const platforms = await repos.platforms.list({ status: ['queued'] }, ALL_ITEMS);
  for (const p of platforms.items) await jobs.enqueue(BUILD_JOB, { platformId: p.id }, { uniqueKey: buildKey(p.id) });
};
