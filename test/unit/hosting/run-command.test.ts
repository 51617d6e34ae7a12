import { describe, expect, test } from '@jest/globals';
import { HostingError, TransientError } from '../../../src/domain/errors.js';
import type { TaskLogLine } from '../../../src/domain/task.js';
import { runProcess, runShell, shellQuote } from '../../../src/hosting/run-command.js';

const collect = () => {
  const lines: Array<[string, TaskLogLine['level'] | undefined]> = [];
  return { lines, log: (m: string, l?: TaskLogLine['level']) => void lines.push([m, l]) };
};

describe('runShell', () => {
  test('streams stdout and stderr lines into the log and returns stdout', async () => {
    const { lines, log } = collect();
    const res = await runShell('printf "one\\ntwo\\n"; echo oops >&2; printf "partial"', { log });
    expect(res.stdout).toBe('one\ntwo\npartial');
    expect(lines).toEqual(expect.arrayContaining([['one', 'info'], ['two', 'info'], ['oops', 'warn'], ['partial', 'info']]));
  });

  test('a non-zero exit is a HostingError naming the exit code and the last output', async () => {
    const { log } = collect();
    const err = await runShell('echo "first"; echo "the real reason" >&2; exit 4', { log }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostingError);
    expect((err as Error).message).toMatch(/exited with 4: the real reason$/);
  });

  test('transient exit codes and output patterns become TransientError', async () => {
    await expect(runShell('exit 75', { transientExitCodes: [75] })).rejects.toBeInstanceOf(TransientError);
    await expect(runShell('echo "Could not resolve host: github.com" >&2; exit 128', { transientPattern: /could not resolve host/i })).rejects.toBeInstanceOf(
      TransientError,
    );
    await expect(runShell('exit 76', { transientExitCodes: [75] })).rejects.not.toBeInstanceOf(TransientError);
  });

  test('passes env and cwd', async () => {
    const res = await runShell('echo "$GREETING from $(pwd)"', { env: { GREETING: 'hello' }, cwd: '/' });
    expect(res.stdout).toBe('hello from /\n');
  });

  test('a missing program is a HostingError, not a crash', async () => {
    await expect(runProcess('/nonexistent/program', [])).rejects.toThrow(/Cannot run `\/nonexistent\/program`/);
  });
});

describe('shellQuote', () => {
  test.each([`plain`, `it's`, `a b; rm -rf /`, `$(touch /tmp/x) \`id\``, `'"'"`, ``])('round-trips %p through sh unchanged', async (value) => {
    const res = await runShell(`printf '%s' ${shellQuote(value)}`);
    expect(res.stdout).toBe(value);
  });
});
