// Installs the MongoDB-wire stand-in (tools/mongo-wire, its own package.json and lock) for `npm test`, so the
// MongoDB runs of the contract suites happen on every machine. Its dependency overrides stay in that folder and
// never touch the app's tree. With MONGODB_URI set the suites use that server and nothing is installed.
// A failed install stops `npm test` (no silent skip of the MongoDB runs).
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(import.meta.dirname, '..', 'tools', 'mongo-wire');
if (process.env.MONGODB_URI) {
  console.log('[distro] MONGODB_URI is set: the MongoDB contract runs use it; the wire stand-in is not installed.');
  process.exit(0);
}
const marker = join(dir, 'node_modules', '.package-lock.json');
const lock = join(dir, 'package-lock.json');
const stale = !existsSync(marker) || statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000;
if (stale) {
  console.log('[distro] installing the MongoDB-wire stand-in for the tests (npm ci in tools/mongo-wire)…');
  try {
    execSync('npm ci --no-audit --no-fund --loglevel=error', {
      cwd: dir,
      stdio: 'inherit',
      // Its mongodb-memory-server dependency would otherwise try to download a mongod binary.
      env: { ...process.env, MONGOMS_DISABLE_POSTINSTALL: '1' },
    });
  } catch {
    console.error(
      '[distro] could not install the MongoDB-wire stand-in (tools/mongo-wire). The MongoDB contract runs need it; ' +
        'fix the install or set MONGODB_URI to a MongoDB server.',
    );
    process.exit(1);
  }
}
