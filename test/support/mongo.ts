/**
 * The MongoDB the tests use, chosen once per run:
 *   - MONGODB_URI: that server (real MongoDB: every contract test runs, the wire gaps included);
 *   - MONGOMS_SYSTEM_BINARY: a mongod binary run by mongodb-memory-server (real MongoDB too);
 *   - otherwise the MongoDB-wire stand-in (CongoDB, tools/mongo-wire) that jest's global setup started, or one
 *     started here when a file runs without it. Tests that need what it lacks are listed in mongo-wire-gaps.ts.
 * Never skips: a stand-in that cannot start fails the run.
 */
import { afterAll, describe } from '@jest/globals';
import { MongoMemoryServer } from 'mongodb-memory-server-core';
import { randomBytes } from 'node:crypto';
import { startWireServer, WIRE_URI_VARIABLE } from './mongo-wire-server.mjs';

/** `mongo` for a real MongoDB, `mongo-wire` for the stand-in: also the backend label in describe titles. */
export type MongoBackend = 'mongo' | 'mongo-wire';

export interface TestMongo {
  /** Server URI without a database name; use `databaseUri` for an isolated database. */
  uri: string;
  backend: MongoBackend;
  stop(): Promise<void>;
}

export const startMongo = async (): Promise<TestMongo> => {
  const external = process.env.MONGODB_URI;
  if (external) return { uri: external, backend: 'mongo', stop: async () => undefined };
  const binary = process.env.MONGOMS_SYSTEM_BINARY;
  if (binary) {
    const server = await MongoMemoryServer.create({ binary: { systemBinary: binary } });
    return { uri: server.getUri(), backend: 'mongo', stop: async () => void (await server.stop()) };
  }
  const shared = process.env[WIRE_URI_VARIABLE];
  if (shared) return { uri: shared, backend: 'mongo-wire', stop: async () => undefined };
  const own = await startWireServer();
  return { uri: own.uri, backend: 'mongo-wire', stop: own.stop };
};

/** A fresh database name on the server, so parallel test files never see each other's data. */
export const databaseUri = (serverUri: string, prefix = 'distro_test'): string => {
  const url = new URL(serverUri);
  url.pathname = `/${prefix}_${randomBytes(5).toString('hex')}`;
  return url.toString();
};

/**
 * `describe('<title> [<backend>]')` for suites that need MongoDB itself (not a store kind): starts one for the
 * file if needed. Call at the top level of a test file.
 */
export const describeWithMongo = async (title: string, body: (server: TestMongo) => void): Promise<void> => {
  const server = await startMongo();
  afterAll(() => server.stop());
  describe(`${title} [${server.backend}]`, () => body(server));
};
