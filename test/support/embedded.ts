/** The embedded store (SQLite, in memory unless a file is given) with job queues on the same database. */
import { SqliteJobQueue, type SqliteJobQueueOptions } from '../../src/jobs/sqlite-queue.js';
import { MEMORY, SqliteDatabase } from '../../src/persistence/sqlite/database.js';
import { createSqliteRepositories, type SqliteRepositories } from '../../src/persistence/sqlite/sqlite-repositories.js';

export interface EmbeddedStore {
  db: SqliteDatabase;
  repos: SqliteRepositories;
  /** A new (not started) queue on this database; queues of one database share their jobs like workers. */
  queue(options?: Omit<SqliteJobQueueOptions, 'db'>): SqliteJobQueue;
}

export const embeddedStore = (file: string = MEMORY): EmbeddedStore => {
  const db = SqliteDatabase.open({ file });
  return { db, repos: createSqliteRepositories(db), queue: (options = {}) => new SqliteJobQueue({ db, ...options }) };
};
