/** The embedded store's Repositories over one SqliteDatabase (see database.ts for durability and locking). */
import type { Repositories } from '../../domain/ports.js';
import { SqliteAudit } from './audit.js';
import type { SqliteDatabase } from './database.js';
import { SqliteHolds } from './holds.js';
import { SqliteDistributions } from './distributions.js';
import { SqlitePlans } from './plans.js';
import { SqlitePlatforms } from './platforms.js';
import { SqliteRedeliveries } from './redeliveries.js';
import { SqliteSites } from './sites.js';
import { SqliteTasks } from './tasks.js';

export interface SqliteRepositories extends Repositories {
  distributions: SqliteDistributions;
  platforms: SqlitePlatforms;
  sites: SqliteSites;
  tasks: SqliteTasks;
  plans: SqlitePlans;
  redeliveries: SqliteRedeliveries;
}

/** Repositories on `db`; close() closes the database. */
export const createSqliteRepositories = (db: SqliteDatabase): SqliteRepositories => ({
  distributions: new SqliteDistributions(db),
  platforms: new SqlitePlatforms(db),
  sites: new SqliteSites(db),
  tasks: new SqliteTasks(db),
  plans: new SqlitePlans(db),
  redeliveries: new SqliteRedeliveries(db),
  audit: new SqliteAudit(db),
  holds: new SqliteHolds(db),
  transaction: (fn) => db.transaction(fn),
  ping: () => db.ping(),
  close: () => db.close(),
});
