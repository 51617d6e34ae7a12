import type { AdvisoryIndex } from '../domain/compare/advisories.js';
import { DEFAULT_POLICY } from '../domain/distribution.js';
import { POLL_JOB, pollNowKey, type PollJobData } from '../domain/jobs.js';
import type { JobQueue, Repositories } from '../domain/ports.js';
import { CompareService } from './compare-service.js';
import { DistributionService } from './distribution-service.js';
import { EventBus } from './event-bus.js';
import { LinkSigner } from './link-signer.js';
import { PlatformService } from './platform-service.js';
import type { Services } from './services.js';
import { SiteService } from './site-service.js';
import { TaskService } from './task-service.js';
import { UpgradeService } from './upgrade-service.js';
import { ViewService } from './view-service.js';

export interface ServiceDeps {
  repos: Repositories;
  jobs: JobQueue;
  events?: EventBus;
  advisories?: () => Promise<AdvisoryIndex | undefined>;
  links: { secret: string; ttlMs: number; publicUrl: string };
  /** Whether the hosting driver makes site files: site creation then queues an install task for a worker. */
  siteInstalls?: boolean;
  polls?: Services['polls'];
  /** Poll interval of distributions created without a policy. */
  defaultPollIntervalMinutes?: number;
  /** ALLOW_LOCAL_UPSTREAMS: accept file://, local paths, http:// and loopback/private upstream hosts. */
  allowLocalUpstreams?: boolean;
}

/** Wires the application services on the given ports. */
export const createServices = (deps: ServiceDeps): Services => {
  const { repos, jobs } = deps;
  const events = deps.events ?? new EventBus();
  const compare = new CompareService({ repos, advisories: deps.advisories ?? (async () => undefined) });
  const polls: Services['polls'] = deps.polls ?? {
    pollNow: async (key: string) => {
      const d = await distributions.get(key);
      await jobs.enqueue<PollJobData>(POLL_JOB, { distributionId: d.id }, { uniqueKey: pollNowKey(d.id) });
      return d;
    },
    schedule: async () => false,
  };
  const distributions: DistributionService = new DistributionService({
    repos,
    events,
    defaultPolicy: { ...DEFAULT_POLICY, ...(deps.defaultPollIntervalMinutes !== undefined ? { pollIntervalMinutes: deps.defaultPollIntervalMinutes } : {}) },
    onUpstreamChanged: (d) => polls.schedule(d),
    upstreamPolicy: { allowLocal: deps.allowLocalUpstreams ?? false },
  });
  const platforms = new PlatformService({ repos });
  const sites = new SiteService({ repos, jobs, installs: deps.siteInstalls ?? false });
  const upgrades = new UpgradeService({ repos, jobs, events, compare });
  const tasks = new TaskService({ repos, events });
  return {
    distributions,
    platforms,
    sites,
    compare,
    upgrades,
    tasks,
    views: new ViewService({ repos, distributions, platforms, sites, tasks, upgrades, compare }),
    polls,
    links: new LinkSigner(deps.links),
    events,
  };
};
