/**
 * Runs git without a shell. Options that keep git from ever waiting for a human: credential prompts get an
 * empty answer (core.askPass=true) and ssh runs in batch mode, so a bad credential fails fast instead of hanging.
 * Every run is bounded in time and output (src/lib/spawn-bounded.ts): a dead or hostile upstream cannot hold it.
 */
import { describeExceeded, spawnBounded, type BoundExceeded, type BoundedSpawnOptions } from '../lib/spawn-bounded.js';

export interface GitResult {
  stdout: string;
  stderr: string;
}

export class GitCommandError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
    /** Set when git was killed by its bounds: how it exceeded them ("did not answer within 60 s"). */
    readonly exceeded: string | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GitCommandError';
  }

  /** True when git was killed by our bounds. */
  get timedOut(): boolean {
    return this.exceeded !== null;
  }
}

const NO_PROMPT = ['-c', 'core.askPass=true', '-c', 'core.sshCommand=ssh -o BatchMode=yes'];

export type GitRunOptions = Pick<BoundedSpawnOptions, 'idleMs' | 'timeoutMs' | 'maxOutputBytes'> & {
  cwd?: string;
  /** Added to the parent's environment. */
  env?: Record<string, string>;
};

/** Without bounds of its own, a git run gets one minute and 64 MB of output. */
const DEFAULT_BOUNDS = { timeoutMs: 60_000, maxOutputBytes: 64 * 1024 * 1024 };
/** Kept of stderr for messages (the rest is dropped). */
const MAX_STDERR = 64 * 1024;

export const runGit = async (args: string[], options: GitRunOptions = {}): Promise<GitResult> => {
  const bounds = {
    ...DEFAULT_BOUNDS,
    ...(options.idleMs !== undefined ? { idleMs: options.idleMs } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.maxOutputBytes !== undefined ? { maxOutputBytes: options.maxOutputBytes } : {}),
  };
  const out: Buffer[] = [];
  let stderr = '';
  const exit = await spawnBounded('git', [...NO_PROMPT, ...args], {
    ...bounds,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: { ...process.env, ...options.env },
    onStdout: (c) => out.push(c),
    onStderr: (c) => {
      if (stderr.length < MAX_STDERR) stderr += c.toString('utf8');
    },
  }).catch((error: Error) => {
    throw new GitCommandError(`git ${args[0]} failed: ${error.message}`, '', null, { cause: error });
  });
  if (exit.exceeded) {
    const how = describeExceeded(exit.exceeded as BoundExceeded, bounds);
    throw new GitCommandError(`git ${args[0]} ${how}`, stderr, how);
  }
  if (exit.code !== 0) {
    const detail = stderr.trim() || (exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`);
    throw new GitCommandError(`git ${args[0]} failed: ${detail}`, stderr, null);
  }
  return { stdout: Buffer.concat(out).toString('utf8'), stderr };
};

/** GIT_TIMEOUT_SECONDS's default. */
export const DEFAULT_GIT_TIMEOUT_MS = 60_000;
/** A transfer that keeps trickling is still ended after this many times GIT_TIMEOUT_SECONDS in all. */
const TOTAL_TIME_FACTOR = 30;

/**
 * The bounds of a git run that talks to an upstream (GIT_TIMEOUT_SECONDS as `timeoutMs`): silence for that long
 * ends it ("did not answer within 60 s"), and so does 30 times that in all, however slowly bytes keep coming.
 */
export const upstreamGitBounds = (timeoutMs = DEFAULT_GIT_TIMEOUT_MS) => ({
  idleMs: timeoutMs,
  timeoutMs: timeoutMs * TOTAL_TIME_FACTOR,
  maxOutputBytes: DEFAULT_BOUNDS.maxOutputBytes,
});
