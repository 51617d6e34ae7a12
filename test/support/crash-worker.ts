/**
 * A migration worker in its own process, for kill-the-worker tests: opens the embedded store's database file,
 * runs one migrate task, and (to be SIGKILLed at a known point) either blocks in a driver step named by
 * `blockAt` or runs post-migrate commands that block. It writes `readyFile` when it is blocked.
 * Usage: node --import tsx test/support/crash-worker.ts '<json CrashWorkerArgs>'
 */
import { writeFileSync } from 'node:fs';
import { LocalDriver } from '../../src/hosting/local-driver.js';
import { SqliteDatabase } from '../../src/persistence/sqlite/database.js';
import { createSqliteRepositories } from '../../src/persistence/sqlite/sqlite-repositories.js';
import { EventBus } from '../../src/services/event-bus.js';
import { MigrationService } from '../../src/services/migration-service.js';
import { InstrumentedDriver, type DriverMethod } from './instrumented-driver.js';

export interface CrashWorkerArgs {
  databaseFile: string;
  root: string;
  taskId: string;
  owner: string;
  /** Lease length; the service default when absent. */
  leaseMs?: number;
  readyFile: string;
  postMigrate?: string[];
  blockAt?: DriverMethod;
}

const args = JSON.parse(process.argv[2] ?? '{}') as CrashWorkerArgs;
const repos = createSqliteRepositories(SqliteDatabase.open({ file: args.databaseFile }));
const local = new LocalDriver({ root: args.root, allowLocalUpstreams: true, postMigrate: args.postMigrate ?? [] });
const driver = new InstrumentedDriver(local, async (call) => {
  if (call.method !== args.blockAt) return;
  writeFileSync(args.readyFile, String(process.pid));
  // Keeps the process alive (the lease timer is unref'd) until the test kills it.
  setInterval(() => {}, 1000);
  await new Promise<never>(() => {});
});
const migrations = new MigrationService({ ...repos, driver, events: new EventBus(), ...(args.leaseMs ? { leaseMs: args.leaseMs } : {}) });
const outcome = await migrations.run(args.taskId, args.owner);
process.stdout.write(`${outcome}\n`);
