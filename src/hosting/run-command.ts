/**
 * Child processes for the hosting drivers: output is streamed line by line into the task/build log,
 * a non-zero exit becomes a HostingError (or TransientError when the output looks like a network blip).
 */
import { spawn } from 'node:child_process';
import { HostingError, TransientError } from '../domain/errors.js';
import type { LogFn } from '../domain/ports.js';
import { redactUrl } from '../lib/redact.js';

export interface RunOptions {
  cwd?: string;
  /** Added to the parent's environment. */
  env?: Record<string, string>;
  log?: LogFn;
  /** Output that matches this is reported as a TransientError (retried by the job queue). */
  transientPattern?: RegExp;
  /** Exit codes that mean "try again later" (75 = EX_TEMPFAIL for the command driver). */
  transientExitCodes?: number[];
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Kept for error messages and return values; the log receives everything. */
const MAX_CAPTURE = 1 << 20;
const TAIL_LINES = 5;

/** Splits a stream into lines, calling `onLine` per complete line and once more for a trailing partial line. */
const lineSplitter = (onLine: (line: string) => void) => {
  let rest = '';
  return {
    push(chunk: string) {
      const parts = (rest + chunk).split(/\r?\n/);
      rest = parts.pop() ?? '';
      for (const p of parts) onLine(p);
    },
    end() {
      if (rest) onLine(rest);
      rest = '';
    },
  };
};

export const runProcess = (file: string, args: string[], options: RunOptions = {}): Promise<RunResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const capture = (s: string, add: string) => (s.length < MAX_CAPTURE ? s + add : s);
    const out = lineSplitter((line) => line.trim() && options.log?.(line, 'info'));
    const err = lineSplitter((line) => line.trim() && options.log?.(line, 'warn'));
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout = capture(stdout, c);
      out.push(c);
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr = capture(stderr, c);
      err.push(c);
    });
    child.on('error', (e) => reject(new HostingError(`Cannot run \`${file}\`: ${e.message}`, { cause: e })));
    child.on('close', (code, signal) => {
      out.end();
      err.end();
      if (code === 0) return resolve({ stdout, stderr });
      const tail = (stderr.trim() || stdout.trim()).split('\n').slice(-TAIL_LINES).join('\n');
      const what = `\`${redactUrl([file, ...args].join(' ')).slice(0, 200)}\` ${signal ? `was killed by ${signal}` : `exited with ${code}`}`;
      const message = tail ? `${what}: ${tail}` : what;
      const transient =
        (code !== null && options.transientExitCodes?.includes(code)) || options.transientPattern?.test(stderr + stdout);
      reject(transient ? new TransientError(message) : new HostingError(message));
    });
  });

/** Runs a command line through `sh -c` (templates and configured post-migrate commands). */
export const runShell = (command: string, options: RunOptions = {}): Promise<RunResult> =>
  runProcess('sh', ['-c', command], options);

/** Single-quotes a value for POSIX sh; a quote inside becomes '\'' so no value can break out. */
export const shellQuote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;
