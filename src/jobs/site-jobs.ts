/**
 * The `site.install` job (payload and key in src/domain/jobs.ts, enqueued by SiteService.create):
 * defined on worker queues only, so a web process never calls the hosting driver.
 */
import { ValidationError } from '../domain/errors.js';
import { SITE_INSTALL_JOB, type SiteInstallJobData } from '../domain/jobs.js';
import type { EventPublisher, HostingDriver, JobQueue, Repositories } from '../domain/ports.js';
import { SiteInstaller } from '../services/site-installer.js';

export interface SiteJobsOptions {
  repos: Pick<Repositories, 'tasks' | 'sites' | 'platforms'>;
  driver: HostingDriver;
  events: EventPublisher;
  /** This worker's lease owner id (unique per process). */
  owner: string;
  maxAttempts: number;
  leaseMs?: number;
}

export const registerSiteJobs = (jobs: JobQueue, options: SiteJobsOptions): SiteInstaller => {
  const installer = new SiteInstaller({
    repos: options.repos,
    driver: options.driver,
    events: options.events,
    ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
  });
  jobs.define<SiteInstallJobData>(
    SITE_INSTALL_JOB,
    async (data, ctx) => {
      if (typeof data?.taskId !== 'string' || !data.taskId) throw new ValidationError(`${SITE_INSTALL_JOB} job needs a taskId.`);
      await installer.run(data.taskId, options.owner, { attempt: ctx.attempt, maxAttempts: options.maxAttempts });
    },
    { concurrency: 2, maxAttempts: options.maxAttempts },
  );
  return installer;
};
