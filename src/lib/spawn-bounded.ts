/**
 * A child process that cannot outlive its bounds: it runs in its own process group, and when it stays silent too
 * long, runs too long in all, or prints too much, the whole group is SIGKILLed — git's helpers (git-remote-https,
 * ssh, index-pack) included, which a plain kill of git would leave behind holding the pipes open.
 */
import { spawn } from 'node:child_process';

export interface BoundedSpawnOptions {
  cwd?: string;
  /** The complete environment of the child. */
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  input?: string;
  /** Killed after this long without a byte on stdout or stderr. */
  idleMs?: number;
  /** Killed after this long in all. */
  timeoutMs?: number;
  /** Killed once stdout and stderr together exceed this many bytes. */
  maxOutputBytes?: number;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
}

/** Why the child was killed by its bounds: silent for idleMs, longer than timeoutMs, or more than maxOutputBytes. */
export type BoundExceeded = 'idle' | 'timeout' | 'output';

export interface BoundedExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the bounds killed it. */
  exceeded: BoundExceeded | null;
}

const bounded = (o: BoundedSpawnOptions): boolean => Boolean(o.idleMs || o.timeoutMs || o.maxOutputBytes !== undefined);

/** Rejects only when the program cannot be started; any exit, killed or not, resolves. */
export const spawnBounded = (file: string, args: readonly string[], options: BoundedSpawnOptions = {}): Promise<BoundedExit> =>
  new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      // Its own process group, so a kill reaches every process it started (only when there is a bound to enforce:
      // an unbounded child stays in ours, as plain spawn would have it).
      detached: bounded(options),
    });
    let exceeded: BoundExceeded | null = null;
    let output = 0;
    const kill = (why: BoundExceeded) => {
      if (exceeded) return;
      exceeded = why;
      try {
        if (child.pid === undefined) return;
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL'); // the group is gone already; the child itself may not be
      }
    };
    const total = options.timeoutMs ? setTimeout(() => kill('timeout'), options.timeoutMs) : undefined;
    let idle: NodeJS.Timeout | undefined;
    const active = () => {
      if (!options.idleMs) return;
      clearTimeout(idle);
      idle = setTimeout(() => kill('idle'), options.idleMs);
    };
    active();
    const received = (chunk: Buffer, to?: (chunk: Buffer) => void) => {
      output += chunk.length;
      if (options.maxOutputBytes !== undefined && output > options.maxOutputBytes) return kill('output');
      active();
      to?.(chunk);
    };
    child.stdout!.on('data', (c: Buffer) => received(c, options.onStdout));
    child.stderr!.on('data', (c: Buffer) => received(c, options.onStderr));
    if (child.stdin) {
      // A child that exits early closes stdin (EPIPE); its exit code and stderr tell why.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
    const done = () => {
      clearTimeout(total);
      clearTimeout(idle);
    };
    child.on('error', (e) => {
      done();
      reject(e);
    });
    child.on('close', (code, signal) => {
      done();
      resolve({ code, signal, exceeded });
    });
  });

/** "did not answer within 60 s" / "ran longer than 60 s" / "printed more than 64 MB": the end of a sentence. */
export const describeExceeded = (why: BoundExceeded, options: Pick<BoundedSpawnOptions, 'idleMs' | 'timeoutMs' | 'maxOutputBytes'>): string => {
  const seconds = (ms = 0) => `${Math.round(ms / 100) / 10} s`;
  if (why === 'idle') return `did not answer within ${seconds(options.idleMs)}`;
  if (why === 'timeout') return `did not finish within ${seconds(options.timeoutMs)}`;
  return `sent more than ${Math.round((options.maxOutputBytes ?? 0) / 1024 / 1024)} MB of output`;
};
