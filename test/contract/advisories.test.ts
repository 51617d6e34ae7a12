import { describeEachStore } from '../support/stores.js';
import { advisoryContract } from './advisories.contract.js';

await describeEachStore('advisories', (kind) =>
  advisoryContract(kind.label, async () => {
    const instance = await kind.create();
    return { repos: instance.repos, cleanup: () => instance.cleanup() };
  }),
);
