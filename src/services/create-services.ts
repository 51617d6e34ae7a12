import type { AdvisoryIndex } from '../domain/compare/advisories.js';
import { DEFAULT_POLICY } from '../domain/distribution.js';
import type { UpstreamSource } from '../domain/distribution.js';
import type { AdvisoryFeedReader, Clock, HealthChecker, JobQueue, Repositories, UpstreamChecker } from '../domain/ports.js';
import { AdvisoryService } from './advisory-service.js';
import { ApiTokenService } from './api-token-service.js';
import { AuditLog } from './audit-log.js';
import { CompareService } from './compare-service.js';
import { HoldService } from './hold-service.js';
import { RollbackService } from './rollback-service.js';
import { DistributionService } from './distribution-service.js';
import { EventBus } from './event-bus.js';
import { LinkSigner } from './link-signer.js';
import { PlatformService } from './platform-service.js';
import { ReleaseService } from './release-service.js';
import { ImportService } from './import-service.js';
import { PollService } from './poll-service.js';
import type { Services } from './services.js';
import { SiteService, type SiteServiceDeps } from './site-service.js';
import { RolloutService } from './rollout-service.js';
import { SecurityUpgrader } from './security-upgrader.js';
import { TaskService } from './task-service.js';
import { UpgradeService } from './upgrade-service.js';
import { ViewService } from './view-service.js';

export interface ServiceDeps {
  repos: Repositories;
  jobs: JobQueue;
  events?: EventBus;
  /** The bundled advisory map (ADVISORIES_FILE), in force until an advisory feed snapshot is. */
  advisories?: () => Promise<AdvisoryIndex | undefined>;
  /** Advisory feeds to poll (none: only the bundled map). */
  advisoryFeeds?: AdvisoryFeedReader[];
  /** ADVISORY_FEED_MAX_MB in bytes. */
  advisoryMaxBytes?: number;
  links: { secret: string; ttlMs: number; publicUrl: string };
  /** Whether the hosting driver makes site files: site creation then queues an install task for a worker. */
  siteInstalls?: boolean;
  /** See SiteServiceDeps.hostingReads: adoption and import look at existing sites and code bases through it. */
  hostingReads?: SiteServiceDeps['hostingReads'];
  /** See SiteServiceDeps.platformHasFiles. */
  platformHasFiles?: SiteServiceDeps['platformHasFiles'];
  /** Upstream checkers by upstream kind (workers poll with them; without one, a poll of that kind fails saying so). */
  checkers?: Partial<Record<UpstreamSource['kind'], UpstreamChecker>>;
  /** Poll interval of distributions created without a policy. */
  defaultPollIntervalMinutes?: number;
  /** ALLOW_LOCAL_UPSTREAMS: accept file://, local paths, http:// and loopback/private upstream hosts. */
  allowLocalUpstreams?: boolean;
  /** Time for rollouts (maintenance windows); tests inject one. */
  clock?: Clock;
  /** BACKUP_RETENTION_DAYS in ms: how long a migrated site may be rolled back. */
  backupRetentionMs?: number;
  /** The health checker, for the policy page's "Test this check on a site". */
  health?: HealthChecker;
}

const DEFAULT_RETENTION_MS = 14 * 86_400_000;

/** Wires the application services on the given ports. */
export const createServices = (deps: ServiceDeps): Services => {
  const { repos, jobs } = deps;
  const events = deps.events ?? new EventBus();
  const advisories = new AdvisoryService({
    repos,
    events,
    feeds: deps.advisoryFeeds ?? [],
    maxBytes: deps.advisoryMaxBytes ?? 5 * 1024 * 1024,
    ...(deps.advisories ? { fallback: deps.advisories } : {}),
  });
  // Compare reads the map in force (the feed's newest snapshot, or the bundled file before the first).
  const compare = new CompareService({
    repos,
    advisories: () => advisories.advisoryIndex(),
    advisoryEvent: async (name) => (await advisories.listEvents({ package: name }, { limit: 1, offset: 0 })).items[0]?.id ?? null,
  });
  const audit = new AuditLog({ repos });
  const holds = new HoldService({ repos, audit });
  const polls = new PollService({ repos, jobs, checkers: deps.checkers ?? {}, upstreamPolicy: { allowLocal: deps.allowLocalUpstreams ?? false } });
  const distributions: DistributionService = new DistributionService({
    repos,
    events,
    audit,
    holds,
    defaultPolicy: { ...DEFAULT_POLICY, ...(deps.defaultPollIntervalMinutes !== undefined ? { pollIntervalMinutes: deps.defaultPollIntervalMinutes } : {}) },
    onUpstreamChanged: (d) => polls.schedule(d),
    // Waiting and running rollouts of the distribution take a policy change up at once.
    onPolicyChanged: (d, changes, actor) => rollouts.policyChanged(d.id, changes, actor),
    upstreamPolicy: { allowLocal: deps.allowLocalUpstreams ?? false },
    ...(deps.health ? { health: deps.health } : {}),
  });
  const rollouts = new RolloutService({ repos, jobs, events, audit, holds, ...(deps.clock ? { clock: deps.clock } : {}) });
  const platforms = new PlatformService({ repos, audit, holds });
  const sites = new SiteService({
      repos,
      jobs,
      installs: deps.siteInstalls ?? false,
      audit,
      holds,
      ...(deps.platformHasFiles ? { platformHasFiles: deps.platformHasFiles } : {}),
      ...(deps.hostingReads ? { hostingReads: deps.hostingReads } : {}),
  });
  const upgrades = new UpgradeService({ repos, jobs, events, compare, rollouts, audit, holds, ...(deps.clock ? { clock: deps.clock } : {}) });
  const tasks = new TaskService({ repos, events, audit });
  return {
    distributions,
    platforms,
    sites,
    compare,
    upgrades,
    securityUpgrades: new SecurityUpgrader({ repos, upgrades, holds }),
    rollouts,
    tasks,
    views: new ViewService({ repos, distributions, platforms, sites, tasks, upgrades, compare }),
    audit,
    holds,
    apiTokens: new ApiTokenService({ repos, audit, ...(deps.clock ? { clock: deps.clock } : {}) }),
    rollbacks: new RollbackService({ repos, jobs, audit, retentionMs: deps.backupRetentionMs ?? DEFAULT_RETENTION_MS }),
    polls,
    releases: new ReleaseService({ repos, polls, audit }),
    imports: new ImportService({ repos, audit, ...(deps.hostingReads ? { hostingReads: deps.hostingReads } : {}) }),
    links: new LinkSigner(deps.links),
    events,
    advisories,
  };
};
