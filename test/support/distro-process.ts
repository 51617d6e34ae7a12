import { spawn, type ChildProcess } from 'node:child_process';
import { childEnv, trackChild } from './child-processes.mjs';
import { waitFor } from './wait.js';

export interface DistroProcess {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

/**
 * The real process with only PATH, HOME and `env` in its environment: `npm start`, as an operator runs it,
 * src/main.ts through tsx for the quicker checks, or a bundle made by bundleApp (app-process.ts), which starts in a
 * fraction of tsx's time on a busy machine (tsx compiles every module at each start).
 */
export const startDistroProcess = (env: Record<string, string>, how: 'npm start' | 'tsx' | { bundle: string } = 'tsx'): DistroProcess => {
  const [command, args] =
    how === 'npm start' ? ['npm', ['start']] : how === 'tsx' ? [process.execPath, ['--import', 'tsx', 'src/main.ts']] : [process.execPath, [how.bundle]];
  const child = spawn(command, args, {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', npm_config_update_notifier: 'false', ...env, ...childEnv() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child, typeof how === 'string' ? how : how.bundle);
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout!.on('data', (d: Buffer) => stdout.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout, stderr, exited };
};

/** Waits until the process answers /healthz on `base`; fails with its stderr if it exits first, killing it if it hangs. */
export const untilUp = async (r: DistroProcess, base: string): Promise<void> => {
  try {
    await waitFor(async () => {
      if (r.child.exitCode !== null || r.child.signalCode !== null) throw new Error(`exited: ${r.stderr.join('')}`);
      return fetch(`${base}/healthz`).then((res) => res.ok, () => false);
    }, 'the server to answer /healthz', 60_000);
  } catch (error) {
    r.child.kill('SIGKILL');
    throw error;
  }
};

/** The JSON log lines the process printed. */
export const logLines = (r: DistroProcess): Array<Record<string, unknown>> =>
  r.stdout
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
