/**
 * The real app (src/main.ts) in a child process, for kill -9 tests: bundled once with esbuild (its npm packages
 * stay external, loaded from node_modules as in production) because loading TypeScript through tsx in every
 * restart costs seconds on a busy machine. Start, wait for /healthz, call the HTTP API, kill, restart.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { childEnv, trackChild } from './child-processes.mjs';
import { waitFor } from './wait.js';

/** Bundles src/main.ts into the (git-ignored) test-results folder; node resolves its packages from node_modules. */
export const bundleApp = (name: string): string => {
  const dir = join(process.cwd(), 'test-results', 'bundles');
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, `${name}-${process.pid}.mjs`);
  const built = spawnSync(
    join(process.cwd(), 'node_modules', '.bin', 'esbuild'),
    ['src/main.ts', '--bundle', '--platform=node', '--format=esm', '--packages=external', `--outfile=${outfile}`, '--log-level=warning'],
    { encoding: 'utf8' },
  );
  if (built.status !== 0) throw new Error(`esbuild failed: ${built.stderr}`);
  return outfile;
};

import { freePort } from './free-port.js';

export { freePort };

export interface AppProcess {
  child: ChildProcess;
  base: string;
  output: string[];
  /** Resolves with the signal that ended the process (null for a normal exit). */
  exited: Promise<NodeJS.Signals | null>;
  gone: boolean;
}

/** The admin bearer token of the app under test (scripts use the token; the same-origin rules are for browsers). */
const ADMIN_TOKEN = 'crash-suite-admin-token';

export const startApp = (bundle: string, port: number, env: Record<string, string>): AppProcess => {
  const child = spawn(process.execPath, [bundle], {
    cwd: process.cwd(),
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      ADMIN_TOKEN,
      // The suite's upstream is a git repository on disk.
      ALLOW_LOCAL_UPSTREAMS: 'true',
      // GitHub is unreachable here; the advisory feed has its own tests.
      ADVISORY_FEED_URL: 'off',
      ...env,
      ...childEnv(),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child, `app ${bundle}`);
  const app: AppProcess = {
    child,
    base: `http://127.0.0.1:${port}`,
    output: [],
    exited: new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal))),
    gone: false,
  };
  child.stdout!.on('data', (d: Buffer) => app.output.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => app.output.push(d.toString()));
  void app.exited.then(() => (app.gone = true));
  return app;
};

/** Waits until the app answers /healthz; if it never does, it is killed (no test leaves a half-started app). */
export const untilReady = async (app: AppProcess, boundMs = 60_000): Promise<void> => {
  try {
    await waitFor(async () => {
      if (app.gone) throw new Error(`the app exited before answering /healthz:\n${app.output.join('').slice(-2000)}`);
      return fetch(`${app.base}/healthz`).then((r) => r.ok, () => false);
    }, 'the app to answer /healthz', boundMs);
  } catch (error) {
    app.child.kill('SIGKILL');
    throw error;
  }
};

export interface ApiResult {
  status: number;
  body: unknown;
}

/** One API call; a connection cut by a kill gives status 0. */
export const api = async (app: AppProcess, method: string, path: string, body?: unknown): Promise<ApiResult> => {
  try {
    const res = await fetch(`${app.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
  } catch {
    return { status: 0, body: null };
  }
};

/** Stops the app with SIGTERM (drain) and waits for it. */
export const stopApp = async (app: AppProcess): Promise<void> => {
  if (app.gone) return;
  app.child.kill('SIGTERM');
  await app.exited;
};

/** How the app exited (the signal), or 'timeout' when it was still running after `boundMs`. */
export const exitSignal = async (app: AppProcess, boundMs: number): Promise<NodeJS.Signals | null | 'timeout'> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([app.exited, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), boundMs)))]);
  } finally {
    clearTimeout(timer);
  }
};

/** Starts the bundled app on a free port, tracks it in `running` until it exits, and waits until it answers. */
export const launchApp = async (bundle: string, env: Record<string, string>, running: Set<AppProcess>): Promise<AppProcess> => {
  const app = startApp(bundle, await freePort(), env);
  running.add(app);
  void app.exited.then(() => running.delete(app));
  await untilReady(app);
  return app;
};

/** An API call that must succeed (2xx): its JSON body, or an error naming the call and the answer. */
export const mustApi = async <T = Record<string, unknown>>(app: AppProcess, method: string, path: string, body?: unknown): Promise<T> => {
  const res = await api(app, method, path, body);
  if (res.status < 200 || res.status > 299) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as T;
};

/** Waits until the platform is built (ready or locked); a failed build throws. */
export const platformBuilt = (app: AppProcess, name: string): Promise<void> =>
  waitFor(async () => {
    const res = await api(app, 'GET', `/api/platforms/${name}`);
    const status = (res.body as { status?: string } | null)?.status;
    if (status === 'failed') throw new Error(`${name} failed to build`);
    return res.status === 200 && status !== 'queued' && status !== 'building';
  }, `${name} to be built`, 120_000);

/** Creates the `social` distribution tracking `url`'s 12.* tags (auto-target on, polled on demand) and polls it. */
export const createSocialAndPoll = async (app: AppProcess, url: string): Promise<void> => {
  await mustApi(app, 'POST', '/api/distributions', {
    slug: 'social',
    title: 'Open Social',
    upstream: { kind: 'git', url, tagPattern: '12.*', manifestPath: 'composer.lock' },
    policy: { pollIntervalMinutes: 0, autoTarget: true },
  });
  await mustApi(app, 'POST', '/api/distributions/social/poll');
};
