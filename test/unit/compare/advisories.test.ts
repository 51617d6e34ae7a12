import { describe, expect, test } from '@jest/globals';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAdvisories } from '../../../src/advisories/load-advisories.js';
import { isInsecure, parseAdvisories, parseAdvisoryFeed, type AdvisoryIndex } from '../../../src/domain/compare/advisories.js';
import { NotFoundError, ValidationError } from '../../../src/domain/errors.js';
import { advisoriesJson } from '../../support/fixtures.js';

const real = parseAdvisories(advisoriesJson());
const conflictOf = (name: string): string => (JSON.parse(advisoriesJson()) as { conflict: Record<string, string> }).conflict[name]!;
const mapOf = (conflict: Record<string, unknown>): string => JSON.stringify({ name: 'x/advisories', conflict });

/** One test per row: [package, version, covered by an advisory?]. */
const insecureTable = (index: AdvisoryIndex, rows: [string, string, boolean][]): void =>
  test.each(rows)('%s %s insecure: %s', (name, version, expected) => {
    expect(isInsecure(index, name, version)).toBe(expected);
  });

describe('parseAdvisories on the real drupal-security-advisories map', () => {
  test('understands every constraint in the map', () => {
    expect(real.skipped).toEqual([]);
    expect(real.packages.size).toBe(Object.keys(JSON.parse(advisoriesJson()).conflict).length);
  });

  insecureTable(real, [
    // drupal/core: `>=10.2,<10.2.10` (and the explicit 10.2.x list) – fixed in 10.2.10.
    ['drupal/core', '10.2.6', true],
    ['drupal/core', '10.2.9', true],
    ['drupal/core', '10.2.10', false],
    ['drupal/core', '10.3.0', false],
    // `<10.2.10` means before the first 10.2.10 pre-release (Composer adds -dev to `<` bounds).
    ['drupal/core', '10.2.10-rc1', false],
    ['drupal/core', '8.0.0-beta1', true],
    // Range-only coverage: 4.5.1 is not in the explicit list but inside `>=4,<4.6`.
    ['drupal/graphql', '4.5.1', true],
    ['drupal/graphql', '4.6.0', false],
    ['drupal/metatag', '1.8.5', true],
    ['drupal/metatag', '8.x-1.8', true],
    ['drupal/metatag', '1.26.0', false],
    // Exact entries: `3.0.1` listed, `>=3.0,<3.0.2`.
    ['drupal/admin_toolbar', '3.0.1', true],
    ['drupal/admin_toolbar', '3.4.2', false],
    // `2.3` (exact) covers composer's `2.3.0`.
    ['drupal/swiftmailer', '2.3.0', true],
    ['drupal/swiftmailer', '2.5.0', false],
    ['DRUPAL/Swiftmailer', '2.3.0', true],
    ['drupal/not_in_the_map', '0.0.1', false],
    ['drupal/core', 'dev-some-feature', false],
  ]);

  test('the explicit list in the real map agrees with the parser for every listed version', () => {
    const listed = conflictOf('drupal/group').split('|').filter((t) => !/[<>]/.test(t));
    expect(listed.length).toBeGreaterThan(10);
    for (const v of listed) expect([v, isInsecure(real, 'drupal/group', v)]).toEqual([v, true]);
  });
});

describe('constraint syntax', () => {
  const index = parseAdvisories(
    mapOf({
      'drupal/drupal': '<7.96',
      'drupal/both': '>=1.0 <1.5 || >=2.0, <2.1',
      'drupal/spaced': '>= 3.0, < 3.2',
      'drupal/caret': '^1.2',
      'drupal/tilde': '~2.3.1',
      'drupal/wild': '4.1.*',
      'drupal/le': '<=1.2.0|>5.0.0|!=9.9.9,>9.0.0',
    }),
  );

  insecureTable(index, [
    ['drupal/drupal', '7.95', true],
    ['drupal/drupal', '7.96', false],
    ['drupal/drupal', '7.x-dev', false],
    ['drupal/both', '1.4.9', true],
    ['drupal/both', '1.5.0', false],
    ['drupal/both', '2.0.5', true],
    ['drupal/both', '2.1.0', false],
    ['drupal/spaced', '3.1.0', true],
    ['drupal/spaced', '3.2.0', false],
    ['drupal/caret', '1.9.0', true],
    ['drupal/caret', '2.0.0', false],
    ['drupal/caret', '1.1.0', false],
    ['drupal/tilde', '2.3.5', true],
    ['drupal/tilde', '2.4.0', false],
    ['drupal/wild', '4.1.7', true],
    ['drupal/wild', '4.2.0', false],
    ['drupal/le', '1.2.0', true],
    ['drupal/le', '1.2.1', false],
    ['drupal/le', '5.0.1', true],
    ['drupal/le', '9.9.9', true],
  ]);

  describe('Composer 2 forms (composer/semver 3.3; the golden table checks many more)', () => {
    const composer = parseAdvisories(
      mapOf({
        'drupal/hyphen': '1.0 - 2.0',
        'drupal/flag': '>=1.0@dev <1.2',
        'drupal/caret-beta': '^1.2@beta',
        'drupal/pre': '^2.0.0-beta1',
        'drupal/any': '*',
        'drupal/not': '!=1.0.0',
        'drupal/branch': 'dev-main',
      }),
    );
    test('every one of them is understood', () => expect(composer.skipped).toEqual([]));
    test('the strict feed parser takes a snapshot that uses them (it used to refuse the whole snapshot)', () => {
      const feed = parseAdvisoryFeed(mapOf({ 'drupal/a': '1.0 - 2.0', 'drupal/b': '>=1.0@dev,<1.1' }), 'feed', 1e6);
      expect(isInsecure(feed.index, 'drupal/a', '1.5.0')).toBe(true);
      expect(() => parseAdvisoryFeed(mapOf({ 'drupal/a': '1.0 - 2.0', 'drupal/b': '~>1.0' }), 'feed', 1e6)).toThrow(/drupal\/b: ~>1.0/);
    });
    insecureTable(composer, [
      ['drupal/hyphen', '2.0.9', true],
      ['drupal/hyphen', '2.1.0-beta1', false],
      ['drupal/hyphen', '1.0.0-alpha1', true],
      ['drupal/flag', '1.0.0-dev', true],
      ['drupal/flag', '1.2.0', false],
      ['drupal/caret-beta', '1.2.0-beta1', true],
      ['drupal/caret-beta', '1.1.0', false],
      ['drupal/caret-beta', '1.3.0', true],
      // The lower bound keeps its stability: beta1 is in, the alpha before it is not.
      ['drupal/pre', '2.0.0-beta1', true],
      ['drupal/pre', '2.0.0-alpha3', false],
      // Named branches: `*` and `!=` cover them, ordered bounds never do.
      ['drupal/any', 'dev-feature', true],
      ['drupal/not', 'dev-feature', true],
      ['drupal/not', '1.0.0', false],
      ['drupal/branch', 'dev-main', true],
      ['drupal/branch', 'dev-master', false],
      ['drupal/caret', 'dev-main', false],
    ]);
  });

  test('reports what it cannot read and keeps the rest', () => {
    const index = parseAdvisories(mapOf({ 'drupal/a': '1.0|not a version!|>=2,<2.1', 'drupal/b': 42 }));
    expect(index.skipped).toEqual(['drupal/a: not a version!', 'drupal/b: 42']);
    expect(isInsecure(index, 'drupal/a', '1.0.0')).toBe(true);
    expect(isInsecure(index, 'drupal/a', '2.0.5')).toBe(true);
    expect(isInsecure(index, 'drupal/a', '3.0.0')).toBe(false);
  });

  test.each([
    ['not JSON', '{"conflict": ', /not valid JSON/],
    ['no conflict map', JSON.stringify({ name: 'x' }), /no `conflict` map/],
    ['conflict is a list', JSON.stringify({ conflict: ['drupal/a'] }), /no `conflict` map/],
  ])('rejects %s with a ValidationError', (_, text, message) => {
    expect(() => parseAdvisories(text)).toThrow(ValidationError);
    expect(() => parseAdvisories(text)).toThrow(message);
  });
});

describe('loadAdvisories', () => {
  const withDir = async (fn: (dir: string) => Promise<void>): Promise<void> => {
    const dir = await mkdtemp(join(tmpdir(), 'distro-advisories-'));
    try {
      await fn(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  test('reads the file, returns the cached index while it is unchanged, and reloads when it changes', () =>
    withDir(async (dir) => {
      const path = join(dir, 'composer.json');
      await writeFile(path, advisoriesJson());
      const first = await loadAdvisories(path);
      expect(isInsecure(first, 'drupal/core', '10.2.6')).toBe(true);
      expect(await loadAdvisories(path)).toBe(first);

      await writeFile(path, mapOf({ 'drupal/core': '<10.2.6' }));
      await utimes(path, new Date(), new Date(Date.now() + 5_000));
      const second = await loadAdvisories(path);
      expect(second).not.toBe(first);
      expect(isInsecure(second, 'drupal/core', '10.2.6')).toBe(false);
    }));

  test('a missing file is a NotFoundError; a broken file a ValidationError that is not cached', () =>
    withDir(async (dir) => {
      const path = join(dir, 'advisories.json');
      await expect(loadAdvisories(path)).rejects.toThrow(NotFoundError);
      await writeFile(path, 'garbage');
      await expect(loadAdvisories(path)).rejects.toThrow(ValidationError);
      await writeFile(path, mapOf({ 'drupal/x': '<1' }));
      await utimes(path, new Date(), new Date(Date.now() + 5_000));
      expect(isInsecure(await loadAdvisories(path), 'drupal/x', '0.5.0')).toBe(true);
    }));

  test('the bundled advisories file loads', async () => {
    const index = await loadAdvisories(join(process.cwd(), 'src/advisories/drupal-security-advisories.json'));
    expect(index.skipped).toEqual([]);
    expect(isInsecure(index, 'drupal/core', '10.2.6')).toBe(true);
  });
});
