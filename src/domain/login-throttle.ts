/**
 * Sign-in throttling rules, pure so every store applies them the same way. An attempt is counted (reserved)
 * BEFORE its password is checked, atomically against every rule, so concurrent guesses cannot all slip in
 * under the limit. Two kinds of rule:
 * - `lock`: after `limit` attempts within `windowMs`, the key waits until the window ends (per user name + address,
 *   per address): an attacker locks out only their own address.
 * - `delay`: after `limit` attempts, each further attempt must wait a delay doubling from `baseMs` up to `maxMs`
 *   since the previous one (per account, across addresses): guessing slows to a crawl, while the real user waits
 *   at most `maxMs`, so nobody can lock a user out with a few requests.
 */
export interface ThrottleRule {
  key: string;
  limit: number;
  windowMs: number;
  delay?: { baseMs: number; maxMs: number };
}

export interface ThrottleState {
  count: number;
  windowStart: number;
  /** Earliest next attempt (delay rules), epoch ms; 0 for none. */
  nextAt: number;
}

/** The state after one more attempt, or how long (ms, > 0) the key must wait. */
export const throttleAttempt = (
  current: ThrottleState | null,
  rule: ThrottleRule,
  now: number,
): { state: ThrottleState; waitMs: 0 } | { state: null; waitMs: number } => {
  const s = current && now < current.windowStart + rule.windowMs ? current : { count: 0, windowStart: now, nextAt: 0 };
  if (rule.delay) {
    if (s.count >= rule.limit && now < s.nextAt) return { state: null, waitMs: s.nextAt - now };
    const count = s.count + 1;
    const over = count - rule.limit;
    const nextAt = over >= 0 ? now + Math.min(rule.delay.baseMs * 2 ** Math.min(over, 30), rule.delay.maxMs) : 0;
    return { state: { count, windowStart: s.windowStart, nextAt }, waitMs: 0 };
  }
  if (s.count >= rule.limit) return { state: null, waitMs: s.windowStart + rule.windowMs - now };
  return { state: { count: s.count + 1, windowStart: s.windowStart, nextAt: 0 }, waitMs: 0 };
};

const MINUTE = 60_000;
export const THROTTLE_WINDOW_MS = 15 * MINUTE;

/** The rules of one sign-in attempt: user name from one address, the address, and the account across addresses. */
export const signInRules = (user: string, address: string): ThrottleRule[] => [
  { key: `pair\n${user}\n${address}`, limit: 5, windowMs: THROTTLE_WINDOW_MS },
  { key: `address\n${address}`, limit: 30, windowMs: THROTTLE_WINDOW_MS },
  { key: `account\n${user}`, limit: 5, windowMs: THROTTLE_WINDOW_MS, delay: { baseMs: 1_000, maxMs: 30_000 } },
];
