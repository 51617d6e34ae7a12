// The MongoDB-wire stand-in (CongoDB, tools/mongo-wire) as a child process on 127.0.0.1. Used by jest's global
// setup for the MongoDB runs of the contract suites when no MongoDB is given, and by tests that stop and restart
// a server (same port) to see the app lose and regain its database. Plain JS: jest loads global setup as CommonJS
// without the project's module mapping. Types: mongo-wire-server.d.mts.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { childEnv, trackChild } from './child-processes.mjs';

/** Where global setup publishes the shared stand-in's URI to the test workers (they inherit its environment). */
export const WIRE_URI_VARIABLE = 'DISTRO_TEST_WIRE_URI';

const ROOT = join(import.meta.dirname, '..', '..');
const TOOL = join(ROOT, 'tools', 'mongo-wire');
const START_BOUND_MS = 30_000;

/** Starts a stand-in on `port` (0: a free one); rejects, naming the cause, if it is not installed or does not start. */
export const startWireServer = async (options = {}) => {
  if (!existsSync(join(TOOL, 'node_modules', '@push.rocks', 'smartmongo'))) {
    throw new Error('The MongoDB-wire stand-in is not installed: run `node scripts/ensure-mongo-wire.mjs` (npm test does).');
  }
  // stdin stays a pipe: the server exits when it closes, so a dying test runner never leaves it behind.
  const child = spawn(process.execPath, [join(TOOL, 'server.mjs'), `--port=${options.port ?? 0}`], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...childEnv() },
  });
  trackChild(child, 'mongo-wire stand-in');
  const exited = new Promise((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d.toString()));
  let onEarlyExit = () => undefined;
  const uri = await new Promise((resolve, reject) => {
    let out = '';
    const fail = (why) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`The MongoDB-wire stand-in ${why}: ${stderr.trim().slice(-2000)}`));
    };
    const timer = setTimeout(() => fail('did not report its address'), START_BOUND_MS);
    onEarlyExit = (code) => fail(`exited (code ${code})`);
    child.once('exit', onEarlyExit);
    child.stdout.on('data', (d) => {
      out += d.toString();
      // The package prints debug lines of its own on stdout; ours is the JSON one.
      const line = out.split('\n').find((l) => l.startsWith('{"uri"'));
      if (!line) return;
      clearTimeout(timer);
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      resolve(JSON.parse(line).uri);
    });
  });
  child.off('exit', onEarlyExit);
  return {
    uri,
    port: Number(new URL(uri).port),
    pid: child.pid,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
};
