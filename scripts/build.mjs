// Builds src/**/*.ts into dist/src/**/*.js with swc, and only when an input changed: `npm start` runs it
// before every start, so a restart with no change costs a hash of the inputs (~100 files), not a compile.
// Type checking stays with `npm run typecheck` (tsc --noEmit, run by CI): tsconfig sets isolatedModules and
// verbatimModuleSyntax, so transpiling each file on its own gives the same JavaScript as tsc.
//
// Usage: node scripts/build.mjs [--force] [--out <dir>]   (default out: dist); scripts/start.mjs calls runBuild.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Bump when the emitted JavaScript would differ for the same inputs (options below changed meaning). */
const BUILD_FORMAT = 1;
const STAMP_FILE = '.build-stamp.json';
/** Files besides src/**.ts whose change must rebuild: compiler options and the compiler's version. */
const EXTRA_INPUTS = ['tsconfig.json', 'package-lock.json', 'scripts/build.mjs'];
/** A lock older than this was left by a killed build. */
const STALE_LOCK_MS = 5 * 60_000;

const swcOptions = (filename, sourceFileName) => ({
  filename,
  sourceFileName,
  sourceMaps: true,
  inlineSourcesContent: false,
  swcrc: false,
  configFile: false,
  jsc: {
    parser: { syntax: 'typescript' },
    target: 'es2022',
    // The tsc semantics of target ES2022: class fields are defined, imports are kept as written.
    transform: { useDefineForClassFields: true, verbatimModuleSyntax: true },
  },
  module: { type: 'es6' },
});

const listTs = async (dir) => {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
};

/**
 * The stamp of a set of inputs: a hash of their paths and contents (not mtimes: a checkout or an
 * extracted archive can give changed files an older mtime than the last build).
 */
export const inputStamp = (inputs) => {
  const hash = createHash('sha256').update(`distro-build:${BUILD_FORMAT}\0`);
  for (const { path, content } of [...inputs].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    // Lengths first, so no split of the same bytes between entries gives the same hash.
    hash.update(`${path}\0${Buffer.byteLength(content)}\0`).update(content);
  }
  return hash.digest('hex');
};

/** Whether the last build (its stamp record, or null) is still good for inputs with this stamp. */
export const isUpToDate = (stamp, previous, outputsPresent) => previous !== null && previous.stamp === stamp && outputsPresent;

const readInputs = async (root) => {
  const sources = await listTs(join(root, 'src'));
  const paths = [...sources.map((p) => relative(root, p)), ...EXTRA_INPUTS.filter((p) => existsSync(join(root, p)))];
  return Promise.all(paths.map(async (path) => ({ path: path.split(sep).join('/'), content: await readFile(join(root, path)) })));
};

const readStamp = async (outDir) => {
  try {
    return JSON.parse(await readFile(join(outDir, STAMP_FILE), 'utf8'));
  } catch {
    return null;
  }
};

const outputsPresent = (outDir, previous) =>
  Array.isArray(previous?.outputs) && previous.outputs.every((p) => existsSync(join(outDir, p)));

/** Runs `fn` holding a directory lock, so two `npm start`s (web and worker from one folder) do not build at once. */
const withLock = async (outDir, fn) => {
  const lock = join(outDir, '.build-lock');
  await mkdir(outDir, { recursive: true });
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > STALE_LOCK_MS) await rm(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
};

const compile = async (root, outDir, inputs) => {
  const { transform } = (await import('@swc/core')).default;
  const staging = join(outDir, `.staging-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  const outputs = [];
  for (const { path, content } of inputs.filter((i) => i.path.startsWith('src/') && i.path.endsWith('.ts'))) {
    const js = path.replace(/\.ts$/, '.js');
    const target = join(staging, js);
    await mkdir(dirname(target), { recursive: true });
    const sourceFileName = relative(dirname(join(outDir, js)), join(root, path)).split(sep).join('/');
    const out = await transform(content.toString('utf8'), swcOptions(join(root, path), sourceFileName));
    const base = js.slice(js.lastIndexOf('/') + 1);
    await writeFile(target, `${out.code}\n//# sourceMappingURL=${base}.map\n`);
    await writeFile(`${target}.map`, out.map ?? '{}');
    outputs.push(js, `${js}.map`);
  }
  // Swap the whole tree in, so a process already running the old build never sees half of the new one.
  const old = join(outDir, `.old-${process.pid}`);
  if (existsSync(join(outDir, 'src'))) await rename(join(outDir, 'src'), old);
  await rename(join(staging, 'src'), join(outDir, 'src'));
  await rm(staging, { recursive: true, force: true });
  await rm(old, { recursive: true, force: true });
  return outputs;
};

/**
 * Builds `root`/src into `outDir`/src unless the stamp of the last build matches the inputs.
 * Returns whether it compiled, and how many files it wrote.
 */
export const build = async ({ root = process.cwd(), outDir = join(root, 'dist'), force = false } = {}) => {
  const inputs = await readInputs(root);
  const stamp = inputStamp(inputs);
  const check = async () => {
    const previous = await readStamp(outDir);
    return !force && isUpToDate(stamp, previous, outputsPresent(outDir, previous));
  };
  if (await check()) return { built: false, files: 0 };
  return withLock(outDir, async () => {
    if (await check()) return { built: false, files: 0 }; // another process built it while we waited
    await rm(join(outDir, STAMP_FILE), { force: true }); // a build killed midway leaves no stamp
    const outputs = await compile(root, outDir, inputs);
    await writeFile(join(outDir, STAMP_FILE), `${JSON.stringify({ stamp, builtAt: new Date().toISOString(), outputs })}\n`);
    return { built: true, files: outputs.length / 2 };
  });
};

/** build() with a one-line report, for `npm start` and `npm run build`. */
export const runBuild = async (options) => {
  const started = Date.now();
  const result = await build(options);
  const ms = Date.now() - started;
  console.log(result.built ? `[distro] built ${result.files} files with swc in ${ms} ms` : `[distro] build up to date (checked in ${ms} ms)`);
  return result;
};

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const outArg = args.indexOf('--out');
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  await runBuild({
    root,
    outDir: outArg >= 0 && args[outArg + 1] ? resolve(args[outArg + 1]) : join(root, 'dist'),
    force: args.includes('--force'),
  });
}
