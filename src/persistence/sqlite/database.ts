/**
 * The embedded store: one SQLite database file (libsql, the better-sqlite3 API with a prebuilt binary).
 *
 * Durability: WAL with synchronous=FULL, so a write is on disk (WAL fsynced) before its promise resolves, and
 * an HTTP 2xx or Slack reply, which await it, come after the commit. An fsync costs ~3 ms here, so one commit per
 * write would cap the store at ~300 writes/s; writes are instead group-committed: every repository write
 * issued in the same turn of the event loop runs in one transaction, each in its own savepoint (a failing write
 * rolls back alone), and all of them resolve after the one COMMIT.
 *
 * Single owner: a file database is opened with locking_mode=EXCLUSIVE and its write lock taken at once, so a
 * second process on the same file is refused at start (the kernel drops the lock when a process dies, so a
 * crash never leaves a stale lock); a pid file beside it lets the refusal name the other process.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'libsql';
import { StorageFullError, StoreUnusableError } from '../../domain/errors.js';
import { silentLogger, type Logger } from '../../logger.js';
import { migrate } from './migrations.js';

export const MEMORY = ':memory:';

export interface SqliteOptions {
  /** Database file, or ':memory:' (tests). */
  file: string;
  /** Named in start-up refusals (the operator's DATA_DIR). */
  dataDir?: string;
  logger?: Logger;
  /** false: one commit (one fsync) per write, for the benchmark's comparison; default true. */
  groupCommit?: boolean;
}

interface PendingWrite {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Params = unknown[];

/** A multi-call transaction in progress (an identity for AsyncLocalStorage). */
interface OpenTransaction {
  readonly id: number;
}

const sqliteCode = (e: unknown): string => (typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : '');

/** The disk (or the database's size limit) is full: the write did not happen. */
export const isStorageFull = (e: unknown): boolean => sqliteCode(e).startsWith('SQLITE_FULL') || (e as { code?: string })?.code === 'ENOSPC';

export class SqliteDatabase {
  readonly file: string;
  private readonly conn: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly context = new AsyncLocalStorage<OpenTransaction>();
  private readonly logger: Logger;
  private pending: PendingWrite[] = [];
  private flushScheduled = false;
  private open: OpenTransaction | null = null;
  private txSeq = 0;
  private waiters: Array<() => void> = [];
  private readonly jobListeners = new Set<() => void>();
  private readonly pidFile: string | null;
  private closed = false;
  private full = false;
  private jobsChangedInTransaction = false;

  private constructor(
    conn: Database.Database,
    file: string,
    logger: Logger,
    pidFile: string | null,
    private readonly groupCommit: boolean,
  ) {
    this.conn = conn;
    this.file = file;
    this.logger = logger;
    this.pidFile = pidFile;
  }

  /**
   * Opens (creating if needed), locks, checks and migrates the database. Throws StoreUnusableError naming the
   * problem when another process holds it, or it is corrupt, inconsistent or of a newer schema.
   */
  static open(options: SqliteOptions): SqliteDatabase {
    const { file } = options;
    const logger = options.logger ?? silentLogger();
    const memory = file === MEMORY;
    const where = `${file}${options.dataDir ? ` (DATA_DIR ${options.dataDir})` : ''}`;
    let conn: Database.Database;
    try {
      conn = new Database(file);
    } catch (e) {
      throw new StoreUnusableError(`Cannot open the database ${where}: ${(e as Error).message}.`, { cause: e });
    }
    const pidFile = memory ? null : `${file}.pid`;
    const db = new SqliteDatabase(conn, file, logger, pidFile, options.groupCommit ?? true);
    // Lock and check before anything is written, so a refused file is left exactly as it was.
    try {
      conn.exec('PRAGMA busy_timeout = 0');
      if (!memory) conn.exec('PRAGMA locking_mode = EXCLUSIVE');
      conn.exec('BEGIN IMMEDIATE');
    } catch (e) {
      conn.close();
      if (sqliteCode(e).startsWith('SQLITE_BUSY')) throw lockedError(where, pidFile);
      throw unusable(where, e);
    }
    try {
      db.check(where);
      db.checkForeignKeys(where);
      conn.exec('COMMIT');
    } catch (e) {
      // Not released: the process stops on this error, and switching modes would write to the damaged file.
      if (conn.inTransaction) conn.exec('ROLLBACK');
      conn.close();
      throw e instanceof StoreUnusableError ? e : unusable(where, e);
    }
    try {
      if (!memory) {
        conn.prepare('PRAGMA journal_mode = WAL').get();
        // Take the write lock now (EXCLUSIVE mode keeps it until close) rather than at the first write.
        conn.exec('BEGIN IMMEDIATE');
        conn.exec('COMMIT');
      }
      conn.exec('PRAGMA synchronous = FULL');
      conn.exec('PRAGMA foreign_keys = ON');
      migrate(conn, where);
      if (!memory) db.requeueDeadJobs();
    } catch (e) {
      db.releaseLock();
      conn.close();
      if (sqliteCode(e).startsWith('SQLITE_BUSY')) throw lockedError(where, pidFile);
      throw e instanceof StoreUnusableError ? e : unusable(where, e);
    }
    if (pidFile) writeFileSync(pidFile, `${process.pid}\n`);
    return db;
  }

  // ---------------------------------------------------------------- statements (inside read/write callbacks)

  run(sql: string, ...params: Params): Database.RunResult {
    return this.statement(sql).run(...params);
  }
  get<T>(sql: string, ...params: Params): T | undefined {
    return this.statement(sql).get(...params) as T | undefined;
  }
  all<T>(sql: string, ...params: Params): T[] {
    return this.statement(sql).all(...params) as T[];
  }

  // ---------------------------------------------------------------- reads, writes, transactions

  /** Runs a read; waits while another caller's multi-call transaction is open, so it never sees uncommitted data. */
  async read<T>(fn: () => T): Promise<T> {
    while (this.blocked()) await this.transactionEnd();
    this.assertOpen();
    return fn();
  }

  /**
   * Runs `fn` atomically and resolves once it is committed to disk. Inside `transaction()` it joins that
   * transaction; otherwise it is group-committed with the other writes of this event-loop turn.
   */
  write<T>(fn: () => T): Promise<T> {
    try {
      this.assertOpen();
      if (this.inOwnTransaction()) {
        this.assertTransactionAlive();
        return Promise.resolve(this.inSavepoint(fn));
      }
    } catch (e) {
      return Promise.reject(this.translate(e));
    }
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.groupCommit && this.open === null) this.flushNow();
      else this.scheduleFlush();
    });
  }

  /**
   * Several repository (and job-queue) calls committed together or not at all. Other callers wait meanwhile,
   * so keep it short: repository calls only, no network or hosting work inside.
   */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    if (this.inOwnTransaction()) return this.nested(fn);
    while (this.blocked()) await this.transactionEnd();
    this.assertOpen();
    this.flushNow();
    const tx: OpenTransaction = { id: ++this.txSeq };
    this.open = tx;
    try {
      this.conn.exec('BEGIN IMMEDIATE');
      const result = await this.context.run(tx, fn);
      this.assertTransactionAlive();
      this.conn.exec('COMMIT');
      this.wroteOk();
      return result;
    } catch (e) {
      this.rollbackQuietly();
      throw this.translate(e);
    } finally {
      this.open = null;
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
      this.scheduleFlush();
      if (this.jobsChangedInTransaction) {
        this.jobsChangedInTransaction = false;
        this.jobsChanged();
      }
    }
  }

  /** Writes are refused for lack of space: the last write failed so, and none has succeeded since. */
  get storageFull(): boolean {
    return this.full;
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false;
    await this.read(() => this.get('SELECT 1 AS one'));
    return true;
  }

  /** Commits pending writes, then closes (releasing the lock and removing the pid file). */
  async close(): Promise<void> {
    if (this.closed) return;
    while (this.blocked()) await this.transactionEnd();
    this.flushNow();
    this.closed = true;
    this.releaseLock();
    this.conn.close();
    if (this.pidFile) rmSync(this.pidFile, { force: true });
  }

  /** Job queues on this database wake up when jobs change (new, finished, rescheduled). */
  onJobsChanged(listener: () => void): () => void {
    this.jobListeners.add(listener);
    return () => this.jobListeners.delete(listener);
  }
  jobsChanged(): void {
    // Inside a transaction the jobs are not committed yet: wake the queues after the commit. Listeners run
    // outside any transaction's context, so what they start never joins one.
    if (this.inOwnTransaction()) {
      this.jobsChangedInTransaction = true;
      return;
    }
    this.context.exit(() => {
      for (const l of this.jobListeners) l();
    });
  }

  pageCount(): number {
    return this.get<{ page_count: number }>('PRAGMA page_count')?.page_count ?? 0;
  }

  /** Limits the database to `pages` pages (SQLITE_FULL beyond): how tests make a full disk without root. */
  setMaxPages(pages: number): void {
    this.conn.prepare(`PRAGMA max_page_count = ${Math.max(1, Math.floor(pages))}`).get();
  }

  // ---------------------------------------------------------------- internals

  private statement(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.conn.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** libsql aborts the process (a Rust panic) when inTransaction is read on a closed connection. */
  private inTransaction(): boolean {
    return !this.closed && this.conn.inTransaction;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`The database ${this.file} is closed.`);
  }

  private inOwnTransaction(): boolean {
    return this.open !== null && this.context.getStore() === this.open;
  }

  /** Another caller's multi-call transaction is open. Callers loop `while (blocked()) await transactionEnd()`
   * and then act without awaiting, so nothing can start a transaction between the check and the act. */
  private blocked(): boolean {
    return this.open !== null && this.context.getStore() !== this.open;
  }
  private transactionEnd(): Promise<void> {
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private async nested<T>(fn: () => Promise<T>): Promise<T> {
    this.assertTransactionAlive();
    this.conn.exec('SAVEPOINT nested');
    try {
      const result = await fn();
      this.conn.exec('RELEASE nested');
      return result;
    } catch (e) {
      this.undoSavepoint('nested');
      throw e;
    }
  }

  /** One write in its own savepoint: if it throws, its changes (and only its) are undone. */
  private inSavepoint<T>(fn: () => T): T {
    this.conn.exec('SAVEPOINT w');
    try {
      const result = fn();
      this.conn.exec('RELEASE w');
      return result;
    } catch (e) {
      this.undoSavepoint('w');
      throw e;
    }
  }

  /**
   * SQLite rolls a whole transaction back on some errors (SQLITE_FULL): what follows must not run in autocommit
   * (a SAVEPOINT would start a new transaction and commit half of the caller's work).
   */
  private assertTransactionAlive(): void {
    if (!this.inTransaction()) throw new Error('The transaction was rolled back by an earlier error; nothing of it was saved.');
  }

  private undoSavepoint(name: string): void {
    // SQLITE_FULL may have rolled back the whole transaction already.
    if (this.inTransaction()) {
      this.conn.exec(`ROLLBACK TO ${name}`);
      this.conn.exec(`RELEASE ${name}`);
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.pending.length === 0) return;
    this.flushScheduled = true;
    // setImmediate: after the current turn's callbacks, so writers that became ready together commit together.
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.open === null) this.flushNow();
    });
  }

  /** Commits every pending write in one transaction (one fsync), then settles each. */
  private flushNow(): void {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.conn.exec('BEGIN IMMEDIATE');
      for (const op of batch) {
        try {
          outcomes.push({ ok: true, value: this.inSavepoint(op.fn) });
        } catch (e) {
          // The disk is full, or the database broke: nothing of the batch can be committed.
          if (isStorageFull(e) || !this.inTransaction()) throw e;
          outcomes.push({ ok: false, error: e });
        }
      }
      this.conn.exec('COMMIT');
    } catch (e) {
      this.rollbackQuietly();
      const error = this.translate(e);
      for (const op of batch) op.reject(error);
      return;
    }
    this.wroteOk();
    batch.forEach((op, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) op.resolve(outcome.value);
      else op.reject(this.translate(outcome.error));
    });
  }

  /**
   * libsql frees a connection only when its prepared statements are garbage-collected, so close() alone would
   * keep the exclusive lock for a while. Leaving WAL (which checkpoints) allows going back to NORMAL locking,
   * and the next access drops the locks: the file is free at once, for this process or another.
   */
  private releaseLock(): void {
    if (this.file === MEMORY) return;
    try {
      this.conn.prepare('PRAGMA journal_mode = DELETE').get();
      this.conn.exec('PRAGMA locking_mode = NORMAL');
      this.conn.prepare('SELECT COUNT(*) FROM sqlite_master').get();
    } catch (e) {
      this.logger.warn({ err: e, file: this.file }, 'could not release the database lock before closing');
    }
  }

  private rollbackQuietly(): void {
    try {
      if (this.inTransaction()) this.conn.exec('ROLLBACK');
    } catch (e) {
      this.logger.error({ err: e }, 'rollback failed');
    }
  }

  private wroteOk(): void {
    if (this.full) {
      this.full = false;
      this.logger.info({ file: this.file }, 'database writable again');
    }
  }

  private translate(e: unknown): unknown {
    if (!isStorageFull(e)) return e;
    if (!this.full) {
      this.full = true;
      this.logger.error({ err: e, file: this.file }, 'disk full: writes refused until space is freed');
    }
    return new StorageFullError(
      `The disk holding the database is full; nothing was saved. Reads still work, and writes resume by themselves once space is freed.`,
      { hint: `Free space on the volume of ${dirname(this.file)}.`, cause: e },
    );
  }

  /** quick_check: page structure and record formats (integrity_check without the slow index cross-check). */
  private check(where: string): void {
    const rows = this.all<{ quick_check: string }>('PRAGMA quick_check');
    const problems = rows.map((r) => r.quick_check).filter((m) => m !== 'ok');
    if (problems.length) {
      throw new StoreUnusableError(`The database ${where} is corrupt: ${problems.slice(0, 5).join('; ')}.`, {
        hint: 'Restore it from a backup (or move it away to start empty); it was left as it is.',
      });
    }
  }

  private checkForeignKeys(where: string): void {
    const rows = this.all<{ table: string; rowid: number; parent: string }>('PRAGMA foreign_key_check');
    if (!rows.length) return;
    const named = rows.slice(0, 10).map((r) => {
      const id = this.get<{ id: string }>(`SELECT id FROM "${r.table.replace(/"/g, '')}" WHERE rowid = ?`, r.rowid)?.id;
      return `${r.table} ${id ?? `rowid ${r.rowid}`} points at a missing ${r.parent} row`;
    });
    throw new StoreUnusableError(`The database ${where} is inconsistent: ${named.join('; ')}${rows.length > 10 ? ` (and ${rows.length - 10} more)` : ''}.`, {
      hint: 'Restore it from a backup; it was left as it is.',
    });
  }

  /** The previous owner of this file died with jobs running (we hold the only lock): run them again. */
  private requeueDeadJobs(): void {
    const { changes } = this.run(`UPDATE jobs SET state = 'queued', owner = NULL WHERE state = 'running'`);
    if (changes) this.logger.warn({ jobs: changes }, 'jobs interrupted by the previous process were queued again');
  }
}

const lockedError = (where: string, pidFile: string | null): StoreUnusableError => {
  const pid = pidFile && existsSync(pidFile) ? Number.parseInt(readFileSync(pidFile, 'utf8'), 10) : NaN;
  const who = Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid) ? `Distro process (pid ${pid})` : 'process';
  return new StoreUnusableError(`The database ${where} is in use by another ${who}; only one process may use it.`, {
    hint: 'Stop the other process, or give this one its own DATA_DIR.',
  });
};

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const unusable = (where: string, e: unknown): StoreUnusableError => {
  const code = sqliteCode(e);
  const what = code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT') ? 'is corrupt or not a database' : 'cannot be used';
  return new StoreUnusableError(`The database ${where} ${what}: ${(e as Error).message}.`, {
    hint: 'Restore it from a backup (or move it away to start empty); it was left as it is.',
    cause: e,
  });
};
