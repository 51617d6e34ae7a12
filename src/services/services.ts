import type { Actor } from '../domain/actor.js';
import type { Distribution } from '../domain/distribution.js';
import type { CompareService } from './compare-service.js';
import type { DistributionService } from './distribution-service.js';
import type { EventBus } from './event-bus.js';
import type { LinkSigner } from './link-signer.js';
import type { PlatformService } from './platform-service.js';
import type { SiteService } from './site-service.js';
import type { TaskService } from './task-service.js';
import type { UpgradeService } from './upgrade-service.js';
import type { ViewService } from './view-service.js';

/** What transports (Slack, HTTP) call. Built once in src/app.ts. */
export interface Services {
  distributions: DistributionService;
  platforms: PlatformService;
  sites: SiteService;
  compare: CompareService;
  upgrades: UpgradeService;
  tasks: TaskService;
  /** What the admin pages show (view models read through the services). */
  views: ViewService;
  /** Update polling: `pollNow` queues an immediate upstream check; `schedule` aligns the recurring poll with the policy. */
  polls: {
    pollNow(distributionKey: string, actor: Actor): Promise<unknown>;
    schedule(distribution: Distribution): Promise<boolean>;
  };
  links: LinkSigner;
  events: EventBus;
}
