import type { Actor } from '../domain/actor.js';
import type { Distribution, UpstreamSource } from '../domain/distribution.js';
import type { AdvisoryService } from './advisory-service.js';
import type { AuditLog } from './audit-log.js';
import type { CompareService } from './compare-service.js';
import type { HoldService } from './hold-service.js';
import type { RollbackService } from './rollback-service.js';
import type { DistributionService } from './distribution-service.js';
import type { EventBus } from './event-bus.js';
import type { LinkSigner } from './link-signer.js';
import type { PlatformService } from './platform-service.js';
import type { RolloutService } from './rollout-service.js';
import type { SiteService } from './site-service.js';
import type { TaskService } from './task-service.js';
import type { UpgradeService } from './upgrade-service.js';

/** What transports (Slack, HTTP) call. Built once in src/app.ts. */
export interface Services {
  distributions: DistributionService;
  platforms: PlatformService;
  sites: SiteService;
  compare: CompareService;
  upgrades: UpgradeService;
  tasks: TaskService;
  rollouts: RolloutService;
  /** Every state change's record: `audit.record({ actor, action, subject, details })`. */
  audit: AuditLog;
  /** Manual platform locks and site/distribution pins. */
  holds: HoldService;
  rollbacks: RollbackService;
  /** Update polling: `pollNow` queues an immediate upstream check; `schedule` aligns the recurring poll with the policy. */
  polls: {
    pollNow(distributionKey: string, actor: Actor): Promise<unknown>;
    schedule(distribution: Distribution): Promise<boolean>;
    /** Checks an upstream as polling would, without saving anything; absent where no checker is wired. */
    testUpstream?(upstream: UpstreamSource): Promise<string[]>;
  };
  links: LinkSigner;
  events: EventBus;
  /** Security advisory feed, exposure and announcements. */
  advisories: AdvisoryService;
}
