/**
 * Typed domain errors. Each transport maps them once:
 * Slack → ephemeral message, HTTP → status code, jobs → retry or fail.
 * Messages are transport-neutral (no slash commands, no endpoints): what to do next is a structured `next`
 * (src/domain/error-hints.ts) each transport renders its own way.
 */
import type { ErrorHint } from './error-hints.js';

export interface DistroErrorOptions {
  /** Plain advice that reads the same on every surface ("Free space on the volume of …"). */
  hint?: string;
  /** What to do next, rendered by each transport (a slash command on Slack, an endpoint over HTTP). */
  next?: ErrorHint;
  cause?: unknown;
  /**
   * Mentions the message may keep live on Slack (`<@U…>`, `<!subteam^…>`), written by Distro from trusted
   * configuration; any other mention in it (user text) is escaped.
   */
  mentions?: readonly string[];
}

export abstract class DistroError extends Error {
  abstract readonly code: string;
  /** Extra advice for the user, in words that fit every surface. */
  readonly hint?: string;
  /** What to do next, as data (see ErrorHint). */
  readonly next?: ErrorHint;
  /** Mentions Slack may keep live (see DistroErrorOptions.mentions); none by default. */
  readonly mentions: readonly string[] = [];

  constructor(message: string, options?: DistroErrorOptions) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    if (options?.hint) this.hint = options.hint;
    if (options?.next) this.next = options.next;
    if (options?.mentions) this.mentions = options.mentions;
  }
}

/** Input that cannot be understood (malformed command, bad JSON field). */
export class ValidationError extends DistroError {
  readonly code = 'validation';
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
    options?: Omit<DistroErrorOptions, 'cause'>,
  ) {
    super(message, options);
  }
}

/** A named thing that does not exist; `suggestion` is the closest existing name, if any. */
export class NotFoundError extends DistroError {
  readonly code = 'not_found';
  constructor(
    readonly entity: string,
    readonly key: string,
    readonly suggestion?: string,
  ) {
    super(
      `No ${entity} named \`${key}\`.` + (suggestion ? ` Did you mean \`${suggestion}\`?` : ''),
      suggestion ? { hint: suggestion } : undefined,
    );
  }
}

/** The request clashes with current state (duplicate name, active task exists, target changed). */
export class ConflictError extends DistroError {
  readonly code = 'conflict';
}

/** A domain rule forbids the action (locked platform, target not ready). */
export class RuleViolationError extends DistroError {
  readonly code = 'rule_violation';
}

/** The caller is not allowed to do this. */
export class ForbiddenError extends DistroError {
  readonly code = 'forbidden';
}

/** A plan/summary was made against state that has since changed. */
export class StaleError extends DistroError {
  readonly code = 'stale';
}

/** A failure worth retrying (network blip, upstream 5xx, rate limit). Jobs retry these with backoff. */
export class TransientError extends DistroError {
  readonly code = 'transient';
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const isDistroError = (e: unknown): e is DistroError => e instanceof DistroError;

/** A hosting step (shell command, git, tar, file move) failed; retrying it as is would fail again. */
export class HostingError extends DistroError {
  readonly code = 'hosting';
}

/**
 * The store's disk is full (SQLite SQLITE_FULL, ENOSPC): the write was not made. Reads go on working and writes
 * work again by themselves once space is freed. HTTP answers 507.
 */
export class StorageFullError extends DistroError {
  readonly code = 'storage_full';
}

/**
 * The store cannot be opened as it is (held by another process, corrupt, inconsistent, of an unknown schema).
 * Raised at start, never later: the process refuses to start and says why, leaving the files untouched.
 */
export class StoreUnusableError extends DistroError {
  readonly code = 'store_unusable';
}
