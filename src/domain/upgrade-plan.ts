import type { Actor } from './actor.js';

/** One site moving in a plan. */
export interface PlannedMove {
  siteId: string;
  siteName: string;
  fromPlatformId: string;
}

export type PlanState = 'pending' | 'confirmed' | 'cancelled' | 'stale';

/** How the user selected the sites (kept so a stale plan can be re-proposed). */
export type PlanScope =
  | { kind: 'site'; name: string }
  | { kind: 'platform'; name: string }
  | { kind: 'distribution'; slug: string };

/**
 * An Upgrade proposal as posted to Slack: the Compare summary plus Confirm/Cancel.
 * Confirm is a single atomic pending→confirmed transition, so a double click schedules once.
 */
export interface UpgradePlan {
  id: string;
  distributionId: string;
  /** Target at the time the summary was made; Confirm is refused if it changed since. */
  targetPlatformId: string;
  scope: PlanScope;
  moves: PlannedMove[];
  /** True when the Compare found an error (schema downgrade, removed module in use): Confirm disabled. */
  blocked: boolean;
  state: PlanState;
  requestedBy: Actor;
  confirmedBy: Actor | null;
  taskIds: string[];
  /**
   * Sites Confirm left out, with why; null until Confirm has gone through every move (so a summary rendered
   * meanwhile says "being scheduled", not "skipped").
   */
  skipped: PlanSkip[] | null;
  /** Where the summary message lives, so it can be updated as tasks progress. */
  message: { channel: string; ts: string } | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A move Confirm did not schedule. */
export interface PlanSkip {
  site: string;
  reason: string;
}

export type NewUpgradePlan = Pick<
  UpgradePlan,
  'distributionId' | 'targetPlatformId' | 'scope' | 'moves' | 'blocked' | 'requestedBy'
>;
