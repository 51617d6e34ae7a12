/**
 * Every `bench:*` script runs green in a smoke mode (a few iterations each), so a broken benchmark fails the suite
 * instead of being found broken by hand (bench:store once exited 1 at HEAD). Each runs as `npm run bench:<name>`
 * would (tsx), and must exit 0 and print its figures beside a baseline. The figures of a smoke run mean nothing.
 */
import { describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * The smallest run of each script; a bench:* script without an entry fails the test (no silent skip). `null`: not run
 * here yet, with the reason (listed, and checked to be exactly these).
 */
const NOT_YET: Record<string, string> = {
  // Its baseline is the old tsc build path (33–71 s): a smoke mode needs a flag that skips the baseline.
  'bench:start': 'baseline build takes 30–70 s',
  // 10 commands + 10 clicks still start two Bolt apps and take 40 s on a loaded 2-core machine.
  'bench:slack': 'two Bolt apps take ~40 s to measure on a loaded machine',
};
const SMOKE_ARGS: Record<string, string[] | null> = {
  'bench:compare': ['3'],
  'bench:exposure': ['1'],
  'bench:import': ['50', '1'],
  'bench:migrate': ['4'],
  'bench:parsers': ['1'],
  'bench:poll': ['1'],
  'bench:slack': null,
  'bench:start': null,
  'bench:store': ['1', '4'],
};

const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
const benches = Object.keys(scripts).filter((name) => name.startsWith('bench:'));

const run = (file: string, args: string[]): Promise<{ code: number | null; output: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', file, ...args], { env: { ...process.env, BENCH_SMOKE: '1' } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });

describe('benchmarks in smoke mode', () => {
  test('every bench:* script has a smoke run, except the ones listed with their reason', () => {
    expect(benches.filter((b) => SMOKE_ARGS[b] === undefined)).toEqual([]);
    expect(benches.filter((b) => SMOKE_ARGS[b] === null).sort()).toEqual(Object.keys(NOT_YET).sort());
  });

  // Concurrently: the suite's wall time is what matters (each is a few seconds of work).
  test.concurrent.each(benches.filter((b) => SMOKE_ARGS[b]))('%s runs green with a few iterations', async (name) => {
    const file = /^tsx (\S+\.ts)$/.exec(scripts[name]!)?.[1];
    expect(file).toBeDefined();
    const { code, output } = await run(file!, SMOKE_ARGS[name] ?? []);
    if (code !== 0) throw new Error(`${name} exited ${code}:\n${output.slice(-3000)}`);
    // Figures were printed (a number beside its label).
    expect(output).toMatch(/\d+(\.\d+)?\s*(ms|×|x|\/s|\/min|s)\b/);
  }, 120_000);
});
