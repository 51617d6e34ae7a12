/**
 * The Aegir "Distributions" rules, as pure functions over plain data.
 */
import type { Distribution } from './distribution.js';
import { RuleViolationError } from './errors.js';
import type { Platform } from './platform.js';
import type { Site } from './site.js';

/** A distribution's target must be one of its own platforms that is built (ready, or locked by an older target). */
export const assertCanBeTarget = (distribution: Distribution, platform: Platform): void => {
  if (platform.distributionId !== distribution.id) {
    throw new RuleViolationError(
      `Platform \`${platform.name}\` belongs to another distribution, not \`${distribution.slug}\`.`,
    );
  }
  if (platform.status !== 'ready' && platform.status !== 'locked') {
    throw new RuleViolationError(
      `Platform \`${platform.name}\` is ${platform.status}; only a built (ready) platform can be the upgrade target.`,
    );
  }
};

/** New sites may only be created on a ready platform (never on a locked, failed or unbuilt one). */
export const assertCanHostNewSite = (platform: Platform): void => {
  if (platform.status === 'locked') {
    throw new RuleViolationError(
      `Platform \`${platform.name}\` is locked because it is not its distribution's upgrade target; create the site on the target instead.`,
    );
  }
  if (platform.status !== 'ready') {
    throw new RuleViolationError(`Platform \`${platform.name}\` is ${platform.status}; sites can only be created on a ready platform.`);
  }
};

/**
 * Upgrade is offered only for a site whose platform belongs to a distribution with a target,
 * is not that target, and that is not already migrating or disabled.
 */
export const upgradeAvailable = (site: Site, platform: Platform, distribution: Distribution): boolean =>
  distribution.targetPlatformId !== null &&
  platform.distributionId === distribution.id &&
  site.platformId === platform.id &&
  platform.id !== distribution.targetPlatformId &&
  site.status === 'enabled';

/** Why a site cannot be upgraded, or null when it can. */
export const upgradeRefusal = (site: Site, platform: Platform, distribution: Distribution): string | null => {
  if (distribution.targetPlatformId === null) return `Distribution \`${distribution.slug}\` has no upgrade target yet.`;
  if (platform.id === distribution.targetPlatformId) return `\`${site.name}\` is already on the upgrade target \`${platform.name}\`.`;
  if (site.status === 'migrating') return `\`${site.name}\` is already migrating.`;
  if (site.status === 'installing') return `\`${site.name}\` is still being installed.`;
  if (site.status !== 'enabled') return `\`${site.name}\` is ${site.status}; enable it before upgrading.`;
  return null;
};

/** The platforms a target change locks and unlocks, for a distribution's platforms. */
export const lockPlan = (platforms: Platform[], targetId: string): { lock: string[]; unlock: string[] } => ({
  lock: platforms.filter((p) => p.id !== targetId && p.status === 'ready').map((p) => p.id),
  unlock: platforms.filter((p) => p.id === targetId && p.status === 'locked').map((p) => p.id),
});
