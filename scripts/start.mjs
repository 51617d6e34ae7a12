// `npm start`: installs dependencies if needed, builds if an input changed, then runs the server in this
// same process (one Node start-up, not one per step).
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runBuild } from './build.mjs';
import { checkSqliteBinding, ensureDeps } from './ensure-deps.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
ensureDeps();
await checkSqliteBinding();
await runBuild({ root });
await import(pathToFileURL(join(root, 'dist/src/main.js')).href);
