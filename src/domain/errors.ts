/**
 * Typed domain errors. Each transport maps them once:
 * Slack → ephemeral message, HTTP → status code, jobs → retry or fail.
 */
export abstract class DistroError extends Error {
  abstract readonly code: string;
  /** Extra hint for the user: what to type or do instead. */
  readonly hint?: string;

  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    if (options?.hint) this.hint = options.hint;
  }
}

/** Input that cannot be understood (malformed command, bad JSON field). */
export class ValidationError extends DistroError {
  readonly code = 'validation';
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
    options?: { hint?: string },
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
