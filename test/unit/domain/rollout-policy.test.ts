import { describe, expect, test } from '@jest/globals';
import { formatIn, formatInZone, nextOpenings, parseWindow, type MaintenanceWindow } from '../../../src/domain/maintenance-window.js';
import { policyChanges } from '../../../src/domain/policy-changes.js';
import { matureAt, releaseAgeProblems } from '../../../src/domain/release-age.js';
import { assignWaves, isBaking, replanPendingWaves, type Wave } from '../../../src/domain/rollout.js';
import { describeNextWindow, describeWavePlan, previewRollout, rolloutPolicyProblems } from '../../../src/domain/rollout-policy.js';

const win = (text: string): MaintenanceWindow => {
  const w = parseWindow(text);
  if (typeof w === 'string') throw new Error(w);
  return w;
};
const moves = (names: string[]) => names.map((n, i) => ({ siteId: `id${i}`, siteName: n, fromPlatformId: 'p' }));
const sites = (n: number, prefix = 's') => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(2, '0')}.example.org`);

describe('rollout policy: validation of bakeMinutes and minReleaseAgeHours', () => {
  test('bakeMinutes is a whole number of minutes up to a week, named when wrong', () => {
    expect(rolloutPolicyProblems({ bakeMinutes: 30 })).toEqual([]);
    expect(rolloutPolicyProblems({ bakeMinutes: 0 })).toEqual([]);
    expect(rolloutPolicyProblems({ bakeMinutes: -1 })).toEqual(['policy.rollout.bakeMinutes: a whole number from 0 to 10080']);
    expect(rolloutPolicyProblems({ bakeMinutes: 1.5 })).toEqual(['policy.rollout.bakeMinutes: a whole number from 0 to 10080']);
    expect(rolloutPolicyProblems({ bakeMinutes: '30' })).toEqual(['policy.rollout.bakeMinutes: a whole number from 0 to 10080']);
    expect(rolloutPolicyProblems({ bakeMinute: 3 })[0]).toMatch(/^policy\.rollout\.bakeMinute: unknown setting \(known: .*bakeMinutes/);
  });

  test('minReleaseAgeHours is a whole number of hours up to a year', () => {
    expect(releaseAgeProblems(24)).toEqual([]);
    expect(releaseAgeProblems(undefined)).toEqual([]);
    expect(releaseAgeProblems(null)).toEqual([]);
    for (const bad of [-1, 0.5, 'x', 9000, true]) expect(releaseAgeProblems(bad)).toEqual(['policy.minReleaseAgeHours: a whole number of hours from 0 to 8760']);
  });

  test('a build matures its minimum age after it was recorded', () => {
    const at = new Date('2026-03-01T10:00:00Z');
    expect(matureAt(at, 24).toISOString()).toBe('2026-03-02T10:00:00.000Z');
    expect(matureAt(at, 0)).toEqual(at);
    expect(matureAt(at, null)).toEqual(at);
  });
});

describe('wave plan in words', () => {
  test('canary named, then equal batches', () => {
    const waves = assignWaves(moves(['alumni', ...sites(12)]), { canarySites: ['alumni'], batchSize: 4 });
    expect(describeWavePlan(waves)).toBe('canary: alumni; then 3 batches of 4');
  });

  test('unequal last batch, counted canaries, bake', () => {
    const waves = assignWaves(moves(sites(13)), { canaries: 2, batchSize: 4 });
    expect(describeWavePlan(waves, 30)).toBe('canary: s00.example.org, s01.example.org; then 2 batches of 4 and 1 of 3; 30 min bake between waves');
  });

  test('one wave, no canary; many canaries are shortened', () => {
    expect(describeWavePlan(assignWaves(moves(sites(5)), {}))).toBe('one wave of 5 sites');
    expect(describeWavePlan(assignWaves(moves(sites(1)), {}), 30)).toBe('one wave of 1 site');
    expect(describeWavePlan(assignWaves(moves(sites(6)), { canaries: 5 }))).toBe(
      'canary: s00.example.org, s01.example.org, s02.example.org and 2 more; then 1 batch of 1',
    );
    expect(describeWavePlan([])).toBe('no sites to move');
  });
});

describe('next window and openings', () => {
  // Monday 2026-01-05 18:00 UTC = 19:00 in Amsterdam (winter, UTC+1).
  const now = new Date('2026-01-05T18:00:00Z');

  test('next window in the window zone, with how long until it', () => {
    expect(describeNextWindow([win('Tue 01:00-04:00 Europe/Amsterdam')], now)).toBe('next window Tue 01:00 Europe/Amsterdam, in 6 h');
    expect(describeNextWindow([], now)).toBe('any time (no maintenance window)');
    expect(describeNextWindow([win('Mon 17:00-20:00 UTC')], now)).toBe('window open now (Mon 17:00-20:00 UTC)');
  });

  test('the next three openings, across windows, in order, following DST', () => {
    const openings = nextOpenings([win('Tue,Thu 01:00-04:00 Europe/Amsterdam'), win('Sat 02:00-06:00 UTC')], now, 3);
    expect(openings.map((d) => d.toISOString())).toEqual(['2026-01-06T00:00:00.000Z', '2026-01-08T00:00:00.000Z', '2026-01-10T02:00:00.000Z']);
    expect(openings.map((d) => formatInZone(d, 'Europe/Amsterdam'))).toEqual(['Tue 01:00 Europe/Amsterdam', 'Thu 01:00 Europe/Amsterdam', 'Sat 03:00 Europe/Amsterdam']);
    // Across the March change: 01:00 Amsterdam is 00:00 UTC before it and 23:00 UTC the day before after it.
    const spring = nextOpenings([win('Tue 01:00-04:00 Europe/Amsterdam')], new Date('2026-03-23T12:00:00Z'), 2);
    expect(spring.map((d) => d.toISOString())).toEqual(['2026-03-24T00:00:00.000Z', '2026-03-30T23:00:00.000Z']);
    // A window open now counts from its next opening.
    expect(nextOpenings([win('Mon 17:00-20:00 UTC')], now, 1)[0]!.toISOString()).toBe('2026-01-12T17:00:00.000Z');
    expect(nextOpenings([], now)).toEqual([]);
  });

  test('how far ahead', () => {
    expect(formatIn(new Date(now.getTime() + 25 * 60_000), now)).toBe('in 25 min');
    expect(formatIn(new Date(now.getTime() + 7 * 3_600_000 + 59 * 60_000), now)).toBe('in 7 h');
    expect(formatIn(new Date(now.getTime() + 3 * 86_400_000), now)).toBe('in 3 days');
  });

  test('the preview before Confirm: waves, next window, own windows, threshold; security skips windows', () => {
    const policy = { waves: { canarySites: ['alumni'], batchSize: 4 }, windows: ['Tue 01:00-04:00 Europe/Amsterdam'], siteWindows: { 's00.example.org': [] }, failureThreshold: 0.25 };
    const m = moves(['alumni', ...sites(12)]);
    expect(previewRollout(policy, m, now).text).toBe(
      'canary: alumni; then 3 batches of 4; next window Tue 01:00 Europe/Amsterdam, in 6 h (1 site with its own windows); pauses when more than 25% of a wave fails',
    );
    expect(previewRollout(policy, m, now, { skipWindows: true }).text).toContain('security rollout: starts outside maintenance windows');
    expect(previewRollout(null, moves(sites(3)), now).text).toBe('one wave of 3 sites; any time (no maintenance window)');
  });
});

describe('policy changes for the audit log', () => {
  test('each changed leaf as before → after, redacted, nothing for an unchanged policy', () => {
    const before = { pollIntervalMinutes: 60, autoTarget: true, rollout: { waves: { batchSize: 4 }, windows: ['Tue 01:00-04:00 UTC'] } };
    const after = {
      pollIntervalMinutes: 60,
      autoTarget: true,
      rollout: { waves: { batchSize: 8 }, bakeMinutes: 30, healthCheck: { http: { url: 'https://user:secret@{site}/' } } },
    };
    expect(policyChanges(before, after, (s) => s.replace('secret', '***'))).toEqual({
      'rollout.bakeMinutes': '— → 30',
      'rollout.healthCheck.http.url': '— → https://user:***@{site}/',
      'rollout.waves.batchSize': '4 → 8',
      'rollout.windows': '["Tue 01:00-04:00 UTC"] → —',
    });
    expect(policyChanges(before, structuredClone(before))).toEqual({});
  });
});

describe('re-planning waves after a policy change', () => {
  const started = (waves: Wave[], upTo: number): Wave[] =>
    waves.map((w) => (w.index < upTo ? { ...w, state: 'done' as const, sites: w.sites.map((s) => ({ ...s, taskId: `t-${s.siteId}` })) } : w));

  test('waves not started are split again; started ones stay; no new canary once one ran', () => {
    const waves = started(assignWaves(moves(sites(9)), { canaries: 1, batchSize: 4 }), 1);
    const replanned = replanPendingWaves({ waves }, { canaries: 1, batchSize: 2 })!;
    expect(replanned.map((w) => [w.index, w.canary, w.sites.length])).toEqual([[0, true, 1], [1, false, 2], [2, false, 2], [3, false, 2], [4, false, 2]]);
    expect(replanned[0]).toBe(waves[0]);
    expect(replanPendingWaves({ waves }, { canaries: 1, batchSize: 4 })).toBeNull();
  });

  test('before any wave started the whole plan follows the new policy', () => {
    const waves = assignWaves(moves(['alumni', ...sites(4)]), {});
    expect(replanPendingWaves({ waves }, { canarySites: ['alumni'], batchSize: 2 })!.map((w) => w.sites.map((s) => s.siteName))).toEqual([
      ['alumni'], ['s00.example.org', 's01.example.org'], ['s02.example.org', 's03.example.org'],
    ]);
  });

  test('a baking wait is told apart from a window wait', () => {
    expect(isBaking({ waitingUntil: new Date(), reason: 'Baking after wave 1 (30 min between waves); …' })).toBe(true);
    expect(isBaking({ waitingUntil: new Date(), reason: 'Waiting for a maintenance window (…)' })).toBe(false);
    expect(isBaking({ waitingUntil: null, reason: 'Baking' })).toBe(false);
  });
});
