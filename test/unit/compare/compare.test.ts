import { describe, expect, test } from '@jest/globals';
import { parseAdvisories } from '../../../src/domain/compare/advisories.js';
import { comparePlatforms, MAX_PATCH_CHARS, summarise } from '../../../src/domain/compare/compare.js';
import { parseManifest } from '../../../src/domain/compare/manifest.js';
import type { PackageChange } from '../../../src/domain/compare/types.js';
import type { Manifest } from '../../../src/domain/platform.js';
import { countsLine, needsCare } from '../../../src/slack/blocks/compare-summary.js';
import { advisoriesJson, openSocialBuild } from '../../support/fixtures.js';

const advisories = parseAdvisories(advisoriesJson());
const social = (version: string) => ({ id: `id-${version}`, name: `social-${version}`, manifest: parseManifest(openSocialBuild(version).files) });
const platform = (name: string, manifest: Manifest) => ({ id: `id-${name}`, name, manifest });
const lockOf = (packages: { name: string; version: string; type?: string }[]): Manifest =>
  parseManifest({ 'composer.lock': JSON.stringify({ packages, 'packages-dev': [] }) });

/** name → version straight from the lock JSON, independent of the code under test. */
const rawLock = (version: string): Map<string, { version: string; type: string }> => {
  const lock = JSON.parse(openSocialBuild(version).files['composer.lock']!) as {
    packages: { name: string; version: string; type: string }[];
    'packages-dev': { name: string; version: string; type: string }[];
  };
  return new Map([...lock.packages, ...lock['packages-dev']].map((p) => [p.name, { version: p.version, type: p.type }]));
};
const changed = (r: { packages: PackageChange[] }) => r.packages.filter((p) => p.change !== 'same');
const byName = (r: { packages: PackageChange[] }, name: string) => r.packages.find((p) => p.name === name)!;

describe('comparePlatforms on real Open Social builds', () => {
  test('12.3.3 → 12.4.2: 40 changed packages, all upgrades, nothing blocking', () => {
    const r = comparePlatforms(social('12.3.3'), social('12.4.2'));
    const before = rawLock('12.3.3');
    const after = rawLock('12.4.2');
    // Independent count from the raw locks: both builds lock the same 198 package names and 40 of them have a
    // different version string (drupal/core 10.2.5 → 10.2.6, 26 Symfony components, twig, Open Social's own
    // themes and modules…). None is older, none added or removed.
    const names = new Set([...before.keys(), ...after.keys()]);
    const differing = [...names].filter((n) => before.get(n)?.version !== after.get(n)?.version);
    expect(differing).toHaveLength(40);
    expect(changed(r).map((p) => p.name).sort()).toEqual(differing.sort());
    expect(r.counts).toMatchObject({ upgrade: 40, downgrade: 0, added: 0, missing: 0, same: names.size - 40, errors: 0, warnings: 0 });
    expect(byName(r, 'goalgorilla/open_social')).toMatchObject({ from: '12.3.3', to: '12.4.2', change: 'upgrade', severity: 'ok' });
    expect(byName(r, 'drupal/data_policy')).toMatchObject({ from: '2.0.0-beta9', to: '2.0.0', change: 'upgrade' });
    expect(byName(r, 'symfony/console')).toMatchObject({ from: '6.4.6', to: '6.4.7', change: 'upgrade' }); // v-tags in the lock
    expect(r.files).toEqual([]);
  });

  test('12.4.2 → 12.3.3: every change is a downgrade; Drupal extensions are errors, other packages warnings', () => {
    const r = comparePlatforms(social('12.4.2'), social('12.3.3'));
    const types = rawLock('12.4.2');
    expect(changed(r)).toHaveLength(40);
    expect(changed(r).every((p) => p.change === 'downgrade')).toBe(true);
    const extensionTypes = ['drupal-core', 'drupal-module', 'drupal-theme', 'drupal-profile'];
    const drupal = changed(r).filter((p) => extensionTypes.includes(types.get(p.name)!.type));
    // 10 drupal/* extensions plus the goalgorilla/open_social install profile (type drupal-profile).
    expect(drupal.map((p) => p.name)).toContain('goalgorilla/open_social');
    expect(drupal).toHaveLength(11);
    // A composer plugin named drupal/* owns no schema: going back is a warning, not a blocker.
    expect(byName(r, 'drupal/core-composer-scaffold')).toMatchObject({ type: 'composer-plugin', change: 'downgrade', severity: 'warning' });
    expect(drupal.every((p) => p.severity === 'error' && /schema/.test(p.reason!))).toBe(true);
    expect(changed(r).filter((p) => !drupal.includes(p)).every((p) => p.severity === 'warning')).toBe(true);
    expect(r.counts).toMatchObject({ downgrade: 40, upgrade: 0, errors: drupal.length, warnings: 40 - drupal.length });
  });

  test('a build against itself is all `same` and has nothing to diff', () => {
    const r = comparePlatforms(social('12.4.2'), social('12.4.2'), { fileDiffs: true });
    expect(r.packages.length).toBe(rawLock('12.4.2').size);
    expect(r.packages.every((p) => p.change === 'same' && p.severity === 'ok' && p.security === undefined)).toBe(true);
    expect(r.counts).toMatchObject({ same: r.packages.length, upgrade: 0, downgrade: 0, added: 0, missing: 0 });
    expect(r.files).toEqual([]);
  });

  test('a module the site has enabled that the target lacks is an error; otherwise a warning', () => {
    // 12.4.2 → 12.0.0 loses drupal/flexible_permissions, drupal/views_ef_fieldset and three libraries.
    const missing = [...rawLock('12.4.2').keys()].filter((n) => !rawLock('12.0.0').has(n));
    const plain = comparePlatforms(social('12.4.2'), social('12.0.0'));
    expect(changed(plain).filter((p) => p.change === 'missing').map((p) => p.name).sort()).toEqual(missing.sort());
    expect(byName(plain, 'drupal/views_ef_fieldset')).toMatchObject({ change: 'missing', severity: 'warning', to: null });

    // `diff` is the name of a library that goes missing too (sebastian/diff): a library is never an enabled module.
    const r = comparePlatforms(social('12.4.2'), social('12.0.0'), { siteModules: ['views_ef_fieldset', 'node', 'diff'] });
    expect(byName(r, 'drupal/views_ef_fieldset')).toMatchObject({ severity: 'error' });
    expect(byName(r, 'drupal/views_ef_fieldset').reason).toMatch(/`views_ef_fieldset` is enabled/);
    expect(byName(r, 'drupal/flexible_permissions').severity).toBe('warning');
    expect(byName(r, 'sebastian/diff')).toMatchObject({ change: 'missing', severity: 'warning' });
    expect(r.counts.errors).toBe(plain.counts.errors + 1);
  });

  test('rows are ordered: security, errors, warnings, other changes, unchanged; by name within', () => {
    const r = comparePlatforms(social('12.4.2'), social('12.0.0'), { advisories });
    const rank = (p: PackageChange) =>
      p.security ? 0 : p.severity === 'error' ? 1 : p.severity === 'warning' ? 2 : p.change !== 'same' ? 3 : 4;
    const ranks = r.packages.map(rank);
    expect(new Set(ranks)).toEqual(new Set([0, 1, 2, 3, 4]));
    for (let i = 1; i < r.packages.length; i++) {
      const [a, b] = [r.packages[i - 1]!, r.packages[i]!];
      expect(rank(a) < rank(b) || (rank(a) === rank(b) && a.name < b.name)).toBe(true);
    }
  });
});

describe('security advisories', () => {
  test('12.0.0 → 12.4.2: what the real advisory map says about both builds', () => {
    const r = comparePlatforms(social('12.0.0'), social('12.4.2'), { advisories });
    const flagged = r.packages.filter((p) => p.security);
    // The map (2024-10-23) covers drupal/core 10.0.11 (all of 10.0.x is listed) and 10.2.6 (`>=10.2,<10.2.10`),
    // and drupal/swiftmailer 2.3 (listed exactly). Open Social 12.4.2 still ships both, so moving fixes nothing.
    expect(flagged.map((p) => p.name)).toEqual(['drupal/core', 'drupal/swiftmailer']);
    expect(byName(r, 'drupal/core')).toMatchObject({
      from: '10.0.11',
      to: '10.2.6',
      change: 'upgrade',
      severity: 'warning',
      security: { currentInsecure: true, targetInsecure: true, fixed: false },
    });
    expect(r.packages[0]!.security).toBeDefined();
    expect(r.counts).toMatchObject({ securityFixes: 0, securityOpen: 2 });
  });

  test('a target with the fixed core release fixes it; dropping swiftmailer is no security fix', () => {
    // 12.4.2 as a site would get it after `composer require drupal/core:10.2.10` and removing swiftmailer.
    const base = social('12.4.2');
    const patched = lockOf(
      base.manifest.packages
        .filter((p) => p.name !== 'drupal/swiftmailer')
        .map((p) => (p.name === 'drupal/core' ? { ...p, version: '10.2.10' } : p)),
    );
    const r = comparePlatforms(social('12.0.0'), platform('social-12.4.2-patched', patched), { advisories });
    expect(byName(r, 'drupal/core').security).toEqual({ currentInsecure: true, targetInsecure: false, fixed: true });
    expect(byName(r, 'drupal/swiftmailer')).toMatchObject({
      change: 'missing',
      security: { currentInsecure: true, targetInsecure: false, fixed: false },
    });
    expect(r.counts).toMatchObject({ securityFixes: 1, securityOpen: 0 });
    expect(summarise(r)).toContain('1 security fix.');
  });

  test('an added package that is insecure is a warning and an open advisory', () => {
    const r = comparePlatforms(
      platform('a', lockOf([])),
      platform('b', lockOf([{ name: 'drupal/admin_toolbar', version: '3.0.1', type: 'drupal-module' }])),
      { advisories },
    );
    expect(r.packages[0]).toMatchObject({
      change: 'added',
      severity: 'warning',
      security: { currentInsecure: false, targetInsecure: true, fixed: false },
    });
  });
});

describe('development branches', () => {
  const dev = (version: string, ref: string) =>
    parseManifest({
      'composer.lock': JSON.stringify({
        packages: [{ name: 'drupal/foo', version, type: 'drupal-module', source: { reference: ref } }],
      }),
    });

  test.each([
    ['2.x-dev', 'aaaaaaaa', '2.x-dev', 'aaaaaaaa', 'same', 'ok'],
    ['2.x-dev', 'aaaaaaaa', '3.x-dev', 'bbbbbbbb', 'upgrade', 'ok'],
    ['2.x-dev', 'aaaaaaaa', '2.x-dev', 'bbbbbbbb', 'unknown', 'warning'],
    ['dev-feature', 'aaaaaaaa', 'dev-other', 'bbbbbbbb', 'unknown', 'warning'],
    ['dev-feature', 'aaaaaaaa', 'dev-feature', 'aaaaaaaa', 'same', 'ok'],
    ['3.x-dev', 'aaaaaaaa', '2.5.0', 'bbbbbbbb', 'downgrade', 'error'],
  ])('%s@%s → %s@%s: %s (%s)', (fromV, fromRef, toV, toRef, change, severity) => {
    const r = comparePlatforms(platform('a', dev(fromV, fromRef)), platform('b', dev(toV, toRef)));
    expect(r.packages[0]).toMatchObject({ change, severity });
  });
});

describe('edge cases an independent oracle disagreed on (Open Social 10.x–12.x locks)', () => {
  type LockPackage = { name: string; version: string; type?: string; source?: { reference: string }; extra?: unknown };
  const lock = (...packages: LockPackage[]) => parseManifest({ 'composer.lock': JSON.stringify({ packages }) });
  const like = (version: string, extra?: unknown): LockPackage => ({
    name: 'drupal/like_and_dislike',
    version,
    type: 'drupal-module',
    source: { reference: version.startsWith('dev-') ? 'c0ffee0123' : 'abc' },
    ...(extra !== undefined ? { extra } : {}),
  });
  const row = (from: Manifest, to: Manifest) => comparePlatforms(platform('a', from), platform('b', to));

  test('a tagged release → a dev branch with nothing to order it by: changed, order unknown (not unchanged)', () => {
    const r = row(lock(like('1.0.0-beta2')), lock(like('dev-1.x')));
    expect(r.packages[0]).toMatchObject({ from: '1.0.0-beta2', to: 'dev-1.x#c0ffee0', change: 'unknown', severity: 'warning' });
    expect(r.counts).toMatchObject({ unknown: 1, same: 0, upgrade: 0, warnings: 1 });
    expect(summarise(r)[0]).toBe('1 package change: 1 changed, order unknown (0 unchanged).');
  });

  test.each([
    ['branch-alias', { 'branch-alias': { 'dev-1.x': '1.x-dev' } }],
    ['extra.drupal.version', { drupal: { version: '8.x-1.0-beta2+12-dev' } }],
  ])('a dev branch is ordered by its %s when the lock has one', (_, extra) => {
    expect(row(lock(like('1.0.0-beta2')), lock(like('dev-1.x', extra))).packages[0]).toMatchObject({ change: 'upgrade', severity: 'ok' });
    expect(row(lock(like('dev-1.x', extra)), lock(like('1.0.0-beta2'))).packages[0]).toMatchObject({ change: 'downgrade', severity: 'error' });
  });

  test('two commits of one branch are ordered by Drupal.org snapshot numbers (+N-dev)', () => {
    const at = (n: number, ref: string): LockPackage => ({ ...like('dev-1.x', { drupal: { version: `8.x-1.0-beta2+${n}-dev` } }), source: { reference: ref } });
    expect(row(lock(at(12, 'aaaaaaa1')), lock(at(15, 'bbbbbbb2'))).packages[0]).toMatchObject({ change: 'upgrade' });
    expect(row(lock(at(15, 'bbbbbbb2')), lock(at(12, 'aaaaaaa1'))).packages[0]).toMatchObject({ change: 'downgrade' });
    // The same snapshot number at two commits (a rebuilt branch) says nothing either way.
    expect(row(lock(at(12, 'aaaaaaa1')), lock(at(12, 'bbbbbbb2'))).packages[0]).toMatchObject({ change: 'unknown' });
  });

  test('build metadata carries no order: 1.0.0+build1 and 1.0.0 are the same release', () => {
    const pkg = (version: string): LockPackage => ({ name: 'vendor/lib', version, type: 'library' });
    expect(row(lock(pkg('1.0.0+build1')), lock(pkg('1.0.0'))).packages[0]).toMatchObject({ change: 'same', severity: 'ok' });
  });

  test.each([
    ['composer-plugin', 'warning'],
    ['metapackage', 'warning'],
    ['drupal-library', 'warning'],
    ['drupal-drush', 'warning'],
    ['drupal-module', 'error'],
    ['drupal-custom-theme', 'error'],
  ])('a downgrade of a drupal/* %s is a %s', (type, severity) => {
    const pkg = (version: string): LockPackage => ({ name: 'drupal/thing', version, type });
    expect(row(lock(pkg('2.0.0')), lock(pkg('1.0.0'))).packages[0]).toMatchObject({ change: 'downgrade', severity });
  });

  test('the unknown count shows on the Compare page stats and in the Slack counts line', () => {
    const r = row(lock(like('1.0.0-beta2')), lock(like('dev-1.x')));
    expect(countsLine(r.counts)).toContain(':grey_question: 1 changed, order unknown');
    expect(needsCare(r.counts)).toBe(true);
  });
});

describe('file diffs', () => {
  test('composer.json gets a unified diff; composer.lock is left to the package table', () => {
    const r = comparePlatforms(social('12.3.3'), social('12.4.2'), { fileDiffs: true });
    expect(r.files.map((f) => [f.path, f.change])).toEqual([
      ['composer.json', 'modified'],
      ['composer.lock', 'modified'],
    ]);
    const json = r.files[0]!;
    expect(json.patch).toMatch(/^--- a\/composer\.json$/m);
    expect(json.patch).toContain('-        "goalgorilla/open_social": "~12.3.0",');
    expect(json.patch).toContain('+        "goalgorilla/open_social": "~12.4.0",');
    expect(r.files[1]).toMatchObject({ patch: '', note: expect.stringMatching(/package table/) });
  });

  test('added and removed files, huge files and huge patches are bounded', () => {
    // 400 changed lines of ~100 characters: a small edit count, but a patch larger than the bound.
    const lines = (n: number, v: string) =>
      Array.from({ length: n }, (_, i) => `projects[module_${i}][version] = ${v} ; ${'why '.repeat(15)}`).join('\n');
    const from = { format: 'make' as const, packages: [], files: { 'old.make': 'core = 7.x\n', 'big.make': 'x'.repeat(300_000), 'many.make': lines(400, '1.0') } };
    const to = { format: 'make' as const, packages: [], files: { 'new.make': 'core = 7.x\n', 'big.make': 'y', 'many.make': lines(400, '1.1') } };
    const r = comparePlatforms(platform('a', from), platform('b', to), { fileDiffs: true });
    const file = (path: string) => r.files.find((f) => f.path === path)!;
    expect(r.files.map((f) => f.path)).toEqual(['big.make', 'many.make', 'new.make', 'old.make']);
    expect(file('new.make')).toMatchObject({ change: 'added' });
    expect(file('new.make').patch).toMatch(/^--- \/dev\/null$/m);
    expect(file('old.make')).toMatchObject({ change: 'removed' });
    expect(file('big.make')).toMatchObject({ change: 'modified', patch: '', note: expect.stringMatching(/Too large/) });
    expect(file('many.make')).toMatchObject({ truncated: true });
    expect(file('many.make').patch.length).toBeLessThanOrEqual(MAX_PATCH_CHARS + 100);
    expect(file('many.make').patch).toMatch(/patch truncated: \d+ more lines\n$/);
  });

  test('wildly different files are not diffed line by line', () => {
    const text = (seed: string) => Array.from({ length: 1500 }, (_, i) => `${seed}${i}`).join('\n');
    const r = comparePlatforms(
      platform('a', { format: 'none', packages: [], files: { 'a.info': text('x') } }),
      platform('b', { format: 'none', packages: [], files: { 'a.info': text('y') } }),
      { fileDiffs: true },
    );
    expect(r.files[0]).toMatchObject({ patch: '', note: expect.stringMatching(/Too different/) });
  });
});

describe('summarise', () => {
  test('counts and blocking packages in a few lines', () => {
    expect(summarise(comparePlatforms(social('12.3.3'), social('12.4.2'), { advisories }))).toEqual([
      '40 package changes: 40 upgrades (158 unchanged).',
      '2 advisories still open on the target.',
      '2 warnings.',
    ]);
    const back = summarise(comparePlatforms(social('12.4.2'), social('12.0.0'), { siteModules: ['views_ef_fieldset'] }));
    expect(back[0]).toMatch(/^\d+ package changes: \d+ upgrades?, \d+ downgrades, 5 missing \(\d+ unchanged\)\.$/);
    expect(back[1]).toMatch(/^\d+ errors block the upgrade: .*drupal\/.* and \d+ more\.$/);
    expect(summarise(comparePlatforms(social('12.4.2'), social('12.4.2')))).toEqual(['No package changes (198 packages identical).']);
  });
});
