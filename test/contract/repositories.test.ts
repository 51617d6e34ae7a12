import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDatabase } from '../../src/persistence/sqlite/database.js';
import { createSqliteRepositories } from '../../src/persistence/sqlite/sqlite-repositories.js';
import { describeEachStore } from '../support/stores.js';
import { repositoryContract } from './repositories.contract.js';

await describeEachStore('repositories', (kind) => repositoryContract(kind.label, kind.create));

// The embedded store on a real file (WAL, fsync, exclusive lock): the whole contract must hold there too.
repositoryContract('sqlite file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distro-sqlite-'));
  const repos = createSqliteRepositories(SqliteDatabase.open({ file: join(dir, 'distro.db') }));
  return {
    repos,
    cleanup: async () => {
      await repos.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
