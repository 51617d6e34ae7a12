// Jest global teardown: stops the MongoDB-wire stand-in that global setup started, then fails the run if any process
// a test started is still running (after killing it), so a timed-out test cannot leave servers behind unnoticed.
import { endRun, survivingChildren } from './child-processes.mjs';

/** Children SIGKILLed in a test's last moments may still be on their way out; they get this long. */
const EXIT_GRACE_MS = 5_000;

export default async () => {
  await globalThis.distroWireServer?.stop();
  const deadline = Date.now() + EXIT_GRACE_MS;
  let left = survivingChildren();
  while (left.size > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = survivingChildren();
  }
  endRun();
  if (left.size === 0) return;
  for (const pid of left.keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  const list = [...left].map(([pid, what]) => `  ${pid} ${what}`).join('\n');
  throw new Error(`${left.size} process(es) started by tests were still running after the run (now killed):\n${list}`);
};
