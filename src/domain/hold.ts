/**
 * Holds set by hand, each with a reason, who and when: a manual lock on a platform (no new sites, never made the
 * target; distinct from the automatic lock of every platform that is not the target) and a pin on a site or a
 * distribution (left out of upgrades and rollouts, shown as held with the reason).
 */
import type { Actor } from './actor.js';

export type HoldKind = 'platform' | 'site' | 'distribution';

export interface Hold {
  kind: HoldKind;
  subjectId: string;
  reason: string;
  by: Actor;
  at: Date;
}

/** How each kind of hold is called to people. */
export const HOLD_WORD: Record<HoldKind, 'locked' | 'pinned'> = { platform: 'locked', site: 'pinned', distribution: 'pinned' };

/** Longest reason kept (it is shown in Slack messages and pages). */
export const MAX_HOLD_REASON_CHARS = 300;
