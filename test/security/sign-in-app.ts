/** The product on a data directory that outlives one start (a restart keeps the store), with cheap test hashes. */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildApp, type DistroApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { hashPassword } from '../../src/lib/password-hash.js';
import { silentLogger } from '../../src/logger.js';
import { makeTempDir } from '../support/git-fixtures.js';
import { SessionClient } from '../support/sign-in.js';

export const SIGN_IN_TOKEN = 'sign-in-test-token-1234';
const CHEAP = { N: 1024, r: 8, p: 1 };

/** ADMIN_USERS lines for `name → password` (one role for all, or per name as `role:password`). */
export const usersEnv = async (entries: Record<string, string>, role = 'operator'): Promise<string> =>
  (
    await Promise.all(
      Object.entries(entries).map(async ([name, value]) => {
        const [r, pw] = value.includes(':') ? (value.split(/:(.*)/s) as [string, string]) : [role, value];
        return `${name}:${r}:${await hashPassword(pw, CHEAP)}`;
      }),
    )
  ).join('\n');

/** Starts the product on `dir` (its store survives a stop, like a restart of the process). */
export const startOn = async (dir: string, env: Record<string, string>): Promise<DistroApp> => {
  const config = loadConfig({ PORT: '0', DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'silent', ADVISORY_FEED_URL: 'off', ADMIN_TOKEN: SIGN_IN_TOKEN, ...env });
  const app = await buildApp(config, { logger: silentLogger() });
  await app.start();
  return app;
};

/** A temporary directory removed by the returned cleanup. */
export const tempDir = async (): Promise<{ dir: string; remove: () => Promise<void> }> => {
  const dir = await makeTempDir('distro-sign-in-');
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
};

/** POST /login from a client behind the proxy at `address` (X-Forwarded-For; only counts with TRUST_PROXY). */
export const loginFrom = (url: string, address: string | null, user: string, password: string) =>
  new SessionClient(url).request('POST', '/login', { user, password, next: '/' }, address ? { 'x-forwarded-for': address } : {});
