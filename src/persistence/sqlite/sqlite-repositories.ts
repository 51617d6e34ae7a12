/** The embedded store's Repositories over one SqliteDatabase (see database.ts for durability and locking). */
import type { Repositories } from '../../domain/ports.js';
import { SqliteAdvisories } from './advisories.js';
import { SqliteApiTokens } from './api-tokens.js';
import { SqliteAudit } from './audit.js';
import type { SqliteDatabase } from './database.js';
import { SqliteHolds } from './holds.js';
import { SqliteDistributions } from './distributions.js';
import { SqlitePlans } from './plans.js';
import { SqlitePlatforms } from './platforms.js';
import { SqliteRedeliveries } from './redeliveries.js';
import { SqliteSessions } from './sessions.js';
import { SqliteSignIns } from './sign-ins.js';
import { SqliteRollouts } from './rollouts.js';
import { SqliteSites } from './sites.js';
import { SqliteTasks } from './tasks.js';

export interface SqliteRepositories extends Repositories {
  distributions: SqliteDistributions;
  platforms: SqlitePlatforms;
  sites: SqliteSites;
  tasks: SqliteTasks;
  plans: SqlitePlans;
  rollouts: SqliteRollouts;
  redeliveries: SqliteRedeliveries;
  sessions: SqliteSessions;
  apiTokens: SqliteApiTokens;
  advisories: SqliteAdvisories;
}

/** Repositories on `db`; close() closes the database. */
export const createSqliteRepositories = (db: SqliteDatabase): SqliteRepositories => ({
  distributions: new SqliteDistributions(db),
  platforms: new SqlitePlatforms(db),
  sites: new SqliteSites(db),
  tasks: new SqliteTasks(db),
  plans: new SqlitePlans(db),
  rollouts: new SqliteRollouts(db),
  redeliveries: new SqliteRedeliveries(db),
  sessions: new SqliteSessions(db),
  signIns: new SqliteSignIns(db),
  apiTokens: new SqliteApiTokens(db),
  advisories: new SqliteAdvisories(db),
  audit: new SqliteAudit(db),
  holds: new SqliteHolds(db),
  transaction: (fn) => db.transaction(fn),
  ping: () => db.ping(),
  storageFull: () => db.storageFull,
  close: () => db.close(),
});
