/**
 * The one list of contract tests that cannot pass on the MongoDB-wire stand-in (CongoDB, tools/mongo-wire),
 * each with the server feature it lacks. They are skipped only there, under a title that says why; against
 * real MongoDB (MONGODB_URI or MONGOMS_SYSTEM_BINARY) and on the embedded store every one of them runs.
 * Keys: `<suite> › <test title>`.
 */
import { test } from '@jest/globals';

const UNIQUE = 'the stand-in accepts a unique index but never enforces it (duplicate inserts and upserts succeed)';

export const MONGO_WIRE_GAPS: Readonly<Record<string, string>> = {
  'repositories › duplicate slug is a ConflictError, also when raced': UNIQUE,
  'repositories › duplicate name or same commit in one distribution is a ConflictError': UNIQUE,
  'repositories › 10 concurrent createIfAbsent for one commit create exactly one platform': UNIQUE,
  'repositories › createIfAbsent with a taken name for a new commit is a ConflictError': UNIQUE,
  'repositories › update: allowed fields, commit uniqueness, NotFoundError': UNIQUE,
  'repositories › create fills defaults and starts the history; duplicate name is a ConflictError': UNIQUE,
  'repositories › one active task per type and subject: ConflictError, free again once finished': UNIQUE,
  'repositories › 10 concurrent creates for one subject: one task, the rest ConflictError': UNIQUE,
  'repositories › 10 concurrent first offers of one key: exactly one is new': UNIQUE,
  'rollouts › two advances at once (two workers) start a wave once: one task per site, all recorded': UNIQUE,
  'repositories › 10 concurrent claims of one key: exactly one is claimed': UNIQUE,
  // The first claims of a new slot key race to create its document: the unique `key` index lets one win on MongoDB,
  // while on the stand-in several are created and the holders split over them (seen failing 1 in ~4 CI runs here).
  'repositories › claimWithinLimits: 8 concurrent claims on one key with limit 2: exactly 2 win, the rest are told it is busy': UNIQUE,
  'job queue › uniqueKey: 10 racing enqueues from two web processes make one job': UNIQUE,
  'service rules › no site can be created on a locked platform; the target takes new sites': UNIQUE,
  'MongoDB adapters › the unique indexes behind the race guarantees exist before the adapters are handed out':
    'listIndexes leaves out partialFilterExpression',
};

/**
 * `test` for a contract suite running on `backend`: a listed gap becomes a skipped test named with its reason
 * on the stand-in, and a plain test everywhere else.
 */
export const contractTest = (suite: string, backend: string): typeof test => {
  if (backend !== 'mongo-wire') return test;
  const gapAware = (title: string, fn: Parameters<typeof test>[1], timeout?: number) => {
    const reason = MONGO_WIRE_GAPS[`${suite} › ${title}`];
    if (reason) return test.skip(`${title} (skipped on the wire stand-in: ${reason})`, fn);
    return test(title, fn, timeout);
  };
  return Object.assign(gapAware, test) as typeof test;
};
