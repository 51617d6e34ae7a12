/**
 * A MongoDB for tests, when one can be had without the network: MONGODB_URI, else mongodb-memory-server with
 * a system binary (MONGOMS_SYSTEM_BINARY) or one already in its cache. Never downloads; null when there is none.
 */
import { afterAll, describe } from '@jest/globals';
import { DryMongoBinary, MongoMemoryServer } from 'mongodb-memory-server-core';
import { randomBytes } from 'node:crypto';

export interface TestMongo {
  /** Server URI without a database name; use `databaseUri` for an isolated database. */
  uri: string;
  stop(): Promise<void>;
}

const locateCachedBinary = async (): Promise<string | undefined> => {
  try {
    return await DryMongoBinary.locateBinary(DryMongoBinary.getEnsuredOptions());
  } catch {
    return undefined;
  }
};

export const startMongo = async (): Promise<TestMongo | null> => {
  const external = process.env.MONGODB_URI;
  if (external) return { uri: external, stop: async () => undefined };
  const binary = process.env.MONGOMS_SYSTEM_BINARY || (await locateCachedBinary());
  if (!binary) return null;
  const server = await MongoMemoryServer.create({ binary: { systemBinary: binary } });
  return { uri: server.getUri(), stop: async () => void (await server.stop()) };
};

/** A fresh database name on the server, so parallel test files never see each other's data. */
export const databaseUri = (serverUri: string, prefix = 'distro_test'): string => {
  const url = new URL(serverUri);
  url.pathname = `/${prefix}_${randomBytes(5).toString('hex')}`;
  return url.toString();
};

export const MONGO_SKIP_MESSAGE =
  '[contract] mongo adapter run skipped: no MongoDB (set MONGODB_URI or MONGOMS_SYSTEM_BINARY)';

/**
 * `describe` for suites that need MongoDB itself (not a store kind): starts one for the file, or registers the
 * suite as skipped with the same one-line notice. Call at the top level of a test file.
 */
export const describeWithMongo = async (title: string, body: (server: TestMongo) => void): Promise<void> => {
  const server = await startMongo();
  if (!server) {
    process.stdout.write(`${MONGO_SKIP_MESSAGE}\n`);
    describe.skip(title, () => body({ uri: '', stop: async () => undefined }));
    return;
  }
  afterAll(() => server.stop());
  describe(title, () => body(server));
};
