import { describeEachStore } from '../support/stores.js';
import { apiTokenStoreContract } from './api-tokens.contract.js';

await describeEachStore('api tokens', (kind) => apiTokenStoreContract(kind.label, kind.create));
