/**
 * Child processes for the hosting drivers: output is streamed line by line into the task/build log,
 * a non-zero exit becomes a HostingError (or TransientError when the output looks like a network blip).
 */
import { StringDecoder } from 'node:string_decoder';
import { HostingError, TransientError } from '../domain/errors.js';
import type { LogFn } from '../domain/ports.js';
import { redactUrl } from '../lib/redact.js';
import { describeExceeded, spawnBounded, type BoundedSpawnOptions } from '../lib/spawn-bounded.js';

export interface RunOptions {
  cwd?: string;
  /** Added to the parent's environment. */
  env?: Record<string, string>;
  log?: LogFn;
  /** Output that matches this is reported as a TransientError (retried by the job queue). */
  transientPattern?: RegExp;
  /** Exit codes that mean "try again later" (75 = EX_TEMPFAIL for the command driver). */
  transientExitCodes?: number[];
  /** Time and output bounds; the process group is killed when one is exceeded (a TransientError then). */
  bounds?: Pick<BoundedSpawnOptions, 'idleMs' | 'timeoutMs' | 'maxOutputBytes'>;
  /** Who failed to answer, for the error when a bound is exceeded ("The upstream https://…"); the command by default. */
  subject?: string;
  /** Output lines not worth a log line (git's progress meters, which also end lines with a lone CR). */
  unlogged?: RegExp;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Kept for error messages and return values; the log receives everything. */
const MAX_CAPTURE = 1 << 20;
const TAIL_LINES = 5;

/** Splits a stream into lines, calling `onLine` per complete line and once more for a trailing partial line. */
const lineSplitter = (onLine: (line: string) => void, separator = /\r?\n/) => {
  let rest = '';
  return {
    push(chunk: string) {
      const parts = (rest + chunk).split(separator);
      rest = parts.pop() ?? '';
      for (const p of parts) onLine(p);
    },
    end() {
      if (rest) onLine(rest);
      rest = '';
    },
  };
};

export const runProcess = async (file: string, args: string[], options: RunOptions = {}): Promise<RunResult> => {
  let stdout = '';
  let stderr = '';
  const capture = (s: string, add: string) => (s.length < MAX_CAPTURE ? s + add : s);
  const logged = (level: 'info' | 'warn') => (line: string) => {
    if (line.trim() && !options.unlogged?.test(line)) options.log?.(line, level);
  };
  const separator = options.unlogged ? /\r?\n|\r/ : undefined;
  const out = lineSplitter(logged('info'), separator);
  const err = lineSplitter(logged('warn'), separator);
  const shown = `\`${redactUrl([file, ...args].join(' ')).slice(0, 200)}\``;
  // Decoders keep a character split across two chunks whole.
  const [outText, errText] = [new StringDecoder('utf8'), new StringDecoder('utf8')];
  let exit;
  try {
    exit = await spawnBounded(file, args, {
      ...options.bounds,
      ...(options.cwd ? { cwd: options.cwd } : {}),
      env: { ...process.env, ...options.env },
      onStdout: (chunk) => {
        const c = outText.write(chunk);
        stdout = capture(stdout, c);
        out.push(c);
      },
      onStderr: (chunk) => {
        const c = errText.write(chunk);
        stderr = capture(stderr, c);
        err.push(c);
      },
    });
  } catch (e) {
    throw new HostingError(`Cannot run \`${file}\`: ${(e as Error).message}`, { cause: e });
  }
  out.end();
  err.end();
  const { code, signal, exceeded } = exit;
  if (exceeded) throw new TransientError(`${options.subject ?? shown} ${describeExceeded(exceeded, options.bounds ?? {})}.`);
  if (code === 0) return { stdout, stderr };
  const tail = (stderr.trim() || stdout.trim()).split('\n').slice(-TAIL_LINES).join('\n');
  const what = `${shown} ${signal ? `was killed by ${signal}` : `exited with ${code}`}`;
  const message = tail ? `${what}: ${tail}` : what;
  const transient = (code !== null && options.transientExitCodes?.includes(code)) || options.transientPattern?.test(stderr + stdout);
  throw transient ? new TransientError(message) : new HostingError(message);
};

/** Runs a command line through `sh -c` (templates and configured post-migrate commands). */
export const runShell = (command: string, options: RunOptions = {}): Promise<RunResult> =>
  runProcess('sh', ['-c', command], options);

/** Single-quotes a value for POSIX sh; a quote inside becomes '\'' so no value can break out. */
export const shellQuote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;
