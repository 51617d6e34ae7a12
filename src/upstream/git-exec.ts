/**
 * Runs git without a shell. Options that keep git from ever waiting for a human: credential prompts get an
 * empty answer (core.askPass=true) and ssh runs in batch mode, so a bad credential fails fast instead of hanging.
 */
import { execFile } from 'node:child_process';

export interface GitResult {
  stdout: string;
  stderr: string;
}

export class GitCommandError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
    /** True when git was killed by our timeout. */
    readonly timedOut: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GitCommandError';
  }
}

const NO_PROMPT = ['-c', 'core.askPass=true', '-c', 'core.sshCommand=ssh -o BatchMode=yes'];

export const runGit = (
  args: string[],
  options: { cwd?: string; timeoutMs?: number; maxBuffer?: number; /** Added to the parent's environment. */ env?: Record<string, string> } = {},
): Promise<GitResult> =>
  new Promise((resolvePromise, reject) => {
    execFile(
      'git',
      [...NO_PROMPT, ...args],
      { cwd: options.cwd, ...(options.env ? { env: { ...process.env, ...options.env } } : {}), timeout: options.timeoutMs ?? 60_000, maxBuffer: options.maxBuffer ?? 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const timedOut = (error as NodeJS.ErrnoException & { killed?: boolean }).killed === true;
          const detail = stderr.trim() || error.message;
          reject(new GitCommandError(`git ${args[0]} failed: ${detail}`, stderr, timedOut, { cause: error }));
          return;
        }
        resolvePromise({ stdout, stderr });
      },
    );
  });
