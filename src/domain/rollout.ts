/**
 * A rollout: the record of moving a set of sites (a site, a platform, a distribution) to a target platform. Made by
 * Confirm from an upgrade plan, it owns the waves (canaries first, then batches), the migrate tasks of each wave,
 * and its state:
 *
 *   scheduled → running ⇄ paused → done | failed | cancelled   (cancelled from any state that is not final)
 *
 * The next wave starts only when the previous one finished within the policy's failure threshold; above it the
 * rollout pauses, saying why. Every change is a pure function here (the state machine, wave assignment); the
 * service applies it with a compare-and-set on `version`, so two changes never interleave.
 */
import type { Actor } from './actor.js';
import { ConflictError } from './errors.js';
import type { RolloutSecurity } from './security-policy.js';
import type { PlannedMove } from './upgrade-plan.js';

export type RolloutState = 'scheduled' | 'running' | 'paused' | 'done' | 'failed' | 'cancelled';
export const ROLLOUT_STATES: readonly RolloutState[] = ['scheduled', 'running', 'paused', 'done', 'failed', 'cancelled'];
export const FINAL_ROLLOUT_STATES: readonly RolloutState[] = ['done', 'failed', 'cancelled'];
export const isFinalRollout = (s: RolloutState): boolean => FINAL_ROLLOUT_STATES.includes(s);

/** How waves are made (distribution policy `rollout.waves`). */
export interface WavePolicy {
  /** The first N sites in name order form the canary wave (0: no canary wave by count). */
  canaries?: number;
  /** Named canary sites (those in the rollout), before the counted ones. */
  canarySites?: string[];
  /** Sites per wave after the canaries; absent or 0: all the rest in one wave. */
  batchSize?: number;
}

/** A site in a wave: the move and, once the wave started, its migrate task. */
export interface WaveSite extends PlannedMove {
  taskId: string | null;
  /** Tasks of earlier tries (failed; a resume tries the site again). */
  attempts?: string[];
}

export type WaveState = 'pending' | 'running' | 'done';

export interface Wave {
  index: number;
  canary: boolean;
  sites: WaveSite[];
  state: WaveState;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface Rollout {
  id: string;
  /** Short number for commands (`/distro pause 3`). */
  number: number;
  planId: string;
  distributionId: string;
  targetPlatformId: string;
  state: RolloutState;
  waves: Wave[];
  /** Fraction (0–1) of a wave's sites that may fail before the rollout pauses; 0 = any failure pauses. */
  failureThreshold: number;
  /** Why it is paused, failed or waiting (shown in Slack and on the page). */
  reason: string | null;
  /** Set while the next wave waits for a maintenance window. */
  waitingUntil: Date | null;
  createdBy: Actor;
  /** Set on a security rollout (it moves sites to a target fixing an advisory exposing them); null otherwise. */
  security: RolloutSecurity | null;
  pausedBy: Actor | null;
  pausedAt: Date | null;
  resumedBy: Actor | null;
  resumedAt: Date | null;
  cancelledBy: Actor | null;
  cancelledAt: Date | null;
  /** What changed under it while it ran (policy changes taken up at once), oldest first, the last few kept. */
  notes?: RolloutNote[];
  /** Bumped by every change: the compare-and-set key. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** A change made under a rollout (its distribution's policy), shown on the rollout. */
export interface RolloutNote {
  at: Date;
  by: Actor;
  text: string;
}

/** Notes kept on a rollout (older ones are in the audit log). */
export const MAX_ROLLOUT_NOTES = 10;

export type NewRollout = Pick<Rollout, 'planId' | 'distributionId' | 'targetPlatformId' | 'waves' | 'failureThreshold' | 'createdBy'> &
  Partial<Pick<Rollout, 'security'>>;

/**
 * The key that makes one advisory event start at most one automatic rollout per distribution (a unique key in
 * both stores); null for every other rollout.
 */
export const automaticRolloutKey = (r: Pick<Rollout, 'distributionId'> & Partial<Pick<Rollout, 'security'>>): string | null =>
  r.security?.automatic && r.security.advisoryEventId ? `${r.security.advisoryEventId}:${r.distributionId}` : null;

/** What a rollout change writes (everything but identity and bookkeeping). */
export type RolloutPatch = Partial<
  Pick<
    Rollout,
    | 'state'
    | 'waves'
    | 'reason'
    | 'waitingUntil'
    | 'pausedBy'
    | 'pausedAt'
    | 'resumedBy'
    | 'resumedAt'
    | 'cancelledBy'
    | 'cancelledAt'
    | 'finishedAt'
    | 'failureThreshold'
    | 'notes'
  >
>;

/** A new rollout's full record (ids and numbers come from the store). */
export const newRolloutRecord = (input: NewRollout, number: number, now: Date): Omit<Rollout, 'id'> => ({
  ...input,
  security: input.security ?? null,
  number,
  state: 'scheduled',
  reason: null,
  waitingUntil: null,
  pausedBy: null,
  pausedAt: null,
  resumedBy: null,
  resumedAt: null,
  cancelledBy: null,
  cancelledAt: null,
  notes: [],
  version: 1,
  createdAt: now,
  updatedAt: now,
  finishedAt: null,
});

/** Keys a RolloutPatch may hold (stores copy only these). */
export const ROLLOUT_PATCH_KEYS = [
  'state', 'waves', 'reason', 'waitingUntil', 'pausedBy', 'pausedAt', 'resumedBy', 'resumedAt', 'cancelledBy', 'cancelledAt', 'finishedAt',
  'failureThreshold', 'notes',
] as const satisfies ReadonlyArray<keyof RolloutPatch>;

/**
 * Splits moves into waves: named canaries (in the order given), then the first `canaries` of the rest in name
 * order, then batches of `batchSize` in name order. Stable: the same moves and policy always give the same waves.
 */
export const assignWaves = (moves: readonly PlannedMove[], policy: WavePolicy = {}): Wave[] => {
  const byName = [...moves].sort((a, b) => (a.siteName < b.siteName ? -1 : a.siteName > b.siteName ? 1 : a.siteId < b.siteId ? -1 : 1));
  const named = new Set(policy.canarySites ?? []);
  const canaries = [...(policy.canarySites ?? [])].flatMap((n) => byName.filter((m) => m.siteName === n));
  const rest = byName.filter((m) => !named.has(m.siteName));
  const counted = Math.max(0, Math.min(policy.canaries ?? 0, rest.length));
  const canaryWave = [...canaries, ...rest.slice(0, counted)];
  const remaining = rest.slice(counted);
  const size = policy.batchSize && policy.batchSize > 0 ? policy.batchSize : Math.max(1, remaining.length);
  const groups: Array<{ canary: boolean; moves: PlannedMove[] }> = [];
  if (canaryWave.length) groups.push({ canary: true, moves: canaryWave });
  for (let i = 0; i < remaining.length; i += size) groups.push({ canary: false, moves: remaining.slice(i, i + size) });
  return groups.map((g, index) => ({
    index,
    canary: g.canary,
    sites: g.moves.map((m) => ({ siteId: m.siteId, siteName: m.siteName, fromPlatformId: m.fromPlatformId, taskId: null })),
    state: 'pending',
    startedAt: null,
    finishedAt: null,
  }));
};

/** The wave in progress or next to start; null when every wave is done. */
export const currentWave = (r: Pick<Rollout, 'waves'>): Wave | null => r.waves.find((w) => w.state !== 'done') ?? null;

export type RolloutAction = 'pause' | 'resume' | 'cancel';

/** Whether a migration of a rollout may start now: start, wait (paused, or outside its window) or be cancelled. */
export type StartGate = 'start' | 'wait' | 'cancel';

const ALLOWED: Record<RolloutAction, readonly RolloutState[]> = {
  pause: ['scheduled', 'running'],
  // A rollout whose last wave failed can be resumed too: it retries that wave's failed sites.
  resume: ['paused', 'failed'],
  cancel: ['scheduled', 'running', 'paused'],
};

const DONE_WORD: Record<RolloutAction, string> = { pause: 'paused', resume: 'resumed', cancel: 'cancelled' };

/**
 * A person's pause, resume or cancel as a patch, or a ConflictError naming the state it cannot happen in.
 * Pausing lets running migrations finish and starts no new ones; cancelling also cancels queued migrations
 * (the service does that); resuming clears the reason and starts where the rollout stopped.
 */
export const rolloutAction = (r: Pick<Rollout, 'state' | 'number'>, action: RolloutAction, actor: Actor, now: Date, reason?: string): RolloutPatch => {
  if (!ALLOWED[action].includes(r.state)) {
    throw new ConflictError(`Rollout ${r.number} is ${r.state}; it can be ${DONE_WORD[action]} only when ${ALLOWED[action].join(' or ')}.`);
  }
  if (action === 'pause') return { state: 'paused', pausedBy: actor, pausedAt: now, reason: reason ?? null };
  if (action === 'resume') return { state: 'running', resumedBy: actor, resumedAt: now, reason: null, finishedAt: null };
  return { state: 'cancelled', cancelledBy: actor, cancelledAt: now, finishedAt: now, reason: reason ?? null, waitingUntil: null };
};

/** A wave's outcome once none of its tasks is queued or running. */
export interface WaveOutcome {
  failed: string[];
  total: number;
}

/** Whether a finished wave's failures exceed the threshold (pause), as a fraction of the wave's sites. */
export const exceedsThreshold = (o: WaveOutcome, threshold: number): boolean => o.total > 0 && o.failed.length / o.total > threshold;

/** One line for Slack and pages: "wave 2 of 4 · running". */
export const describeProgress = (r: Pick<Rollout, 'waves' | 'state'>): string => {
  const wave = currentWave(r);
  const done = r.waves.filter((w) => w.state === 'done').length;
  if (!wave) return `${done} of ${r.waves.length} waves done`;
  return `wave ${wave.index + 1} of ${r.waves.length}${wave.canary ? ' (canary)' : ''}`;
};

/**
 * The waves after a change of the wave policy: the waves that have not started (no site with a task or an earlier
 * try) are split again from their sites; started ones stay as they are. A canary wave is made again only when no
 * wave has started yet. Returns null when nothing would change.
 */
export const replanPendingWaves = (r: Pick<Rollout, 'waves'>, policy: WavePolicy = {}): Wave[] | null => {
  const firstFresh = r.waves.findIndex((w, i) => r.waves.slice(i).every((x) => x.state === 'pending' && x.sites.every((s) => !s.taskId && !s.attempts?.length)));
  if (firstFresh < 0) return null;
  const kept = r.waves.slice(0, firstFresh);
  const moves = r.waves.slice(firstFresh).flatMap((w) => w.sites.map(({ siteId, siteName, fromPlatformId }) => ({ siteId, siteName, fromPlatformId })));
  const fresh = assignWaves(moves, firstFresh === 0 ? policy : { batchSize: policy.batchSize ?? 0 }).map((w) => ({ ...w, index: w.index + firstFresh }));
  const same = (a: Wave[], b: Wave[]) =>
    a.length === b.length && a.every((w, i) => w.canary === b[i]!.canary && w.sites.map((s) => s.siteId).join() === b[i]!.sites.map((s) => s.siteId).join());
  return same(fresh, r.waves.slice(firstFresh)) ? null : [...kept, ...fresh];
};

/** The reason a rollout waits between waves starts with this (shown as "baking", not as a window wait). */
export const BAKE_REASON_PREFIX = 'Baking';

/** Whether a waiting rollout waits out the bake time between waves (else it waits for a maintenance window). */
export const isBaking = (r: Pick<Rollout, 'waitingUntil' | 'reason'>): boolean => Boolean(r.waitingUntil && r.reason?.startsWith(BAKE_REASON_PREFIX));
