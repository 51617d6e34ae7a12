/**
 * The audit log: `record({ actor, action, subject, details })` is the one call every state change makes.
 * `change(fn, entryOf)` runs the change and records it together: on the embedded store in one transaction (both
 * committed or neither: the log can never miss a change, nor record one that did not happen); on MongoDB (no
 * multi-document transaction on a standalone server) the entry is appended right after the change and before the
 * caller acknowledges anything, so an acknowledged change always has its entry, and a failure to record reaches the
 * caller as an error rather than an unrecorded success. Use cases that already run in a transaction (Confirm, a
 * target change, a rollback request) call `record` inside it. Cost on SQLite: an audited write is its own commit
 * rather than sharing a group commit with the writes of the same moment.
 */
import type { Actor } from '../domain/actor.js';
import { auditActorId, auditSource, type AuditEntry, type AuditFilter, type AuditInput, type AuditPage, type AuditPageRequest } from '../domain/audit.js';
import type { Clock, Repositories } from '../domain/ports.js';

/** Changes made by Distro itself (or by code that named no one): never a person. */
export const SYSTEM_ACTOR: Actor = { kind: 'system' };

export class AuditLog {
  private readonly clock: Clock;

  constructor(private readonly deps: { repos: Pick<Repositories, 'audit' | 'transaction'>; clock?: Clock }) {
    this.clock = deps.clock ?? { now: () => new Date() };
  }

  record(input: AuditInput): Promise<AuditEntry> {
    return this.deps.repos.audit.append({
      at: this.clock.now(),
      actor: input.actor,
      actorId: auditActorId(input.actor),
      source: auditSource(input.actor),
      action: input.action,
      subject: input.subject,
      details: input.details ?? {},
    });
  }

  /** Runs `fn` and records what `entryOf` says of its result (nothing when it returns null), as one unit. */
  change<T>(fn: () => Promise<T>, entryOf: (result: T) => AuditInput | null): Promise<T> {
    return this.deps.repos.transaction(async () => {
      const result = await fn();
      const entry = entryOf(result);
      if (entry) await this.record(entry);
      return result;
    });
  }

  list(filter: AuditFilter, page: AuditPageRequest): Promise<AuditPage> {
    return this.deps.repos.audit.list(filter, page);
  }
}
