import { describeEachStore } from '../support/stores.js';
import { rolloutContract } from './rollouts.contract.js';

await describeEachStore('rollouts', (kind) => rolloutContract(kind.label, kind.create));
