import { describeEachStore } from '../support/stores.js';
import { sessionStoreContract } from './sessions.contract.js';

await describeEachStore('sessions', (kind) => sessionStoreContract(kind.label, kind.create));
