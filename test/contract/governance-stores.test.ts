import { describe, expect, test } from '@jest/globals';
import { MEMORY, SqliteDatabase } from '../../src/persistence/sqlite/database.js';
import { createSqliteRepositories } from '../../src/persistence/sqlite/sqlite-repositories.js';
import { describeEachStore } from '../support/stores.js';
import { governanceStoreContract } from './governance-stores.contract.js';

await describeEachStore('audit and holds', (kind) =>
  governanceStoreContract(kind.label, async () => {
    const instance = await kind.create();
    return { repos: instance.repos, cleanup: () => instance.cleanup() };
  }),
);

describe('SQLite audit table', () => {
  test('is append-only: the database itself refuses UPDATE and DELETE of entries', async () => {
    const db = SqliteDatabase.open({ file: MEMORY });
    const repos = createSqliteRepositories(db);
    try {
      const actor = { kind: 'system' } as const;
      await repos.audit.append({ at: new Date(), actor, actorId: 'system', source: 'system', action: 'site.delete', subject: { kind: 'site', id: 'x', name: 'x' }, details: {} });
      await expect(db.write(() => db.run("UPDATE audit SET action = 'site.create'"))).rejects.toThrow(/append-only/);
      await expect(db.write(() => db.run('DELETE FROM audit'))).rejects.toThrow(/append-only/);
      expect((await repos.audit.list({}, { limit: 5 })).items.map((e) => e.action)).toEqual(['site.delete']);
    } finally {
      await repos.close();
    }
  });
});
