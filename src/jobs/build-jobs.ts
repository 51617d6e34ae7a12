/**
 * The `platform.build` job and its recurring `platform.build.recover` (payloads and keys in src/domain/jobs.ts):
 * builds are enqueued by PollService when a poll records a new platform; defined on worker queues only.
 */
import { BUILD_JOB, BUILD_RECOVER_JOB, buildKey, TARGET_WHEN_MATURE_JOB, type BuildJobData, type TargetWhenMatureJobData } from '../domain/jobs.js';
import type { JobQueue } from '../domain/ports.js';
import type { BuildService } from '../services/build-service.js';

export interface BuildJobsOptions {
  builds: BuildService;
  maxAttempts?: number;
  backoffMs?: number;
  concurrency?: number;
}

export const registerBuildJobs = (jobs: JobQueue, deps: BuildJobsOptions): void => {
  const maxAttempts = deps.maxAttempts ?? 3;
  jobs.define<BuildJobData>(
    BUILD_JOB,
    async (data, ctx) => {
      await deps.builds.build(data.platformId, { finalAttempt: ctx.attempt >= maxAttempts });
    },
    { concurrency: deps.concurrency ?? 2, maxAttempts, ...(deps.backoffMs !== undefined ? { backoffMs: deps.backoffMs } : {}) },
  );
  jobs.define<TargetWhenMatureJobData>(
    TARGET_WHEN_MATURE_JOB,
    async (data) => {
      await deps.builds.targetWhenMature(data.platformId);
    },
    { concurrency: 1, maxAttempts },
  );
  jobs.define(
    BUILD_RECOVER_JOB,
    async () => {
      for (const p of await deps.builds.requeueExpired()) {
        await jobs.enqueue<BuildJobData>(BUILD_JOB, { platformId: p.id }, { uniqueKey: buildKey(p.id) });
      }
    },
    { concurrency: 1, maxAttempts: 1 },
  );
};
