/** The real process (src/main.ts through tsx) as a child, with its output kept, for process-level tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { waitFor } from './wait.js';

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });

export interface Running {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

/** Starts `src/main.ts` with only PATH, HOME and `env`. */
export const startProcess = (env: Record<string, string>): Running => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout!.on('data', (d: Buffer) => stdout.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout, stderr, exited };
};

/** Waits until the process answers /healthz on `base`; fails with its stderr if it exits first. */
export const untilUp = (r: Running, base: string): Promise<void> =>
  waitFor(async () => {
    if (r.child.exitCode !== null || r.child.signalCode !== null) throw new Error(`exited: ${r.stderr.join('')}`);
    return fetch(`${base}/healthz`).then((res) => res.ok, () => false);
  }, 'the server to answer /healthz', 60_000);

export const logLines = (r: Running): Array<Record<string, unknown>> =>
  r.stdout
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
