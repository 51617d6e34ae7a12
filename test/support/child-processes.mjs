// Every process a test starts is tracked here, so none outlives the run: the helpers that spawn (app-process.ts,
// distro-process.ts, mongo-wire-server.mjs, the crash worker) call trackChild and put childEnv() in the child's
// environment, which its own children inherit. Jest's global teardown (survivingChildren) finds whatever is still
// running with this run's mark, kills it and fails the run. Plain JS: global setup and teardown load it too.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Set by global setup, inherited by the test workers: this run's id and the folder of tracked PIDs. */
export const RUN_VARIABLE = 'DISTRO_TEST_RUN';
export const PIDS_VARIABLE = 'DISTRO_TEST_PIDS_DIR';
/** In the environment of every tracked child (and so of its descendants): `DISTRO_TEST_CHILD=<run id>`. */
export const CHILD_MARK = 'DISTRO_TEST_CHILD';

/** For global setup: a fresh run id and PID folder, published to the workers through the environment. */
export const beginRun = () => {
  process.env[RUN_VARIABLE] = `${process.pid}-${Date.now()}`;
  process.env[PIDS_VARIABLE] = mkdtempSync(join(tmpdir(), 'distro-test-pids-'));
};

/** Environment entries that mark a child as started by this test run. */
export const childEnv = () => (process.env[RUN_VARIABLE] ? { [CHILD_MARK]: process.env[RUN_VARIABLE] } : {});

/** The kernel's start time of `pid` (clock ticks since boot), so a reused PID is not mistaken for ours; null without /proc. */
const startTimeOf = (pid) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
};

const live = new Set();

/** Records `child` until it exits; returns it. */
export const trackChild = (child, label) => {
  const dir = process.env[PIDS_VARIABLE];
  const file = dir && child.pid ? join(dir, String(child.pid)) : undefined;
  if (file) writeFileSync(file, JSON.stringify({ label, startTime: startTimeOf(child.pid) }));
  live.add(child);
  child.once('exit', () => {
    live.delete(child);
    if (file) rmSync(file, { force: true });
  });
  return child;
};

// A worker that exits with children still running (a test that timed out before its cleanup) takes them along.
process.once('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const commandOf = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 200);
  } catch {
    return '?';
  }
};

/** Processes of this run still running: tracked PIDs, and (where /proc exists) anything carrying the run's mark. */
export const survivingChildren = () => {
  const run = process.env[RUN_VARIABLE];
  const dir = process.env[PIDS_VARIABLE];
  const found = new Map();
  if (dir) {
    for (const name of readdirSync(dir)) {
      const pid = Number(name);
      let record = {};
      try {
        record = JSON.parse(readFileSync(join(dir, name), 'utf8'));
      } catch {
        // written while we read; the PID alone still counts
      }
      if (alive(pid) && (record.startTime == null || record.startTime === startTimeOf(pid))) found.set(pid, `${record.label ?? 'tracked'}: ${commandOf(pid)}`);
    }
  }
  if (run) {
    let pids = [];
    try {
      pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
    } catch {
      // no /proc (not Linux): the tracked PIDs above are what we know
    }
    for (const name of pids) {
      try {
        if (readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(`${CHILD_MARK}=${run}`)) {
          found.set(Number(name), found.get(Number(name)) ?? `descendant: ${commandOf(name)}`);
        }
      } catch {
        // exited meanwhile, or not ours to read
      }
    }
  }
  return found;
};

/** For global teardown: forgets the PID folder. */
export const endRun = () => {
  const dir = process.env[PIDS_VARIABLE];
  if (dir) rmSync(dir, { recursive: true, force: true });
};
