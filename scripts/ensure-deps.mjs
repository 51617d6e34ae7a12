// Installs dependencies when node_modules is missing or older than package-lock.json,
// so `npm start` and `npm test` work on a fresh clone without a separate setup step.
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const ensureDeps = () => {
  const marker = 'node_modules/.package-lock.json';
  const lock = 'package-lock.json';
  const stale = !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000);
  if (stale) {
    console.log('[distro] installing dependencies (npm ci)…');
    execSync(existsSync(lock) ? 'npm ci --no-audit --no-fund' : 'npm install --no-audit --no-fund', { stdio: 'inherit' });
  }
};

/**
 * The embedded store's SQLite binding ships its binary in a per-platform package (an optional dependency):
 * say plainly when this platform has none, instead of failing later with a module-loading error.
 */
export const checkSqliteBinding = async () => {
  try {
    await import('libsql');
  } catch (error) {
    console.error(
      `[distro] the SQLite binding (libsql) cannot load on ${process.platform}-${process.arch}: ${error instanceof Error ? error.message : error}\n` +
        '[distro] reinstall with optional dependencies (npm ci, without --omit=optional) on a platform libsql supports.',
    );
    process.exit(1);
  }
};

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  ensureDeps();
  await checkSqliteBinding();
  // jest --outputFile does not create its folder.
  mkdirSync('test-results', { recursive: true });
}
