import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryRepositories } from '../../src/persistence/memory/memory-repositories.js';
import { describeEachStore } from '../support/stores.js';
import { repositoryContract } from './repositories.contract.js';

await describeEachStore('repositories', (kind) => repositoryContract(kind.label, kind.create));

// The embedded store writes every mutation to its snapshot file; the whole contract must hold there too.
repositoryContract('memory + sync snapshot', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distro-snap-'));
  const repos = createMemoryRepositories({ snapshotFile: join(dir, 'store.json'), flush: 'sync' });
  return {
    repos,
    cleanup: async () => {
      await repos.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
