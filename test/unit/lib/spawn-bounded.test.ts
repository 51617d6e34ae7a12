/** spawnBounded: each bound ends the whole process group, and says which bound it was. */
import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describeExceeded, spawnBounded } from '../../../src/lib/spawn-bounded.js';

/** Processes whose command line carries `mark` (a unique sleep duration). */
const running = (mark: string): string[] =>
  execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(`sleep ${mark}`));

describe('spawnBounded', () => {
  test('silence past idleMs kills the child and the background process it started', async () => {
    const mark = `${1000 + randomBytes(2).readUInt16BE(0)}`;
    const exit = await spawnBounded('sh', ['-c', `sleep ${mark} & sleep ${mark}`], { idleMs: 300 });
    expect(exit.exceeded).toBe('idle');
    expect(running(mark)).toEqual([]);
  });

  test('output keeps an idle bound from firing; the overall bound still ends it', async () => {
    const exit = await spawnBounded('sh', ['-c', 'while true; do echo tick; sleep 0.05; done'], { idleMs: 2_000, timeoutMs: 500 });
    expect(exit.exceeded).toBe('timeout');
  });

  test('more output than maxOutputBytes kills it', async () => {
    let seen = 0;
    const exit = await spawnBounded('yes', [], { maxOutputBytes: 1024 * 1024, onStdout: (c) => void (seen += c.length) });
    expect(exit.exceeded).toBe('output');
    expect(seen).toBeLessThanOrEqual(1024 * 1024);
  });

  test('a child within its bounds exits normally, with its code, and stdin is passed', async () => {
    let out = '';
    const exit = await spawnBounded('sh', ['-c', 'cat; exit 3'], { input: 'hello', idleMs: 10_000, onStdout: (c) => void (out += c) });
    expect(exit).toEqual({ code: 3, signal: null, exceeded: null });
    expect(out).toBe('hello');
  });

  test('the sentences', () => {
    expect(describeExceeded('idle', { idleMs: 60_000 })).toBe('did not answer within 60 s');
    expect(describeExceeded('timeout', { timeoutMs: 1_800_000 })).toBe('did not finish within 1800 s');
    expect(describeExceeded('output', { maxOutputBytes: 64 * 1024 * 1024 })).toBe('sent more than 64 MB of output');
  });
});
