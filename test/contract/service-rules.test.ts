import { describeEachStore } from '../support/stores.js';
import { serviceRulesContract } from './service-rules.contract.js';

await describeEachStore('service rules', (kind) => serviceRulesContract(kind.label, kind.create));
