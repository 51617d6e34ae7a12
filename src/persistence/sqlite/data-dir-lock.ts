/**
 * The embedded mode's single-owner lock on DATA_DIR itself (platforms, sites, backups and, by default, the database):
 * a second Distro on the same DATA_DIR is refused whatever its DATABASE_FILE, since both would move the same site
 * directories. The lock is an exclusive SQLite lock on `DATA_DIR/.distro.lock` (an OS file lock: the kernel drops
 * it when the process dies, so a crash never leaves a stale lock); `DATA_DIR/.distro.pid` names the holder.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'libsql';
import { StoreUnusableError } from '../../domain/errors.js';

export class DataDirLock {
  private constructor(
    private readonly conn: Database.Database,
    private readonly pidFile: string,
  ) {}

  /** Takes the lock or throws StoreUnusableError naming DATA_DIR and, when it can tell, the other process. */
  static acquire(dataDir: string): DataDirLock {
    const file = join(dataDir, '.distro.lock');
    const pidFile = join(dataDir, '.distro.pid');
    const conn = new Database(file);
    try {
      conn.exec('PRAGMA busy_timeout = 0');
      conn.exec('PRAGMA locking_mode = EXCLUSIVE');
      // A write in exclusive locking mode keeps the file's exclusive lock until the connection closes.
      conn.exec('BEGIN IMMEDIATE');
      conn.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER)');
      conn.exec('DELETE FROM holder');
      conn.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
      conn.exec('COMMIT');
    } catch (e) {
      conn.close();
      const code = (e as { code?: string }).code ?? '';
      if (!code.startsWith('SQLITE_BUSY')) throw new StoreUnusableError(`Cannot lock DATA_DIR ${dataDir}: ${(e as Error).message}.`, { cause: e });
      const pid = existsSync(pidFile) ? Number.parseInt(readFileSync(pidFile, 'utf8'), 10) : NaN;
      const who = Number.isInteger(pid) && pid > 0 && pid !== process.pid ? `Distro process (pid ${pid})` : 'process';
      throw new StoreUnusableError(`DATA_DIR ${dataDir} is in use by another ${who}; only one process may use it.`, {
        hint: 'Stop the other process, or give this one its own DATA_DIR (a DATABASE_FILE elsewhere does not make a DATA_DIR its own: both would move the same sites).',
      });
    }
    writeFileSync(pidFile, `${process.pid}\n`);
    return new DataDirLock(conn, pidFile);
  }

  /** libsql frees a connection late (when its statements are collected): back to NORMAL locking and one read drop the lock now. */
  release(): void {
    try {
      rmSync(this.pidFile, { force: true });
      this.conn.exec('PRAGMA locking_mode = NORMAL');
      this.conn.prepare('SELECT COUNT(*) FROM holder').get();
    } finally {
      this.conn.close();
    }
  }
}
