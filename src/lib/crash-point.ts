/**
 * Test-only kill switch for the crash suite (test/crash): when armed with a point name (DISTRO_TEST_CRASH_AT, or
 * a file named by DISTRO_TEST_CRASH_FILE holding one), the process SIGKILLs itself on reaching that point, so a
 * migration can be cut at an exact step boundary. Unarmed (always in production: config refuses it) it does nothing.
 */
import { readFileSync } from 'node:fs';

let armed: { point: string | null; file: string | null } = { point: null, file: null };

export const armCrashPoints = (options: { point: string | null; file: string | null }): void => {
  armed = { ...options };
};

const wanted = (): string | null => {
  if (armed.point) return armed.point;
  if (!armed.file) return null;
  try {
    return readFileSync(armed.file, 'utf8').trim() || null;
  } catch {
    return null;
  }
};

/** `scope` (a site name) lets a test cut one site's migration: the point `moveSite:after@a.example.org`. */
export const crashPoint = (name: string, scope?: string): void => {
  if (!armed.point && !armed.file) return;
  const point = wanted();
  if (point === name || (scope !== undefined && point === `${name}@${scope}`)) process.kill(process.pid, 'SIGKILL');
};
