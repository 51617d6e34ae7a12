/**
 * The store kinds every contract (and any suite that wants "both databases") runs over: the embedded store
 * (SQLite, in memory here) and MongoDB (mongoose repositories + Agenda queue) on the server test/support/mongo.ts
 * picks: a real one, or the wire stand-in. Both always run; describe titles end in the backend label ([sqlite],
 * [mongo], [mongo-wire]), which .ci/run counts.
 *
 *   await describeEachStore('repositories', (kind) => repositoryContract(kind.label, kind.create));
 */
import { afterAll, afterEach, beforeEach, describe } from '@jest/globals';
import type { JobQueue, Repositories } from '../../src/domain/ports.js';
import type { Logger } from '../../src/logger.js';
import { AgendaJobQueue } from '../../src/jobs/agenda-queue.js';
import { MEMORY } from '../../src/persistence/sqlite/database.js';
import { connectMongo, createMongoRepositories } from '../../src/persistence/mongo/mongo-repositories.js';
import { embeddedStore } from './embedded.js';
import { databaseUri, startMongo, type MongoBackend, type TestMongo } from './mongo.js';

export interface QueueOptions {
  owner?: string;
  logger?: Logger;
}

export interface StoreInstance {
  repos: Repositories;
  /** A queue on this store's job backend (not started), for suites that need just one. */
  jobs: JobQueue;
  /** A new queue on this instance's job backend; queues of one instance share their jobs like workers do. */
  createQueue(options?: QueueOptions): JobQueue;
  /** Stops the queues made here and drops the data. */
  cleanup(): Promise<void>;
}

export interface StoreKind {
  name: 'sqlite' | 'mongo';
  /** Which server: `sqlite`, `mongo` (real MongoDB) or `mongo-wire` (the stand-in; see mongo-wire-gaps.ts). */
  label: 'sqlite' | MongoBackend;
  create(): Promise<StoreInstance>;
}

/** Short polling so contract tests do not wait on schedule ticks. */
const TEST_POLL_MS = 5;

/** Wraps repositories and a queue maker into an instance whose cleanup stops every queue it made first. */
const storeInstance = (
  repos: Repositories,
  makeQueue: (options: QueueOptions) => JobQueue,
  dispose: () => Promise<void>,
): StoreInstance => {
  const queues: JobQueue[] = [];
  const createQueue = (options: QueueOptions = {}): JobQueue => {
    const q = makeQueue(options);
    queues.push(q);
    return q;
  };
  return {
    repos,
    jobs: createQueue(),
    createQueue,
    cleanup: async () => {
      await Promise.all(queues.map((q) => q.stop()));
      await dispose();
    },
  };
};

/** An embedded store (SQLite) on `file`, in memory by default; its queues share the database like workers. */
export const createSqliteInstance = (file: string = MEMORY): StoreInstance => {
  const store = embeddedStore(file);
  return storeInstance(store.repos, (options) => store.queue({ pollIntervalMs: TEST_POLL_MS, ...options }), () => store.repos.close());
};

export const sqliteStore: StoreKind = {
  name: 'sqlite',
  label: 'sqlite',
  create: async () => createSqliteInstance(),
};

const mongoStore = (server: TestMongo): StoreKind => ({
  name: 'mongo',
  label: server.backend,
  create: async () => {
    const connection = await connectMongo(databaseUri(server.uri));
    const repos = await createMongoRepositories(connection);
    return storeInstance(
      repos,
      // A short lock lifetime: Agenda keeps a timer of half of it after each job, which would hold jest open.
      (options) => new AgendaJobQueue({ connection, processEveryMs: TEST_POLL_MS * 4, lockLifetimeMs: 2_000, ...options }),
      async () => {
        await connection.dropDatabase();
        await repos.close();
      },
    );
  },
});

let mongoServer: Promise<TestMongo> | null = null;

/**
 * Both store kinds. Starts (at most once per test file) a MongoDB if none is shared, and stops it after the file.
 * Call at the top level of a test file (module evaluation), since it registers an afterAll hook.
 */
export const storeKinds = async (): Promise<StoreKind[]> => {
  if (!mongoServer) {
    mongoServer = startMongo();
    const started = mongoServer;
    afterAll(async () => {
      await (await started).stop();
    });
  }
  return [sqliteStore, mongoStore(await mongoServer)];
};

/** Registers `body` once per store kind inside `describe('<title> [<label>]')`. */
export const describeEachStore = async (title: string, body: (kind: StoreKind) => void): Promise<void> => {
  for (const kind of await storeKinds()) describe(`${title} [${kind.label}]`, () => body(kind));
};

/** A fresh store for each test of a contract suite: returns the current test's repositories (cleaned up after it). */
export const freshRepos = (create: () => Promise<StoreInstance>): (() => Repositories) => {
  let store: StoreInstance;
  beforeEach(async () => {
    store = await create();
  });
  afterEach(() => store.cleanup());
  return () => store.repos;
};
