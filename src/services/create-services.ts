import type { AdvisoryIndex } from '../domain/compare/advisories.js';
import { DEFAULT_POLICY } from '../domain/distribution.js';
import type { JobQueue, Repositories, UpstreamChecker } from '../domain/ports.js';
import type { UpstreamSource } from '../domain/distribution.js';
import { CompareService } from './compare-service.js';
import { DistributionService } from './distribution-service.js';
import { EventBus } from './event-bus.js';
import { LinkSigner } from './link-signer.js';
import { PlatformService } from './platform-service.js';
import { PollService } from './poll-service.js';
import type { Services } from './services.js';
import { SiteService } from './site-service.js';
import { TaskService } from './task-service.js';
import { UpgradeService } from './upgrade-service.js';

export interface ServiceDeps {
  repos: Repositories;
  jobs: JobQueue;
  events?: EventBus;
  advisories?: () => Promise<AdvisoryIndex | undefined>;
  links: { secret: string; ttlMs: number; publicUrl: string };
  /** Whether the hosting driver makes site files: site creation then queues an install task for a worker. */
  siteInstalls?: boolean;
  /** Upstream checkers by upstream kind (workers poll with them; without one, a poll of that kind fails saying so). */
  checkers?: Partial<Record<UpstreamSource['kind'], UpstreamChecker>>;
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
  const polls = new PollService({ repos, jobs, checkers: deps.checkers ?? {} });
  const distributions: DistributionService = new DistributionService({
    repos,
    events,
    defaultPolicy: { ...DEFAULT_POLICY, ...(deps.defaultPollIntervalMinutes !== undefined ? { pollIntervalMinutes: deps.defaultPollIntervalMinutes } : {}) },
    onUpstreamChanged: (d) => polls.schedule(d),
    upstreamPolicy: { allowLocal: deps.allowLocalUpstreams ?? false },
  });
  return {
    distributions,
    platforms: new PlatformService({ repos }),
    sites: new SiteService({ repos, jobs, installs: deps.siteInstalls ?? false }),
    compare,
    upgrades: new UpgradeService({ repos, jobs, events, compare }),
    tasks: new TaskService({ repos, events }),
    polls,
    links: new LinkSigner(deps.links),
    events,
  };
};
