import { describe, expect, test } from '@jest/globals';
import { ConflictError } from '../../../src/domain/errors.js';
import { assignWaves, exceedsThreshold, rolloutAction } from '../../../src/domain/rollout.js';
import { rolloutPolicyProblems, windowsForSite } from '../../../src/domain/rollout-policy.js';

const moves = (names: string[]) => names.map((n, i) => ({ siteId: `id${i}`, siteName: n, fromPlatformId: 'p' }));
const wavesOf = (names: string[], policy: Parameters<typeof assignWaves>[1]) => assignWaves(moves(names), policy).map((w) => w.sites.map((s) => s.siteName));
const BOB = { kind: 'user', id: 'U0BOB' } as const;

describe('waves', () => {
  test('default: one wave of every site', () => {
    expect(wavesOf(['c', 'a', 'b'], {})).toEqual([['a', 'b', 'c']]);
    expect(assignWaves([], {})).toEqual([]);
  });

  test('named canaries first (in the order given), then counted canaries, then batches, by name', () => {
    expect(wavesOf(['e', 'd', 'c', 'b', 'a'], { canaries: 1, batchSize: 2 })).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
    expect(wavesOf(['e', 'd', 'c', 'b', 'a'], { canarySites: ['d', 'b', 'zz'], canaries: 1, batchSize: 3 })).toEqual([['d', 'b', 'a'], ['c', 'e']]);
    expect(assignWaves(moves(['b', 'a']), { canaries: 1 }).map((w) => w.canary)).toEqual([true, false]);
  });

  test('stable: any input order gives the same waves', () => {
    const names = Array.from({ length: 50 }, (_, i) => `s${String(i).padStart(2, '0')}.example.org`);
    const shuffled = [...names].sort(() => 0.5 - ((names.indexOf('x') + 7) % 3));
    expect(wavesOf(shuffled.reverse(), { canaries: 3, batchSize: 10 })).toEqual(wavesOf(names, { canaries: 3, batchSize: 10 }));
  });
});

describe('rollout state machine', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  test('allowed moves record who and when', () => {
    expect(rolloutAction({ state: 'running', number: 1 }, 'pause', BOB, now)).toEqual({ state: 'paused', pausedBy: BOB, pausedAt: now, reason: null });
    expect(rolloutAction({ state: 'paused', number: 1 }, 'resume', BOB, now)).toEqual({ state: 'running', resumedBy: BOB, resumedAt: now, reason: null, finishedAt: null });
    // A rollout whose last wave failed is resumed too (its failed sites are retried).
    expect(rolloutAction({ state: 'failed', number: 1 }, 'resume', BOB, now)).toEqual({ state: 'running', resumedBy: BOB, resumedAt: now, reason: null, finishedAt: null });
    expect(rolloutAction({ state: 'scheduled', number: 1 }, 'cancel', BOB, now)).toMatchObject({ state: 'cancelled', cancelledBy: BOB, cancelledAt: now, finishedAt: now });
  });

  test.each([
    ['done', 'pause'],
    ['paused', 'pause'],
    ['running', 'resume'],
    ['cancelled', 'cancel'],
    ['done', 'resume'],
  ] as const)('%s cannot %s: a ConflictError naming the state', (state, action) => {
    expect(() => rolloutAction({ state, number: 7 }, action, BOB, now)).toThrow(ConflictError);
    expect(() => rolloutAction({ state, number: 7 }, action, BOB, now)).toThrow(`Rollout 7 is ${state}`);
  });

  test('threshold: a fraction of the wave', () => {
    expect(exceedsThreshold({ failed: ['a'], total: 1 }, 0)).toBe(true);
    expect(exceedsThreshold({ failed: [], total: 3 }, 0)).toBe(false);
    expect(exceedsThreshold({ failed: ['a'], total: 4 }, 0.25)).toBe(false);
    expect(exceedsThreshold({ failed: ['a', 'b'], total: 4 }, 0.25)).toBe(true);
  });
});

describe('windows of a site', () => {
  test("a site's own windows replace the distribution's; a site named like an Object method gets the distribution's", () => {
    const policy = { windows: ['Mon 01:00-02:00 UTC'], siteWindows: { 'a.example.org': ['Sat 02:00-05:00 UTC'], 'b.example.org': [] } };
    expect(windowsForSite(policy, 'a.example.org').map((w) => w.text)).toEqual(['Sat 02:00-05:00 UTC']);
    expect(windowsForSite(policy, 'b.example.org')).toEqual([]);
    expect(windowsForSite(policy, 'constructor').map((w) => w.text)).toEqual(['Mon 01:00-02:00 UTC']);
    expect(windowsForSite(null, 'a.example.org')).toEqual([]);
  });
});

describe('rollout policy validation names each field', () => {
  test('a full valid policy has no problems', () => {
    expect(
      rolloutPolicyProblems({
        waves: { canaries: 2, canarySites: ['a.example.org'], batchSize: 10 },
        failureThreshold: 0.1,
        healthCheck: { http: { url: 'https://{site}/user/login', expectStatus: 200, bodyContains: 'Log in', timeoutMs: 5000, retries: 2 }, command: true },
        windows: ['Tue,Thu 01:00-04:00 Europe/Amsterdam'],
      }),
    ).toEqual([]);
    expect(rolloutPolicyProblems(undefined)).toEqual([]);
    expect(rolloutPolicyProblems(null)).toEqual([]);
  });

  test('bad values', () => {
    expect(
      rolloutPolicyProblems({
        waves: { batchSize: -1, canaries: 1.5, canarySites: ['Not A Site'], size: 3 },
        failureThreshold: 2,
        healthCheck: { http: { url: 'ftp://{site}/', expectStatus: 999, timeoutMs: 10, retries: 99, bodyContains: '' }, command: 'rm -rf /' },
        windows: ['Tue 01:00-04:00 Nowhere/Town'],
        paused: true,
      }),
    ).toEqual([
      'policy.rollout.paused: unknown setting (known: waves, failureThreshold, healthCheck, windows, siteWindows, bakeMinutes)',
      'policy.rollout.waves.size: unknown setting (known: canaries, canarySites, batchSize)',
      'policy.rollout.waves.canaries: a whole number from 0 to 10000',
      'policy.rollout.waves.batchSize: a whole number from 0 to 10000',
      'policy.rollout.waves.canarySites.0: a site name',
      'policy.rollout.healthCheck.command: true or false (the command is HEALTH_CHECK_COMMAND)',
      'policy.rollout.healthCheck.http.url: an http:// or https:// URL',
      'policy.rollout.healthCheck.http.expectStatus: a whole number from 100 to 599',
      'policy.rollout.healthCheck.http.timeoutMs: a whole number from 100 to 60000',
      'policy.rollout.healthCheck.http.retries: a whole number from 0 to 10',
      'policy.rollout.healthCheck.http.bodyContains: text of 1 to 2048 characters',
      "policy.rollout.failureThreshold: a number from 0 to 1 (a fraction of a wave's sites)",
      'policy.rollout.windows.0: "Nowhere/Town" is not a time zone (an IANA name like Europe/Amsterdam, or UTC)',
    ]);
    expect(rolloutPolicyProblems({ healthCheck: { http: { url: 'https://{host}/' } } })).toEqual(['policy.rollout.healthCheck.http.url: the only placeholder is {site}']);
    expect(rolloutPolicyProblems({ healthCheck: { http: { url: 'https://user:pw@{site}/' } } })).toEqual(['policy.rollout.healthCheck.http.url: no credentials in the URL']);
    expect(rolloutPolicyProblems('fast')).toEqual(['policy.rollout: an object with waves, failureThreshold, healthCheck, windows, siteWindows, bakeMinutes']);
    expect(rolloutPolicyProblems({ siteWindows: { 'a.example.org': ['Sat 02:00-05:00 UTC'], 'b.example.org': [] } })).toEqual([]);
    expect(rolloutPolicyProblems(JSON.parse('{"siteWindows":{"__proto__":["Sat 02:00-05:00 UTC"],"a.example.org":["Sat 2-5"]}}'))).toEqual([
      'policy.rollout.siteWindows.__proto__: not a site name',
      'policy.rollout.siteWindows.a.example.org.0: three parts, days, times and time zone, like "Tue,Thu 01:00-04:00 Europe/Amsterdam"',
    ]);
  });
});
