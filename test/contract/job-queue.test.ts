import { describeEachStore } from '../support/stores.js';
import { jobQueueContract } from './job-queue.contract.js';

await describeEachStore('job queue', (kind) => jobQueueContract(kind.label, kind.create));
