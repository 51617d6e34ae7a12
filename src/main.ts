/**
 * Composition root: read config, build the app, run the configured role(s), drain on SIGTERM/SIGINT.
 */
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Role } from './config.js';
import { StoreUnusableError } from './domain/errors.js';
import { firstStartGuide, loopbackUrl } from './first-start-guide.js';
import { redactorFor } from './lib/redact.js';
import { chooseLogFormat, createProcessLogger } from './logger.js';
import { MONGO_UNAVAILABLE_EXIT_CODE, MongoUnavailableError } from './persistence/mongo/mongo-unavailable.js';

const roleArg = process.argv.find((a) => a.startsWith('--role='))?.slice('--role='.length) as Role | undefined;

let config;
try {
  config = loadConfig(process.env, roleArg ? { role: roleArg } : {});
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(78); // EX_CONFIG
  }
  throw error;
}

const logger = await createProcessLogger(
  config.logLevel,
  chooseLogFormat(config.logFormat, config.env, Boolean(process.stdout.isTTY)),
  redactorFor(config),
);
if (config.devDefaults.length) {
  logger.warn({ variables: config.devDefaults }, 'development defaults in use; set these for production');
}

let app;
try {
  app = await buildApp(config, { logger });
} catch (error) {
  if (error instanceof MongoUnavailableError) {
    console.error(error.message);
    process.exit(MONGO_UNAVAILABLE_EXIT_CODE);
  }
  // The store is held by another process, corrupt or inconsistent: say so plainly and leave it untouched.
  if (error instanceof StoreUnusableError) {
    console.error(`Distro cannot start: ${error.message}${error.hint ? `\n${error.hint}` : ''}`);
    process.exit(75); // EX_TEMPFAIL
  }
  throw error;
}
await app.start();

let stopping = false;
const shutdown = async (signal: string): Promise<void> => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down: draining jobs');
  const force = setTimeout(() => {
    logger.error('drain timed out; exiting');
    process.exit(1);
  }, 60_000);
  force.unref();
  await app.stop();
  logger.info('stopped');
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

// The first-start guide, while the store has no distribution (a fresh install). After the signal handlers,
// so a SIGTERM that arrives once the server listens is always a drain.
const noDistribution = async (): Promise<boolean> =>
  app.repos.distributions.list({ limit: 1, offset: 0 }).then((p) => p.total === 0, () => false);
if (app.url && (await noDistribution()) && !stopping) {
  const { admin, slack } = config;
  logger.info(
    firstStartGuide({
      url: loopbackUrl(app.url),
      adminAuth: admin.token ? 'token' : admin.user ? 'basic' : admin.users.length ? 'users' : 'loopback',
      slackConfigured: Boolean(slack.botToken) && !config.devDefaults.includes('SLACK_SIGNING_SECRET'),
      command: slack.command,
    }),
  );
}
