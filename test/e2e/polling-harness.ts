/**
 * The polling/build stack on real parts: the embedded store (SQLite in memory) and its job queue (started), the local hosting
 * driver doing real git checkouts, the lead's DistributionService for targets, and real checkers.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Actor } from '../../src/domain/actor.js';
import type { DomainEvent, Repositories } from '../../src/domain/ports.js';
import { GitHubUpstreamChecker } from '../../src/github/github-checker.js';
import { LocalDriver } from '../../src/hosting/local-driver.js';
import type { SqliteJobQueue } from '../../src/jobs/sqlite-queue.js';
import { BuildService } from '../../src/services/build-service.js';
import { registerBuildJobs } from '../../src/jobs/build-jobs.js';
import { registerPollJobs } from '../../src/jobs/poll-jobs.js';
import { PollService } from '../../src/services/poll-service.js';
import type { Services } from '../../src/services/services.js';
import { GitUpstreamChecker } from '../../src/upstream/git-checker.js';
import { embeddedStore } from '../support/embedded.js';
import { makeTempDir } from '../support/git-fixtures.js';
import { createHarness } from '../support/services-harness.js';

export const ADMIN: Actor = { kind: 'user', id: 'UADMIN', name: 'admin' };
export const POLLER: Actor = { kind: 'poll' };

export interface PollingStack {
  root: string;
  repos: Repositories;
  jobs: SqliteJobQueue;
  services: Services;
  polls: PollService;
  builds: BuildService;
  /** Every domain event published, in order. */
  events: DomainEvent[];
  /** Resolves once no job is queued or running (fails loudly instead of hanging). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export const startPollingStack = async (options: { githubApiUrl?: string; now?: () => Date } = {}): Promise<PollingStack> => {
  const root = await makeTempDir('distro-poll-e2e-');
  const { repos, queue } = embeddedStore();
  const jobs = queue({ pollIntervalMs: 10 });
  const harness = createHarness(repos, jobs);
  const driver = new LocalDriver({ root: join(root, 'data'), allowLocalUpstreams: true, ...(options.githubApiUrl ? { githubBaseUrl: options.githubApiUrl } : {}) });
  const polls = new PollService({
    repos,
    jobs,
    checkers: {
      git: new GitUpstreamChecker({ allowLocalUpstreams: true }),
      ...(options.githubApiUrl ? { github: new GitHubUpstreamChecker({ apiUrl: options.githubApiUrl }) } : {}),
    },
  });
  const builds = new BuildService({ repos, driver, events: harness.services.events, targets: harness.services.distributions, jobs, ...(options.now ? { now: options.now } : {}) });
  registerPollJobs(jobs, { polls, maxAttempts: 2, backoffMs: 10 });
  registerBuildJobs(jobs, { builds, maxAttempts: 2, backoffMs: 10 });
  await jobs.start();

  const idle = async () => {
    for (let i = 0; i < 3000; i++) {
      const s = await jobs.stats();
      if (s.running === 0 && s.queued === 0) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`Jobs still pending: ${JSON.stringify((await jobs.list()).filter((j) => j.state !== 'done'))}`);
  };
  return {
    root,
    repos,
    jobs,
    services: harness.services,
    polls,
    builds,
    events: harness.events,
    idle,
    close: async () => {
      await jobs.stop();
      await repos.close();
      await rm(root, { recursive: true, force: true });
    },
  };
};
