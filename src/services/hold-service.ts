/**
 * Manual locks (platforms) and pins (sites, distributions), each with a reason, who and when, and an audit entry.
 * A locked platform takes no new site and is not made the target; a pinned site, or every site of a pinned
 * distribution, is left out of upgrades and shown as held with the reason.
 */
import { describeActor, type Actor } from '../domain/actor.js';
import type { AuditAction, AuditSubject } from '../domain/audit.js';
import { ConflictError, RuleViolationError, ValidationError } from '../domain/errors.js';
import type { Platform } from '../domain/platform.js';
import { fieldProblem } from '../domain/field-limits.js';
import { HOLD_WORD, MAX_HOLD_REASON_CHARS, type Hold, type HoldKind } from '../domain/hold.js';
import type { Clock, Repositories } from '../domain/ports.js';
import type { AuditLog } from './audit-log.js';
import { resolveDistribution, resolvePlatform, resolveSite } from './lookup.js';

/** A subject resolved by name, with the audit subject and names for messages. */
interface Held {
  kind: HoldKind;
  id: string;
  name: string;
}

const ACTIONS: Record<HoldKind, { set: AuditAction; clear: AuditAction }> = {
  platform: { set: 'platform.lock', clear: 'platform.unlock' },
  site: { set: 'site.pin', clear: 'site.unpin' },
  distribution: { set: 'distribution.pin', clear: 'distribution.unpin' },
};

export interface HoldChange {
  subject: Held;
  hold: Hold;
  /** The hold this one replaced (set) or removed (clear). */
  previous: Hold | null;
}

export const reasonProblem = (reason: unknown): string | null => {
  if (typeof reason !== 'string' || !reason.trim()) return 'reason: required (say why, e.g. "waiting for client sign-off")';
  if (reason.trim().length > MAX_HOLD_REASON_CHARS) return `reason: at most ${MAX_HOLD_REASON_CHARS} characters (got ${reason.trim().length})`;
  return fieldProblem('reason', reason.trim(), 'title');
};

export class HoldService {
  private readonly clock: Clock;

  constructor(private readonly deps: { repos: Repositories; audit: AuditLog; clock?: Clock }) {
    this.clock = deps.clock ?? { now: () => new Date() };
  }

  async set(kind: HoldKind, key: string, reason: string, actor: Actor): Promise<HoldChange> {
    const problem = reasonProblem(reason);
    if (problem) throw new ValidationError(`Invalid ${kind === 'platform' ? 'lock' : 'pin'}.`, [problem]);
    const subject = await this.resolve(kind, key);
    const previous = await this.deps.repos.holds.get(kind, subject.id);
    const hold = await this.deps.audit.change(
      () => this.deps.repos.holds.set({ kind, subjectId: subject.id, reason: reason.trim(), by: actor, at: this.clock.now() }),
      (h) => ({ actor, action: ACTIONS[kind].set, subject: auditSubject(subject), details: { reason: h.reason, ...(previous ? { replaced: previous.reason } : {}) } }),
    );
    return { subject, hold, previous };
  }

  async clear(kind: HoldKind, key: string, actor: Actor): Promise<HoldChange> {
    const subject = await this.resolve(kind, key);
    const removed = await this.deps.audit.change(
      () => this.deps.repos.holds.clear(kind, subject.id),
      (h) => (h ? { actor, action: ACTIONS[kind].clear, subject: auditSubject(subject), details: { reason: h.reason } } : null),
    );
    if (!removed) throw new ConflictError(`${subjectText(subject)} is not ${HOLD_WORD[kind]} by hand; nothing to undo.`);
    return { subject, hold: removed, previous: removed };
  }

  get(kind: HoldKind, id: string): Promise<Hold | null> {
    return this.deps.repos.holds.get(kind, id);
  }

  /** Holds of a kind by subject id. */
  async map(kind: HoldKind, ids?: string[]): Promise<Map<string, Hold>> {
    if (ids && !ids.length) return new Map();
    return new Map((await this.deps.repos.holds.list(kind, ids)).map((h) => [h.subjectId, h]));
  }

  /** Refuses a platform locked by hand as the upgrade target (before any warning about it is shown). */
  async assertCanBeTarget(platform: Pick<Platform, 'id' | 'name'>): Promise<void> {
    const lock = await this.deps.repos.holds.get('platform', platform.id);
    if (lock) {
      throw new RuleViolationError(`Platform \`${platform.name}\` is locked by ${describeActor(lock.by)} (${lock.reason}); unlock it before making it the target.`);
    }
  }

  /** Removes a deleted subject's hold (no audit entry: the deletion has its own). */
  async forget(kind: HoldKind, id: string): Promise<void> {
    await this.deps.repos.holds.clear(kind, id);
  }

  private async resolve(kind: HoldKind, key: string): Promise<Held> {
    const { repos } = this.deps;
    if (kind === 'platform') {
      const p = await resolvePlatform(repos, key);
      return { kind, id: p.id, name: p.name };
    }
    if (kind === 'site') {
      const s = await resolveSite(repos, key);
      return { kind, id: s.id, name: s.name };
    }
    const d = await resolveDistribution(repos, key);
    return { kind, id: d.id, name: d.slug };
  }
}

const auditSubject = (s: Held): AuditSubject => ({ kind: s.kind, id: s.id, name: s.name });
const subjectText = (s: Held): string => `${s.kind[0]!.toUpperCase()}${s.kind.slice(1)} \`${s.name}\``;
