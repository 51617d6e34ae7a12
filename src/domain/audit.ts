/**
 * The audit log's vocabulary: every state change a person or the system makes is recorded as one entry saying
 * who (a Slack user id or an admin user, or the poller/webhook/system), when, from which surface, and what.
 * AUDIT_ACTIONS is the one list of actions; a new kind of change adds its action here.
 */
import type { Actor, Surface } from './actor.js';

export const AUDIT_ACTIONS = [
  'distribution.create',
  'distribution.update',
  'distribution.delete',
  'policy.change',
  'target.set',
  'platform.register',
  'platform.build',
  'platform.delete',
  'platform.lock',
  'platform.unlock',
  'site.create',
  'site.adopt',
  'fleet.import',
  'site.update',
  'site.delete',
  'site.pin',
  'site.unpin',
  'distribution.pin',
  'distribution.unpin',
  'upgrade.confirm',
  'upgrade.cancel',
  'task.cancel',
  'site.rollback',
  'rollout.pause',
  'rollout.resume',
  'rollout.cancel',
  'user.sign-out-everywhere',
  'token.create',
  'token.revoke',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Where a change came from: a user's surface, or the automatic source (poll, webhook, system). */
export type AuditSource = Surface | 'poll' | 'webhook' | 'system';

export interface AuditSubject {
  kind: 'distribution' | 'platform' | 'site' | 'task' | 'upgrade' | 'rollout' | 'user' | 'fleet' | 'token';
  id: string;
  /** Human name at the time of the change (slug, platform or site name, `#42`). */
  name: string;
}

/** Small flat facts about the change (old and new target, a lock's reason, the fields edited). */
export type AuditDetails = Record<string, string | number | boolean | null>;

export interface AuditEntry {
  /** Increasing in the order entries were appended by one store; also the pagination cursor. */
  id: string;
  at: Date;
  actor: Actor;
  /** The actor's id for filtering: a user id, or `poll` / `webhook` / `system`. */
  actorId: string;
  source: AuditSource;
  action: AuditAction;
  subject: AuditSubject;
  details: AuditDetails;
}

/** What a caller gives to record a change. */
export interface AuditInput {
  actor: Actor;
  action: AuditAction;
  subject: AuditSubject;
  details?: AuditDetails;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

export const auditActorId = (a: Actor): string => (a.kind === 'user' ? a.id : a.kind);

/** A user's surface (admin API when it did not say), else the automatic source itself. */
export const auditSource = (a: Actor): AuditSource => (a.kind === 'user' ? (a.via ?? 'api') : a.kind);

export interface AuditFilter {
  /** User id, or `poll` / `webhook` / `system`. */
  actorId?: string;
  action?: AuditAction[];
  /** Subject name or id. */
  subject?: string;
  source?: AuditSource[];
  since?: Date;
  until?: Date;
}

export interface AuditPageRequest {
  limit: number;
  /** Cursor: entries older than this id (the `next` of the previous page). */
  before?: string;
}

export interface AuditPage {
  /** Newest first. */
  items: AuditEntry[];
  /** Cursor of the next (older) page; null on the last one. */
  next: string | null;
}

/** Most entries one page may hold (API and page). */
export const MAX_AUDIT_PAGE = 500;
