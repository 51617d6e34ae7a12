/**
 * Opening MongoDB at start: an unreachable or refusing server gives one sentence naming the host (credentials
 * redacted) and what to check, then retries with backoff until it answers; with `failFast` the first failure
 * is a MongoUnavailableError instead (src/main.ts exits with EX_UNAVAILABLE). Losing MongoDB later is not fatal:
 * the driver reconnects by itself, and /healthz reports 503 meanwhile.
 */
import type { Connection } from 'mongoose';
import { redactUrl } from '../../lib/redact.js';
import type { Logger } from '../../logger.js';
import { connectMongo } from './mongo-repositories.js';

import { MongoUnavailableError } from './mongo-unavailable.js';

export { MONGO_UNAVAILABLE_EXIT_CODE, MongoUnavailableError } from './mongo-unavailable.js';

export interface OpenMongoOptions {
  failFast: boolean;
  logger: Logger;
  /** Server selection time per attempt (default 5 s). */
  attemptTimeoutMs?: number;
  /** First retry delay, doubled per attempt up to maxDelayMs (defaults 1 s and 30 s). */
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/** The host list of a MongoDB URI (`h1:27017,h2:27017`), which WHATWG URL cannot parse when there are several. */
export const mongoHosts = (uri: string): string => {
  const afterScheme = uri.replace(/^mongodb(?:\+srv)?:\/\//, '');
  const authority = afterScheme.split(/[/?]/, 1)[0] ?? '';
  return authority.slice(authority.lastIndexOf('@') + 1) || '(no host)';
};

/** The driver's reason, shortened to one line and with any credentials taken out. */
const reasonOf = (error: unknown): string => {
  const message = error instanceof Error ? error.message : String(error);
  const line = redactUrl(message.split('\n', 1)[0] ?? '').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line || 'no answer';
};

/** One sentence: where, why, what to check, and what happens next. */
export const unreachableSentence = (uri: string, error: unknown, next: string): string =>
  `MongoDB at ${mongoHosts(uri)} is not reachable (${reasonOf(error)}). Check that the server is running and reachable ` +
  `from this host, and that MONGODB_URI (${redactUrl(uri)}) names the right host, port and credentials. ${next}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const openMongo = async (uri: string, options: OpenMongoOptions): Promise<Connection> => {
  const first = options.firstDelayMs ?? 1000;
  const max = options.maxDelayMs ?? 30_000;
  for (let attempt = 1; ; attempt++) {
    try {
      const connection = await connectMongo(uri, { serverSelectionTimeoutMS: options.attemptTimeoutMs ?? 5000 });
      if (attempt > 1) options.logger.info({ hosts: mongoHosts(uri), attempts: attempt }, 'MongoDB reachable again; starting');
      return connection;
    } catch (error) {
      if (options.failFast) throw new MongoUnavailableError(unreachableSentence(uri, error, 'Exiting (MONGODB_FAIL_FAST).'));
      const delay = Math.min(max, first * 2 ** (attempt - 1));
      options.logger.error({ hosts: mongoHosts(uri), attempt }, unreachableSentence(uri, error, `Retrying in ${Math.ceil(delay / 1000)} s.`));
      await sleep(delay);
    }
  }
};
