/** Exposure over the real advisory history and Open Social locks: the incremental index agrees with a full recompute. */
import { describe, expect, test } from '@jest/globals';
import { diffConflicts, mergeConflicts } from '../../../src/domain/advisory-feed.js';
import { indexConflictMap, isInsecure, readConflictMap } from '../../../src/domain/compare/advisories.js';
import { parseManifest } from '../../../src/domain/compare/manifest.js';
import { EventCoverage, ExposureIndex, siteExposure } from '../../../src/domain/exposure.js';
import { ADVISORY_HISTORY, advisorySnapshot } from '../../support/advisory-feed-repo.js';
import { OPEN_SOCIAL_VERSIONS, openSocialBuild } from '../../support/fixtures.js';

const maps = ADVISORY_HISTORY.map((d) => readConflictMap(advisorySnapshot(d), d, 10 * 1024 * 1024));
const locks = OPEN_SOCIAL_VERSIONS.map((v) => ({ id: v, packages: parseManifest(openSocialBuild(v).files).packages }));

describe('diffConflicts', () => {
  test('lists changed, added and removed packages, sorted', () => {
    expect(diffConflicts({ a: '1', b: '2', c: '3' }, { a: '1', b: '2.1', d: '4' })).toEqual([
      { name: 'b', before: '2', after: '2.1' },
      { name: 'c', before: '3', after: null },
      { name: 'd', before: null, after: '4' },
    ]);
  });

  test('the real 2024-01-31 step changes drupal/social and drupal/swiftmailer among 4 packages', () => {
    const changes = diffConflicts(maps[ADVISORY_HISTORY.indexOf('2024-01-31') - 1]!, maps[ADVISORY_HISTORY.indexOf('2024-01-31')]!);
    expect(changes.map((c) => c.name)).toEqual(['drupal/business_responsive_theme', 'drupal/social', 'drupal/swiftmailer', 'drupal/tfa']);
  });

  test('merging sources joins alternatives', () => {
    const merged = mergeConflicts([{ 'drupal/a': '<1.0' }, { 'drupal/a': '2.0', 'drupal/b': '<3' }]);
    expect({ ...merged }).toEqual({ 'drupal/a': '<1.0|2.0', 'drupal/b': '<3' });
    expect(isInsecure(indexConflictMap(merged), 'drupal/a', '2.0.0')).toBe(true);
  });
});

describe('indexConflictMap with the previous map', () => {
  test('reusing unchanged constraints gives the same answers as indexing from scratch', () => {
    for (let i = 1; i < maps.length; i++) {
      const fresh = indexConflictMap(maps[i]!);
      const reused = indexConflictMap(maps[i]!, { conflict: maps[i - 1]!, index: indexConflictMap(maps[i - 1]!) });
      const answers = (index: typeof fresh) => locks.flatMap((l) => l.packages.filter((p) => isInsecure(index, p.name, p.version)).map((p) => `${l.id} ${p.name}`));
      expect(answers(reused)).toEqual(answers(fresh));
      expect(reused.packages.size).toBe(fresh.packages.size);
    }
  });
});

describe('ExposureIndex', () => {
  const exposureOf = (index: ExposureIndex) => Object.fromEntries(locks.map((l) => [l.id, index.exposureOf(l.id).map((p) => `${p.name}@${p.version}`)]));

  test('replaying the history incrementally agrees with a full recompute at every step', () => {
    const incremental = new ExposureIndex();
    incremental.setAdvisories(indexConflictMap(maps[0]!));
    for (const l of locks) incremental.upsertPlatform(l.id, '1', l.packages);
    for (let i = 1; i < maps.length; i++) {
      const index = indexConflictMap(maps[i]!);
      incremental.setAdvisories(index, diffConflicts(maps[i - 1]!, maps[i]!).map((c) => c.name));
      const full = new ExposureIndex();
      full.setAdvisories(index);
      for (const l of locks) full.upsertPlatform(l.id, '1', l.packages);
      expect(exposureOf(incremental)).toEqual(exposureOf(full));
    }
    // The last snapshot: drupal/core and drupal/swiftmailer exposed on every Open Social 12 build.
    for (const l of locks) expect(incremental.exposureOf(l.id).map((p) => p.name)).toEqual(expect.arrayContaining(['drupal/core', 'drupal/swiftmailer']));
  });

  test('a rebuilt platform (new version key) is recomputed; the same key is a no-op; removal forgets it', () => {
    const index = new ExposureIndex();
    index.setAdvisories(indexConflictMap(maps[maps.length - 1]!));
    const lock = locks[0]!;
    expect(index.upsertPlatform('p', '1', lock.packages)).toBe(true);
    expect(index.upsertPlatform('p', '1', [])).toBe(false);
    expect(index.exposureOf('p').length).toBeGreaterThan(0);
    expect(index.upsertPlatform('p', '2', lock.packages.filter((p) => p.name !== 'drupal/core'))).toBe(true);
    expect(index.exposureOf('p').map((p) => p.name)).not.toContain('drupal/core');
    // The package index follows: a core event no longer touches it.
    expect(index.setAdvisories(indexConflictMap({}), ['drupal/core'])).toEqual([]);
    index.removePlatform('p');
    expect(index.exposureOf('p')).toEqual([]);
    expect(index.size).toBe(0);
  });
});

describe('siteExposure', () => {
  const exposed = [
    { name: 'drupal/core', version: '10.2.6', type: 'drupal-core' },
    { name: 'drupal/swiftmailer', version: '2.3.0', type: 'drupal-module' },
    { name: 'drupal/group', version: '1.6.0', type: 'drupal-module' },
  ];
  test('unknown modules: the platform exposure', () => {
    expect(siteExposure(exposed, [])).toEqual(exposed);
  });
  test('known modules: a module project counts when it or a submodule is enabled; core always', () => {
    expect(siteExposure(exposed, ['node', 'gnode', 'group_content_menu']).map((p) => p.name)).toEqual(['drupal/core', 'drupal/group']);
    expect(siteExposure(exposed, ['Swiftmailer']).map((p) => p.name)).toEqual(['drupal/core', 'drupal/swiftmailer']);
  });
});

describe('EventCoverage: what an event newly exposes', () => {
  const core = (version: string) => [{ name: 'drupal/core', version, type: 'drupal-core' }];

  test('a version the changed constraint covers now and did not before is newly exposed', () => {
    const c = new EventCoverage([{ name: 'drupal/core', before: '<10.1.8', after: '<10.1.8|>=10.2,<10.2.2' }]);
    expect(c.newlyExposed(core('10.2.1')).map((p) => p.version)).toEqual(['10.2.1']);
    // Covered before and still: not new.
    expect(c.newlyExposed(core('10.1.7'))).toEqual([]);
    // Covered by neither.
    expect(c.newlyExposed(core('10.2.2'))).toEqual([]);
  });

  test('an added package exposes what it covers; a removed one exposes nothing', () => {
    expect(new EventCoverage([{ name: 'drupal/x', before: null, after: '<2.0' }]).newlyExposed([{ name: 'drupal/x', version: '1.5.0' }])).toHaveLength(1);
    const removed = new EventCoverage([{ name: 'drupal/x', before: '<2.0', after: null }]);
    expect(removed.names.size).toBe(0);
    expect(removed.newlyExposed([{ name: 'drupal/x', version: '1.5.0' }])).toEqual([]);
  });

  test('a version another feed in force already covers was exposed before', () => {
    const c = new EventCoverage([{ name: 'drupal/core', before: '<10.0.0', after: '<10.0.12' }], { 'drupal/core': '>=10.0,<10.0.20' });
    expect(c.newlyExposed(core('10.0.11'))).toEqual([]);
    expect(new EventCoverage([{ name: 'drupal/core', before: '<10.0.0', after: '<10.0.12' }]).newlyExposed(core('10.0.11'))).toHaveLength(1);
  });

  test('package names match case-insensitively and a branch build is read as its order version', () => {
    const c = new EventCoverage([{ name: 'Drupal/Foo', before: null, after: '<1.1' }]);
    expect(c.newlyExposed([{ name: 'drupal/foo', version: 'dev-1.x#abc', order: '1.0.0' }])).toHaveLength(1);
  });
});
