import type { AdvisoryService } from './advisory-service.js';
import type { ApiTokenService } from './api-token-service.js';
import type { AuditLog } from './audit-log.js';
import type { CompareService } from './compare-service.js';
import type { HoldService } from './hold-service.js';
import type { RollbackService } from './rollback-service.js';
import type { DistributionService } from './distribution-service.js';
import type { EventBus } from './event-bus.js';
import type { LinkSigner } from './link-signer.js';
import type { PlatformService } from './platform-service.js';
import type { ImportService } from './import-service.js';
import type { PollService } from './poll-service.js';
import type { ReleaseService } from './release-service.js';
import type { RolloutService } from './rollout-service.js';
import type { SecurityUpgrader } from './security-upgrader.js';
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
  rollouts: RolloutService;
  /** Every state change's record: `audit.record({ actor, action, subject, details })`. */
  audit: AuditLog;
  /** Manual platform locks and site/distribution pins. */
  holds: HoldService;
  /** Personal API tokens of signed-in users (bearer credentials for scripts and the CLI). */
  apiTokens: ApiTokenService;
  rollbacks: RollbackService;
  /** What the admin pages show (view models read through the services). */
  views: ViewService;
  /** Update polling: immediate checks (`pollNow`), recurring schedules, webhook-triggered polls, the poll job's work. */
  polls: PollService;
  /** Build any release: the upstream's tags with their state here, and a build of a chosen tag or branch. */
  releases: ReleaseService;
  /** Import a fleet of existing sites (drush aliases or CSV): preview, then one all-or-nothing apply. */
  imports: ImportService;
  links: LinkSigner;
  events: EventBus;
  /** Security advisory feed, exposure and announcements. */
  advisories: AdvisoryService;
  /** policy.security.autoUpgrade: advisory events start security rollouts. */
  securityUpgrades: SecurityUpgrader;
}
