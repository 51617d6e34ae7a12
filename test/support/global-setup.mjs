// Jest global setup: one MongoDB-wire stand-in for the whole run when no MongoDB is given (MONGODB_URI or
// MONGOMS_SYSTEM_BINARY), so the MongoDB runs of the contract suites happen in `npm test` on every machine.
// Each test file uses databases of its own on it (test/support/mongo.ts). Failing to start it fails the run.
// It also starts the run's process tracking (child-processes.mjs), which global teardown checks.
import { beginRun } from './child-processes.mjs';
import { startWireServer, WIRE_URI_VARIABLE } from './mongo-wire-server.mjs';

export default async () => {
  // Test workers are forked after global setup and inherit this environment.
  beginRun();
  if (process.env.MONGODB_URI || process.env.MONGOMS_SYSTEM_BINARY) return;
  const server = await startWireServer();
  globalThis.distroWireServer = server;
  process.env[WIRE_URI_VARIABLE] = server.uri;
};
