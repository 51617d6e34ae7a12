/**
 * The product as `npm start` composes it (src/app.ts: embedded store, SQLite job queue, real HTTP on 127.0.0.1),
 * with GitHub pointed at the local stand-in, for tests that attack its public surfaces.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildApp, type DistroApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Distribution } from '../../src/domain/distribution.js';
import { SqliteJobQueue, type StoredJob } from '../../src/jobs/sqlite-queue.js';
import { silentLogger } from '../../src/logger.js';
import { POLL_JOB } from '../../src/domain/jobs.js';
import { makeTempDir } from './git-fixtures.js';
import { startGitHubStandIn, type GitHubStandIn } from './github-stand-in.js';

export interface ProductServer {
  app: DistroApp;
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  github: GitHubStandIn;
  /** Poll jobs ever queued (the embedded queue keeps finished ones), optionally of one distribution. */
  pollJobs(distributionId?: string): Promise<StoredJob[]>;
  stop(): Promise<void>;
}

export const startProduct = async (env: Record<string, string> = {}): Promise<ProductServer> => {
  const dir = await makeTempDir('distro-security-');
  const github = await startGitHubStandIn();
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: join(dir, 'data'),
    LOG_LEVEL: 'silent',
    GITHUB_API_URL: github.url,
    JOB_MAX_ATTEMPTS: '1',
    // GitHub is unreachable here; the advisory feed has its own tests.
    ADVISORY_FEED_URL: 'off',
    ...env,
  });
  const app = await buildApp(config, { logger: silentLogger() });
  await app.start();
  if (!(app.jobs instanceof SqliteJobQueue)) throw new Error('expected the embedded job queue');
  const jobs = app.jobs;
  const url = app.url!;
  return {
    app,
    url,
    port: Number(new URL(url).port),
    github,
    pollJobs: async (distributionId) =>
      (await jobs.list(POLL_JOB)).filter((j) => (!distributionId || (j.data as { distributionId?: string }).distributionId === distributionId)),
    stop: async () => {
      await app.stop();
      await github.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
};

/**
 * A distribution tracking acme/portal's `main` on the GitHub stand-in, which does not know that repository:
 * its polls end quickly (failed), which is all tests that count poll jobs need.
 */
export const createPortalDistribution = (product: ProductServer): Promise<Distribution> =>
  product.app.services.distributions.create({
    slug: 'portal',
    title: 'Portal',
    upstream: { kind: 'github', owner: 'acme', repo: 'portal', branch: 'main', manifestPath: 'composer.lock' },
    policy: { pollIntervalMinutes: 0, autoTarget: false },
  });
