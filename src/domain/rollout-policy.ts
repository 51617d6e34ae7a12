/**
 * A distribution's rollout policy (`policy.rollout`): how Confirm's sites are split into waves, how many failures a
 * wave may have, the health check after each migration, and the weekly maintenance windows migrations start in.
 * Validated here for every surface; each problem names its field (`policy.rollout.waves.batchSize: …`).
 */
import { MAX_TEXT_CHARS, MAX_URL_CHARS } from './field-limits.js';
import { formatIn, formatInZone, isInWindow, nextOpening, parseWindows, type MaintenanceWindow } from './maintenance-window.js';
import { assignWaves, type Wave, type WavePolicy } from './rollout.js';
import type { PlannedMove } from './upgrade-plan.js';
import { SITE_NAME_PATTERN } from './site.js';

export interface HttpProbePolicy {
  /** URL template; `{site}` is replaced by the site's name, e.g. `https://{site}/`. */
  url: string;
  /** Expected HTTP status (default 200). */
  expectStatus?: number;
  /** Text the body must contain (first 64 KB). */
  bodyContains?: string;
  /** Per attempt (default 10 s). */
  timeoutMs?: number;
  /** Attempts after the first (default 2), a second apart. */
  retries?: number;
}

export interface HealthCheckPolicy {
  http?: HttpProbePolicy;
  /** Also run the operator's HEALTH_CHECK_COMMAND template (environment, trusted) for the site. */
  command?: boolean;
}

export interface RolloutPolicy {
  waves?: WavePolicy;
  /** Fraction (0–1) of a wave's sites that may fail before the rollout pauses (default 0: any failure pauses). */
  failureThreshold?: number;
  healthCheck?: HealthCheckPolicy;
  /** Weekly windows, e.g. `Tue,Thu 01:00-04:00 Europe/Amsterdam`; none: any time. */
  windows?: string[];
  /** Windows of single sites (by name), replacing `windows` for them; `[]` lets a site move at any time. */
  siteWindows?: Record<string, string[]>;
  /** Minutes to wait after a wave finished healthy before the next one starts (a timed pause, like Argo's); default 0. */
  bakeMinutes?: number;
}

/** At most a week of bake time between two waves. */
export const MAX_BAKE_MINUTES = 7 * 24 * 60;

export const MAX_SITE_WINDOW_ENTRIES = 500;

/** The windows a site's migrations start in: its own when it has an entry, else the distribution's. */
export const windowsForSite = (policy: RolloutPolicy | null | undefined, site: string): MaintenanceWindow[] => {
  const own = policy?.siteWindows && Object.hasOwn(policy.siteWindows, site) ? policy.siteWindows[site] : undefined;
  return parseWindows(own ?? policy?.windows ?? [], 'windows').windows;
};

export const MAX_CANARY_SITES = 50;
export const MAX_PROBE_TIMEOUT_MS = 60_000;
export const MAX_PROBE_RETRIES = 10;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

const unknownKeys = (o: Record<string, unknown>, allowed: readonly string[], field: string): string[] =>
  Object.keys(o)
    .filter((k) => !allowed.includes(k))
    .map((k) => `${field}.${k.slice(0, 50)}: unknown setting (known: ${allowed.join(', ')})`);

const wholeNumber = (v: unknown, field: string, min: number, max: number): string[] =>
  v === undefined || (Number.isInteger(v) && (v as number) >= min && (v as number) <= max) ? [] : [`${field}: a whole number from ${min} to ${max}`];

/** `https://{site}/…` or `http://…`: the only placeholder is `{site}`, which must be in the host or path. */
const probeUrlProblems = (url: unknown, field: string): string[] => {
  if (typeof url !== 'string' || !url) return [`${field}: required, a URL template like https://{site}/`];
  if (url.length > MAX_URL_CHARS) return [`${field}: at most ${MAX_URL_CHARS} characters`];
  const sample = url.split('{site}').join('site.example.org');
  if (sample.includes('{') || sample.includes('}')) return [`${field}: the only placeholder is {site}`];
  try {
    const parsed = new URL(sample);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return [`${field}: an http:// or https:// URL`];
    if (parsed.username || parsed.password) return [`${field}: no credentials in the URL`];
  } catch {
    return [`${field}: not a URL (with {site} for the site's name)`];
  }
  return [];
};

const wavesProblems = (w: unknown, field: string): string[] => {
  if (w === undefined) return [];
  if (!isObject(w)) return [`${field}: an object with canaries, canarySites, batchSize`];
  const problems = unknownKeys(w, ['canaries', 'canarySites', 'batchSize'], field);
  problems.push(...wholeNumber(w.canaries, `${field}.canaries`, 0, 10_000), ...wholeNumber(w.batchSize, `${field}.batchSize`, 0, 10_000));
  if (w.canarySites !== undefined) {
    const sites = w.canarySites;
    if (!Array.isArray(sites) || sites.length > MAX_CANARY_SITES) problems.push(`${field}.canarySites: a list of at most ${MAX_CANARY_SITES} site names`);
    else sites.forEach((s, i) => typeof s === 'string' && s.length <= 253 && SITE_NAME_PATTERN.test(s) ? null : problems.push(`${field}.canarySites.${i}: a site name`));
  }
  return problems;
};

const healthProblems = (h: unknown, field: string): string[] => {
  if (h === undefined) return [];
  if (!isObject(h)) return [`${field}: an object with http and/or command`];
  const problems = unknownKeys(h, ['http', 'command'], field);
  if (h.command !== undefined && typeof h.command !== 'boolean') problems.push(`${field}.command: true or false (the command is HEALTH_CHECK_COMMAND)`);
  if (h.http !== undefined) {
    const p = h.http;
    const at = `${field}.http`;
    if (!isObject(p)) return [...problems, `${at}: an object with url, expectStatus, bodyContains, timeoutMs, retries`];
    problems.push(...unknownKeys(p, ['url', 'expectStatus', 'bodyContains', 'timeoutMs', 'retries'], at));
    problems.push(...probeUrlProblems(p.url, `${at}.url`));
    problems.push(...wholeNumber(p.expectStatus, `${at}.expectStatus`, 100, 599));
    problems.push(...wholeNumber(p.timeoutMs, `${at}.timeoutMs`, 100, MAX_PROBE_TIMEOUT_MS));
    problems.push(...wholeNumber(p.retries, `${at}.retries`, 0, MAX_PROBE_RETRIES));
    if (p.bodyContains !== undefined && (typeof p.bodyContains !== 'string' || !p.bodyContains || p.bodyContains.length > MAX_TEXT_CHARS)) {
      problems.push(`${at}.bodyContains: text of 1 to ${MAX_TEXT_CHARS} characters`);
    }
  }
  return problems;
};

const siteWindowProblems = (s: unknown, field: string): string[] => {
  if (!isObject(s)) return [`${field}: an object of site name → list of windows`];
  const names = Object.keys(s);
  if (names.length > MAX_SITE_WINDOW_ENTRIES) return [`${field}: at most ${MAX_SITE_WINDOW_ENTRIES} sites`];
  return names.flatMap((name) =>
    name.length <= 253 && SITE_NAME_PATTERN.test(name) ? parseWindows(s[name], `${field}.${name}`).problems : [`${field}.${name.slice(0, 60)}: not a site name`],
  );
};

const ROLLOUT_POLICY_KEYS = ['waves', 'failureThreshold', 'healthCheck', 'windows', 'siteWindows', 'bakeMinutes'] as const;

/** Problems of a `policy.rollout` value, each naming its field; [] when valid (or absent). */
export const rolloutPolicyProblems = (r: unknown, field = 'policy.rollout'): string[] => {
  if (r === undefined || r === null) return [];
  if (!isObject(r)) return [`${field}: an object with ${ROLLOUT_POLICY_KEYS.join(', ')}`];
  const problems = unknownKeys(r, ROLLOUT_POLICY_KEYS, field);
  problems.push(...wholeNumber(r.bakeMinutes, `${field}.bakeMinutes`, 0, MAX_BAKE_MINUTES));
  problems.push(...wavesProblems(r.waves, `${field}.waves`), ...healthProblems(r.healthCheck, `${field}.healthCheck`));
  const t = r.failureThreshold;
  if (t !== undefined && (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > 1)) problems.push(`${field}.failureThreshold: a number from 0 to 1 (a fraction of a wave's sites)`);
  if (r.windows !== undefined) problems.push(...parseWindows(r.windows, `${field}.windows`).problems);
  if (r.siteWindows !== undefined) problems.push(...siteWindowProblems(r.siteWindows, `${field}.siteWindows`));
  return problems;
};

const names = (sites: readonly { siteName: string }[], shown = 3): string =>
  sites.length <= shown ? sites.map((s) => s.siteName).join(', ') : `${sites.slice(0, shown).map((s) => s.siteName).join(', ')} and ${sites.length - shown} more`;

const sitesWord = (n: number): string => `${n.toLocaleString('en-US')} site${n === 1 ? '' : 's'}`;

/**
 * The waves in words: "canary: alumni; then 3 batches of 4", "2 batches of 4 and 1 of 3", "one wave of 12 sites",
 * with the bake time between waves when there is one.
 */
export const describeWavePlan = (waves: readonly Wave[], bakeMinutes = 0): string => {
  if (!waves.length) return 'no sites to move';
  const parts: string[] = [];
  const canary = waves[0]!.canary ? waves[0]! : null;
  if (canary) parts.push(`canary: ${names(canary.sites)}`);
  const batches = waves.filter((w) => !w.canary);
  if (batches.length === 1 && !canary) parts.push(`one wave of ${sitesWord(batches[0]!.sites.length)}`);
  else if (batches.length) {
    // Runs of equal-sized batches in order: "3 batches of 4 and 1 of 3".
    const runs: { size: number; count: number }[] = [];
    for (const w of batches) {
      const last = runs[runs.length - 1];
      if (last && last.size === w.sites.length) last.count++;
      else runs.push({ size: w.sites.length, count: 1 });
    }
    const text = runs.map((r, i) => (i === 0 ? `${r.count} ${r.count === 1 ? 'batch' : 'batches'} of ${r.size}` : `${r.count} of ${r.size}`)).join(' and ');
    parts.push(canary ? `then ${text}` : text);
  }
  if (bakeMinutes > 0 && waves.length > 1) parts.push(`${bakeMinutes} min bake between waves`);
  return parts.join('; ');
};

/**
 * When the next migration may start, in words: "any time (no maintenance window)", "window open now (…)", or
 * "next window Tue 01:00 Europe/Amsterdam, in 7 h".
 */
export const describeNextWindow = (windows: readonly MaintenanceWindow[], now: Date): string => {
  if (!windows.length) return 'any time (no maintenance window)';
  const open = windows.find((w) => isInWindow(w, now));
  if (open) return `window open now (${open.text})`;
  const at = nextOpening(windows, now);
  const w = windows.find((x) => nextOpening([x], now).getTime() === at.getTime()) ?? windows[0]!;
  return `next window ${formatInZone(at, w.timeZone)}, ${formatIn(at, now)}`;
};

/** What Confirm would do, shown before it (upgrade page, Slack summary). */
export interface RolloutPreview {
  waves: Wave[];
  /** "canary: alumni; then 3 batches of 4; next window Tue 01:00 Europe/Amsterdam, in 7 h". */
  text: string;
}

/**
 * The wave plan and the next window of a rollout of `moves` under `policy`, as Confirm would make it now. A
 * security rollout of a distribution that skips windows says so instead of a window.
 */
export const previewRollout = (
  policy: RolloutPolicy | null | undefined,
  moves: readonly PlannedMove[],
  now: Date,
  options: { skipWindows?: boolean } = {},
): RolloutPreview => {
  const waves = assignWaves(moves, policy?.waves ?? {});
  const windows = parseWindows(policy?.windows ?? [], 'windows').windows;
  const own = Object.keys(policy?.siteWindows ?? {}).filter((n) => moves.some((m) => m.siteName === n)).length;
  const when = options.skipWindows
    ? 'security rollout: starts outside maintenance windows'
    : describeNextWindow(windows, now) + (own ? ` (${sitesWord(own)} with ${own === 1 ? 'its' : 'their'} own windows)` : '');
  const threshold = policy?.failureThreshold ? `; pauses when more than ${Math.round(policy.failureThreshold * 100)}% of a wave fails` : '';
  return { waves, text: `${describeWavePlan(waves, policy?.bakeMinutes ?? 0)}; ${when}${threshold}` };
};
