import { describeEachStore } from '../support/stores.js';
import { signInStoreContract } from './sign-ins.contract.js';

await describeEachStore('sign-ins', (kind) => signInStoreContract(kind.label, kind.create));
