/**
 * Composition root: read config, build the app, run the configured role(s), drain on SIGTERM/SIGINT.
 */
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Role } from './config.js';
import { createLogger } from './logger.js';
import { MONGO_UNAVAILABLE_EXIT_CODE, MongoUnavailableError } from './persistence/mongo/open-mongo.js';

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

const logger = createLogger(config.logLevel);
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
