/**
 * Schema migrations of the embedded database, in order. The database's `user_version` is the number of
 * migrations applied; each runs in its own transaction with the version bump, so a crash leaves the schema at
 * one version or the next. Append new migrations; never edit an applied one.
 *
 * Dates are INTEGER milliseconds since the epoch; nested values are JSON text. Logs are one row per line
 * (appended, never rewritten). Foreign keys make a site on a missing platform, or a platform of a missing
 * distribution, impossible.
 */
import type Database from 'libsql';
import { StoreUnusableError } from '../../domain/errors.js';

type Migration = (conn: Database.Database) => void;

const TASK_STATES = `'queued','processing','succeeded','failed','cancelled'`;

export const MIGRATIONS: readonly Migration[] = [
  // 1: the domain tables, the job queue, counters.
  (conn) =>
    conn.exec(`
      CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;

      CREATE TABLE distributions (
        id TEXT PRIMARY KEY,
        slug TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        description TEXT NOT NULL,
        channel TEXT,
        upstream TEXT,
        policy TEXT NOT NULL,
        target_platform_id TEXT,
        poll_state TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );

      CREATE TABLE platforms (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        distribution_id TEXT NOT NULL REFERENCES distributions (id),
        source_ref TEXT NOT NULL,
        source_commit TEXT NOT NULL,
        manifest TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued','building','ready','failed','locked','deleted')),
        created_by TEXT NOT NULL,
        server TEXT NOT NULL,
        path TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (distribution_id, source_commit)
      );
      CREATE INDEX platforms_created ON platforms (created_at);

      CREATE TABLE platform_build_log (
        platform_id TEXT NOT NULL REFERENCES platforms (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        line TEXT NOT NULL,
        PRIMARY KEY (platform_id, seq)
      ) WITHOUT ROWID;

      CREATE TABLE sites (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        platform_id TEXT NOT NULL REFERENCES platforms (id),
        status TEXT NOT NULL CHECK (status IN ('enabled','disabled','migrating')),
        modules TEXT NOT NULL,
        history TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX sites_platform ON sites (platform_id);

      CREATE TABLE tasks (
        id TEXT PRIMARY KEY,
        number INTEGER NOT NULL UNIQUE,
        type TEXT NOT NULL,
        subject_kind TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        subject_name TEXT NOT NULL,
        from_platform_id TEXT,
        to_platform_id TEXT,
        plan_id TEXT,
        state TEXT NOT NULL CHECK (state IN (${TASK_STATES})),
        requested_by TEXT NOT NULL,
        confirmed_by TEXT,
        step TEXT,
        checkpoint TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        lease_owner TEXT,
        lease_until INTEGER,
        error TEXT,
        created_at INTEGER NOT NULL,
        started_at INTEGER,
        finished_at INTEGER
      );
      -- One active task of a type per subject, enforced by the database itself.
      CREATE UNIQUE INDEX tasks_one_active ON tasks (type, subject_kind, subject_id) WHERE state IN ('queued','processing');
      CREATE INDEX tasks_subject ON tasks (subject_id);
      CREATE INDEX tasks_plan ON tasks (plan_id) WHERE plan_id IS NOT NULL;
      CREATE INDEX tasks_state ON tasks (state, type);

      CREATE TABLE task_log (
        task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        at INTEGER NOT NULL,
        level TEXT NOT NULL,
        message TEXT NOT NULL,
        PRIMARY KEY (task_id, seq)
      ) WITHOUT ROWID;

      CREATE TABLE plans (
        id TEXT PRIMARY KEY,
        distribution_id TEXT NOT NULL,
        target_platform_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        moves TEXT NOT NULL,
        blocked INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending','confirmed','cancelled','stale')),
        requested_by TEXT NOT NULL,
        confirmed_by TEXT,
        task_ids TEXT NOT NULL,
        message TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );

      CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        data TEXT NOT NULL,
        unique_key TEXT,
        recurring_key TEXT,
        interval_ms INTEGER,
        run_at INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('queued','running','done','failed')),
        failures INTEGER NOT NULL DEFAULT 0,
        owner TEXT,
        last_error TEXT
      );
      -- uniqueKey: at most one unfinished job per (name, key); recurring: one schedule per (name, key).
      CREATE UNIQUE INDEX jobs_unique_pending ON jobs (name, unique_key) WHERE unique_key IS NOT NULL AND state IN ('queued','running');
      CREATE UNIQUE INDEX jobs_recurring ON jobs (name, recurring_key) WHERE recurring_key IS NOT NULL;
      CREATE INDEX jobs_due ON jobs (name, state, run_at);
    `),

  // 2: build leases, bounded logs' dropped counters, plans' skipped moves, redeliveries, migration slots,
  // and the `installing` site status (a CHECK cannot be altered in SQLite: the sites table is rebuilt).
  (conn) =>
    conn.exec(`
      ALTER TABLE platforms ADD COLUMN build_lease_until INTEGER;
      ALTER TABLE platforms ADD COLUMN build_log_dropped INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE tasks ADD COLUMN log_dropped INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE plans ADD COLUMN skipped TEXT;

      CREATE TABLE redeliveries (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE INDEX redeliveries_expiry ON redeliveries (expires_at);

      -- Slot keys a task holds while processing (TaskRepository.claimWithinLimits).
      CREATE TABLE task_slots (
        task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        PRIMARY KEY (task_id, key)
      ) WITHOUT ROWID;
      CREATE INDEX task_slots_key ON task_slots (key);

      CREATE TABLE sites_v2 (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        platform_id TEXT NOT NULL REFERENCES platforms (id),
        status TEXT NOT NULL CHECK (status IN ('enabled','disabled','migrating','installing')),
        modules TEXT NOT NULL,
        history TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      INSERT INTO sites_v2 SELECT id, name, platform_id, status, modules, history, created_at, updated_at FROM sites;
      DROP TABLE sites;
      ALTER TABLE sites_v2 RENAME TO sites;
      CREATE INDEX sites_platform ON sites (platform_id);
    `),

  // Admin sessions of signed-in users (SessionStore), keyed by the hash of the cookie token.
  (conn) =>
    conn.exec(`
      CREATE TABLE admin_sessions (
        id TEXT PRIMARY KEY,
        user TEXT NOT NULL,
        csrf TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX admin_sessions_user ON admin_sessions (user);
    `),

  // Security-advisory feed: snapshots (one in force per source), events between them, announcements, feed state.
  (conn) =>
    conn.exec(`
      CREATE TABLE advisory_snapshots (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        commit_id TEXT NOT NULL,
        fetched_at INTEGER NOT NULL,
        conflict TEXT NOT NULL
      );
      CREATE TABLE advisory_in_force (source TEXT PRIMARY KEY, snapshot_id TEXT NOT NULL REFERENCES advisory_snapshots (id)) WITHOUT ROWID;
      CREATE TABLE advisory_events (
        id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL UNIQUE,
        source TEXT NOT NULL,
        snapshot_id TEXT NOT NULL REFERENCES advisory_snapshots (id),
        previous_snapshot_id TEXT,
        commit_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        changes TEXT NOT NULL,
        package_names TEXT NOT NULL,
        initial INTEGER NOT NULL,
        announced INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX advisory_events_unannounced ON advisory_events (announced, seq);
      CREATE TABLE advisory_announcements (
        event_id TEXT NOT NULL REFERENCES advisory_events (id),
        distribution_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        ts TEXT,
        fixed_by TEXT,
        claimed_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (event_id, distribution_id)
      ) WITHOUT ROWID;
      CREATE INDEX advisory_announcements_distribution ON advisory_announcements (distribution_id);
      CREATE TABLE advisory_feed_state (source TEXT PRIMARY KEY, state TEXT NOT NULL) WITHOUT ROWID;
    `),

  // Rollouts (src/domain/rollout.ts): queried columns plus the whole record as JSON, changed by CAS on version.
  (conn) =>
    conn.exec(`
      CREATE TABLE rollouts (
        id TEXT PRIMARY KEY,
        number INTEGER NOT NULL UNIQUE,
        plan_id TEXT NOT NULL UNIQUE,
        distribution_id TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('scheduled','running','paused','done','failed','cancelled')),
        version INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX rollouts_distribution ON rollouts (distribution_id, number);
      CREATE INDEX rollouts_state ON rollouts (state);
    `),

  // The audit log (append-only: triggers refuse any update or delete) and manual locks and pins.
  (conn) =>
    conn.exec(`
      CREATE TABLE audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        source TEXT NOT NULL,
        action TEXT NOT NULL,
        subject_kind TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        subject_name TEXT NOT NULL,
        details TEXT NOT NULL
      );
      CREATE INDEX audit_at ON audit (at);
      CREATE INDEX audit_actor ON audit (actor_id, seq);
      CREATE INDEX audit_subject ON audit (subject_name, seq);
      CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

      CREATE TABLE holds (
        kind TEXT NOT NULL CHECK (kind IN ('platform','site','distribution')),
        subject_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        by_actor TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (kind, subject_id)
      ) WITHOUT ROWID;
    `),

  // Redeliveries are claimed, then completed once the work is committed (RedeliveryStore.claim): a claim whose
  // handler died is taken over after its lease. Rows from before were recorded as handled.
  (conn) =>
    conn.exec(`
      ALTER TABLE redeliveries ADD COLUMN state TEXT NOT NULL DEFAULT 'done' CHECK (state IN ('claimed','done'));
      ALTER TABLE redeliveries ADD COLUMN lease_until INTEGER;
    `),
  // Last poll time and result per distribution (the dashboard shows failing upstreams without Slack).
  (conn) => conn.exec('ALTER TABLE distributions ADD COLUMN last_poll TEXT;'),

  // Security rollouts (policy.security): an advisory event starts at most one automatic rollout per distribution.
  (conn) =>
    conn.exec(`
      ALTER TABLE rollouts ADD COLUMN auto_key TEXT;
      CREATE UNIQUE INDEX rollouts_auto_key ON rollouts (auto_key) WHERE auto_key IS NOT NULL;
    `),

  // Sign-in: sessions carry the digest of their user's ADMIN_USERS entry (sessions from before it end once);
  // throttle counters and re-hashed passwords are kept in the store (shared, and kept across restarts).
  (conn) =>
    conn.exec(`
      ALTER TABLE admin_sessions ADD COLUMN stamp TEXT NOT NULL DEFAULT '';
      CREATE TABLE sign_in_throttle (
        key TEXT PRIMARY KEY,
        count INTEGER NOT NULL,
        window_start INTEGER NOT NULL,
        next_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE admin_password_rehash (
        user TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        hash TEXT NOT NULL
      ) WITHOUT ROWID;
    `),

  // Personal API tokens (ApiTokenStore), found by the SHA-256 of their secret.
  (conn) =>
    conn.exec(`
      CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        user TEXT NOT NULL,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        last_used_at INTEGER
      );
      CREATE INDEX api_tokens_user ON api_tokens (user, created_at);
    `),
];

/** Applies the migrations the database lacks; refuses a database made by a newer Distro. */
export const migrate = (conn: Database.Database, where: string): void => {
  const row = conn.prepare('PRAGMA user_version').get() as { user_version: number };
  const current = row.user_version;
  if (current > MIGRATIONS.length) {
    throw new StoreUnusableError(
      `The database ${where} has schema version ${current}, newer than this Distro knows (${MIGRATIONS.length}).`,
      { hint: 'Run the newer Distro that wrote it, or restore a backup.' },
    );
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    conn.exec('BEGIN IMMEDIATE');
    try {
      MIGRATIONS[v]!(conn);
      conn.exec(`PRAGMA user_version = ${v + 1}`);
      conn.exec('COMMIT');
    } catch (e) {
      if (conn.inTransaction) conn.exec('ROLLBACK');
      throw e;
    }
  }
};
