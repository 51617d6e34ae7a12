/**
 * Start-up benchmark: time from the command to the "web started" log line, on the embedded default.
 *   - `npm start` with no source change (the stamp matches: no build),
 *   - `npm start` after a source change (stamp removed: swc rebuilds src),
 *   - `node --import tsx src/main.ts` (transpiling at run time, for reference),
 *   - baseline: what `npm start` did before (ensure-deps, `tsc` build, node), measured in the same run,
 *   - with --clone: `git clone` of this repository's HEAD, then `npm start` there (npm ci + build + start), and a restart.
 *   npx tsx scripts/bench-start.ts [--runs N] [--baseline-runs N] [--clone]
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { makeTempDir } from '../test/support/git-fixtures.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Math.max(1, Number(process.argv[i + 1])) : dflt;
};
const runs = arg('--runs', 5);
const baselineRuns = arg('--baseline-runs', 1);
const clone = process.argv.includes('--clone');
const repo = process.cwd();

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Runs `command` in `cwd` until it logs "web started", then stops it with SIGTERM; returns the elapsed ms and the output. */
const runToWebStarted = (command: string, cwd: string, dataDir: string): Promise<{ ms: number; out: string }> =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('sh', ['-c', `exec ${command}`], {
      cwd,
      env: { ...process.env, PORT: '0', DATA_DIR: dataDir, LOG_FORMAT: 'json', npm_config_update_notifier: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let elapsed: number | null = null;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (elapsed === null && out.includes('"msg":"web started"')) {
        elapsed = performance.now() - started;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', () => (elapsed === null ? reject(new Error(`${command} exited before "web started":\n${out.slice(-2000)}`)) : resolve({ ms: elapsed, out })));
  });
const timeToWebStarted = async (command: string, cwd: string, dataDir: string): Promise<number> => (await runToWebStarted(command, cwd, dataDir)).ms;

const series = async (label: string, n: number, command: string, cwd: string, dataDir: string, before?: () => Promise<void>): Promise<number> => {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    await before?.();
    times.push(await timeToWebStarted(command, cwd, dataDir));
  }
  const m = median(times);
  console.log(`  ${label.padEnd(46)} median ${sec(m)} (${times.map(sec).join(', ')})`);
  return m;
};

const main = async (): Promise<void> => {
  const dir = await makeTempDir('distro-bench-start-');
  const data = join(dir, 'data');
  const stamp = join(repo, 'dist', '.build-stamp.json');
  const tscOut = join(repo, 'dist', '.bench-tsc');
  try {
    console.log(`bench-start: command → "web started" on the embedded default, ${runs} runs (baseline ${baselineRuns})`);
    await timeToWebStarted('npm start', repo, data); // warm-up; also builds if needed
    const restart = await series('npm start, no source change (no build)', runs, 'npm start', repo, data);
    const changed = await series('npm start after a source change (swc build)', Math.min(runs, 3), 'npm start', repo, data, () => rm(stamp, { force: true }));
    const tsx = await series('node --import tsx src/main.ts (reference)', Math.min(runs, 3), 'node --import tsx src/main.ts', repo, data);
    const baseline = await series(
      'baseline: ensure-deps + tsc build + node',
      baselineRuns,
      `sh -c 'node scripts/ensure-deps.mjs && node_modules/.bin/tsc -p tsconfig.json --outDir ${tscOut} && exec node ${tscOut}/src/main.js'`,
      repo,
      data,
    );
    console.log(`  baseline / restart: ${(baseline / restart).toFixed(1)}x; baseline / after a change: ${(baseline / changed).toFixed(1)}x; tsx / restart: ${(tsx / restart).toFixed(2)}x`);

    if (clone) {
      const copy = join(dir, 'clone');
      const cloned = performance.now();
      await new Promise<void>((resolve, reject) =>
        spawn('git', ['clone', '--quiet', repo, copy], { stdio: 'inherit' }).on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`git clone: ${code}`)))),
      );
      const cloneMs = performance.now() - cloned;
      const first = await runToWebStarted('npm start', copy, join(dir, 'clone-data'));
      const swc = /built \d+ files with swc in (\d+) ms/.exec(first.out)?.[1];
      console.log(`  fresh clone: git clone ${sec(cloneMs)}, then npm start (npm ci + build + start) ${sec(first.ms)}, of which the swc build ${swc} ms`);
      await series('fresh clone, restart', Math.min(runs, 3), 'npm start', copy, join(dir, 'clone-data'));
    }
  } finally {
    await rm(tscOut, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  }
};

await main();
