import { describe, expect, test } from '@jest/globals';
import type { Distribution } from '../../src/domain/distribution.js';
import { RuleViolationError } from '../../src/domain/errors.js';
import type { Platform } from '../../src/domain/platform.js';
import { assertCanBeTarget, assertCanHostNewSite, lockPlan, upgradeAvailable } from '../../src/domain/rules.js';
import type { Site } from '../../src/domain/site.js';

const now = new Date('2026-01-01T00:00:00Z');
const dist = (over: Partial<Distribution> = {}): Distribution => ({
  id: 'd1', slug: 'social', title: 'Open Social 12', description: '', channel: null, upstream: null,
  policy: { pollIntervalMinutes: 0, autoTarget: true }, targetPlatformId: null, pollState: {}, lastPoll: null, createdAt: now, updatedAt: now, ...over,
});
const plat = (id: string, over: Partial<Platform> = {}): Platform => ({
  id, name: `p-${id}`, distributionId: 'd1', source: { ref: id, commit: id.padEnd(40, '0') }, manifest: { format: 'none', packages: [], files: {} },
  status: 'ready', createdBy: { kind: 'system' }, server: 'local', path: null, buildLog: [], buildLogDropped: 0, buildLeaseUntil: null, createdAt: now, updatedAt: now, ...over,
});
const site = (platformId: string, over: Partial<Site> = {}): Site => ({
  id: 's1', name: 'a.example.org', platformId, status: 'enabled', modules: [], history: [], createdAt: now, updatedAt: now, ...over,
});

describe('domain rules', () => {
  test('target must be a ready/locked platform of the same distribution', () => {
    expect(() => assertCanBeTarget(dist(), plat('a'))).not.toThrow();
    expect(() => assertCanBeTarget(dist(), plat('a', { status: 'locked' }))).not.toThrow();
    expect(() => assertCanBeTarget(dist(), plat('a', { distributionId: 'd2' }))).toThrow(RuleViolationError);
    for (const status of ['queued', 'building', 'failed', 'deleted'] as const) {
      expect(() => assertCanBeTarget(dist(), plat('a', { status }))).toThrow(/only a built/);
    }
  });

  test('no new site on a locked or unbuilt platform', () => {
    expect(() => assertCanHostNewSite(plat('a'))).not.toThrow();
    expect(() => assertCanHostNewSite(plat('a', { status: 'locked' }))).toThrow(/locked/);
    expect(() => assertCanHostNewSite(plat('a', { status: 'building' }))).toThrow(RuleViolationError);
  });

  test('upgrade offered only off-target within a targeted distribution', () => {
    const a = plat('a');
    const b = plat('b');
    expect(upgradeAvailable(site('a'), a, dist())).toBe(false);
    expect(upgradeAvailable(site('a'), a, dist({ targetPlatformId: 'b' }))).toBe(true);
    expect(upgradeAvailable(site('b'), b, dist({ targetPlatformId: 'b' }))).toBe(false);
    expect(upgradeAvailable(site('a', { status: 'migrating' }), a, dist({ targetPlatformId: 'b' }))).toBe(false);
    expect(upgradeAvailable(site('a'), plat('a', { distributionId: 'd2' }), dist({ targetPlatformId: 'b' }))).toBe(false);
  });

  test('lock plan locks other ready platforms, unlocks the new target, leaves failed/queued alone', () => {
    const ps = [plat('a'), plat('b', { status: 'locked' }), plat('c', { status: 'failed' }), plat('d')];
    expect(lockPlan(ps, 'b')).toEqual({ lock: ['a', 'd'], unlock: ['b'] });
    expect(lockPlan(ps, 'a')).toEqual({ lock: ['d'], unlock: [] });
  });
});
