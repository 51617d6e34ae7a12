import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isManifestFile, parseManifest } from '../../../src/domain/compare/manifest.js';
import { parseYaml } from '../../../src/domain/compare/parse-yaml.js';
import { ValidationError } from '../../../src/domain/errors.js';
import { OPEN_SOCIAL_VERSIONS, openSocialBuild } from '../../support/fixtures.js';

const DATA = join(dirname(fileURLToPath(import.meta.url)), 'data');
const data = (name: string): string => readFileSync(join(DATA, name), 'utf8');
const versionOf = (m: ReturnType<typeof parseManifest>, name: string): string | undefined =>
  m.packages.find((p) => p.name === name)?.version;

describe('parseManifest: composer.lock (real Open Social builds)', () => {
  test.each(OPEN_SOCIAL_VERSIONS.map((v) => [v]))('%s: every locked package, with the profile at its own version', (v) => {
    const build = openSocialBuild(v);
    const lock = JSON.parse(build.files['composer.lock']!) as { packages: { name: string }[]; 'packages-dev': unknown[] };
    const m = parseManifest(build.files);
    expect(m.format).toBe('composer');
    expect(m.packages).toHaveLength(lock.packages.length + lock['packages-dev'].length);
    expect(versionOf(m, 'goalgorilla/open_social')).toBe(v);
    expect(m.packages.find((p) => p.name === 'drupal/core')?.type).toBe('drupal-core');
    expect(m.packages.map((p) => p.name)).toEqual([...m.packages.map((p) => p.name)].sort());
    expect(Object.keys(m.files).sort()).toEqual(['composer.json', 'composer.lock']);
  });

  test('v-prefixed tags are normalised, Drupal versions kept as composer has them', () => {
    const m = parseManifest(openSocialBuild('12.3.3').files);
    expect(versionOf(m, 'symfony/console')).toBe('6.4.6'); // locked as v6.4.6
    expect(versionOf(m, 'drupal/core')).toBe('10.2.5');
    expect(versionOf(m, 'drupal/data_policy')).toBe('2.0.0-beta9');
  });

  test('dev branches keep their commit; packages-dev are included; other files are dropped', () => {
    const lock = JSON.stringify({
      packages: [
        { name: 'drupal/foo', version: '2.x-dev', type: 'drupal-module', source: { reference: 'abcdef0123456789' } },
        { name: 'Vendor/Lib', version: 'dev-master', type: 'library', source: { reference: '9876543210' } },
      ],
      'packages-dev': [{ name: 'drupal/devel', version: '5.1.0', type: 'drupal-module' }],
    });
    const m = parseManifest({ 'composer.lock': lock, 'README.md': '# hi', 'web/modules/custom/x/x.info.yml': 'name: X' });
    expect(m.packages).toEqual([
      { name: 'drupal/devel', version: '5.1.0', type: 'drupal-module' },
      { name: 'drupal/foo', version: '2.x-dev#abcdef0', type: 'drupal-module' },
      { name: 'vendor/lib', version: 'dev-master#9876543', type: 'library' },
    ]);
    expect(Object.keys(m.files).sort()).toEqual(['composer.lock', 'web/modules/custom/x/x.info.yml']);
  });

  test('a UTF-8 byte-order mark in front of a valid lock is fine', () => {
    const lock = '\uFEFF' + JSON.stringify({ packages: [{ name: 'drupal/core', version: '10.2.6', type: 'drupal-core' }] });
    expect(parseManifest({ 'composer.lock': lock }).packages).toEqual([{ name: 'drupal/core', version: '10.2.6', type: 'drupal-core' }]);
  });

  test('a branch build records what orders it: extra.drupal.version first, else its branch-alias', () => {
    const pkg = (name: string, extra: unknown) => ({ name, version: 'dev-1.x', type: 'drupal-module', source: { reference: 'c0ffee0123' }, extra });
    const m = parseManifest({
      'composer.lock': JSON.stringify({
        packages: [
          pkg('drupal/a', { drupal: { version: '8.x-1.0-beta2+12-dev' }, 'branch-alias': { 'dev-1.x': '1.x-dev' } }),
          pkg('drupal/b', { 'branch-alias': { 'dev-1.x': '1.x-dev' } }),
          pkg('drupal/c', { 'branch-alias': { 'dev-2.x': '2.x-dev' } }),
        ],
      }),
    });
    expect(m.packages.map((p) => [p.name, p.version, p.order])).toEqual([
      ['drupal/a', 'dev-1.x#c0ffee0', '1.0-beta2+12-dev'],
      ['drupal/b', 'dev-1.x#c0ffee0', '1.x-dev'],
      ['drupal/c', 'dev-1.x#c0ffee0', undefined],
    ]);
  });

  test('the root composer.lock wins over a nested one', () => {
    const lock = (v: string) => JSON.stringify({ packages: [{ name: 'drupal/core', version: v }] });
    const m = parseManifest({ 'vendor/x/composer.lock': lock('9.0.0'), 'composer.lock': lock('10.2.6') });
    expect(versionOf(m, 'drupal/core')).toBe('10.2.6');
  });

  test('falls back to composer.json require (without platform requirements) when there is no lock', () => {
    const m = parseManifest({ 'composer.json': openSocialBuild('12.4.2').files['composer.json']! });
    expect(m.format).toBe('composer');
    expect(m.packages).toEqual([
      { name: 'goalgorilla/open_social', version: JSON.parse(openSocialBuild('12.4.2').files['composer.json']!).require['goalgorilla/open_social'] },
      { name: 'monolog/monolog', version: '^2.3.5' },
    ]);
  });

  test('no manifest file at all gives an empty `none` manifest', () => {
    expect(parseManifest({ 'index.php': '<?php' })).toEqual({ format: 'none', packages: [], files: {} });
  });

  test.each([
    ['composer.lock', '{"packages": [', /composer.lock is not valid JSON/],
    ['composer.lock', '{"name": "not a lock"}', /no `packages` list/],
    ['composer.lock', '{"packages": [{"name": "a/b"}]}', /malformed package entries: packages\[0\] \(a\/b\) has no version/],
    ['composer.lock', '{"packages": [{"name": "a/b", "version": " "}]}', /packages\[0\] \(a\/b\) has no version/],
    ['composer.lock', '{"packages": [{"version": "1.0.0"}]}', /packages\[0\] has no name/],
    [
      'composer.lock',
      '{"packages": [{"name": "a/b", "version": "1.0.0"}], "packages-dev": [{"name": "A/B", "version": "2.0.0"}]}',
      /A\/B is listed twice: packages\[0\] and packages-dev\[0\]/,
    ],
    ['composer.lock', '{"packages": [], "extra": {"__proto__": {"x": 1}}}', /composer.lock uses the key `__proto__`/],
    ['composer.json', '{"require": {"constructor": "1.0"}}', /composer.json uses the key `constructor`/],
    ['platform.make', 'projects[__proto__][version] = 1', /platform.make line 1 uses the key `__proto__`/],
    ['platform.make', 'core = 7.x\nprojects[views][prototype] = 1', /platform.make line 2 uses the key `prototype`/],
    ['platform.make.yml', 'projects:\n  __proto__:\n    version: 1', /platform.make.yml uses the key `__proto__`/],
    ['composer.json', '[1, 2]', /not a JSON object/],
    ['composer.json', '{"require": {"drupal/core": "  "}}', /composer.json has malformed requirements: require.drupal\/core has no version constraint/],
    ['platform.make', 'projects[views][version] 3.14', /platform.make line 1: expected `key = value`/],
    ['platform.make.yml', 'projects:\n  views: 1\n    ctools: 2', /platform.make.yml: .*at line 2, column 10$/],
  ])('malformed %s is a ValidationError naming the file', (path, text, message) => {
    expect(() => parseManifest({ [path]: text })).toThrow(ValidationError);
    expect(() => parseManifest({ [path]: text })).toThrow(message);
  });
});

describe('parseManifest: Drush makefiles', () => {
  const expected = (views: string) => [
    { name: 'drupal/admin_menu', version: '3.x-dev#0123456', type: 'drupal-module' },
    { name: 'drupal/ctools', version: '1.21', type: 'drupal-module' },
    { name: 'drupal/drupal', version: '7.96', type: 'drupal-core' },
    { name: 'drupal/mytheme', version: '2.0-beta2', type: 'drupal-theme' },
    { name: 'drupal/token', version: 'unspecified', type: 'drupal-module' },
    { name: 'drupal/views', version: views, type: 'drupal-module' },
  ];

  test('INI makefile', () => {
    const m = parseManifest({ 'd7-platform.make': data('d7-platform.make') });
    expect(m.format).toBe('make');
    expect(m.packages).toEqual(expected('3.14'));
    expect(Object.keys(m.files)).toEqual(['d7-platform.make']);
  });

  test('YAML makefile (block and flow style; versions stay strings)', () => {
    const m = parseManifest({ 'd7-platform.make.yml': data('d7-platform.make.yml') });
    expect(m.format).toBe('make');
    expect(m.packages).toEqual(expected('3.10'));
  });

  test('a lock file takes precedence over makefiles', () => {
    const m = parseManifest({ ...openSocialBuild('12.0.0').files, 'd7-platform.make': data('d7-platform.make') });
    expect(m.format).toBe('composer');
    expect(Object.keys(m.files)).toContain('d7-platform.make');
  });
});

describe('parseYaml (the yaml package, failsafe schema)', () => {
  test('mappings, sequences, flow collections, quotes and comments; every scalar a string', () => {
    const text = [
      '---',
      'a: 1.10 # comment',
      'b: "x # not a comment"',
      "c: 'it''s'",
      'list:',
      '- one',
      '- two: 2',
      '  three: 3',
      'nested:',
      '  deep:',
      '    - [x, "y"]',
      'flow: { k: { v: "1.0" }, e: ~ }',
      'yes: true',
      'empty:',
    ].join('\n');
    expect(parseYaml(text)).toEqual({
      a: '1.10',
      b: 'x # not a comment',
      c: "it's",
      list: ['one', { two: '2', three: '3' }],
      nested: { deep: [['x', 'y']] },
      flow: { k: { v: '1.0' }, e: '~' },
      yes: 'true',
      empty: '',
    });
  });

  test('maps are null-prototype objects', () => {
    const doc = parseYaml('a:\n  b: c\n') as Record<string, Record<string, string>>;
    expect(Object.getPrototypeOf(doc)).toBeNull();
    expect(Object.getPrototypeOf(doc.a)).toBeNull();
  });

  test.each([
    ['a:\n\tb: 1', /x.yml: .*line 2/],
    ['a: { b: 1', /x.yml: /],
    ["a: { b: 'open }", /x.yml: .*line 1/],
    ['a: &x [1]\nb: *y', /x.yml: .*y/],
    ['? [a, b]\n: c', /only plain text keys/],
  ])('rejects %j naming the file', (text, message) => {
    expect(() => parseYaml(text, 'x.yml')).toThrow(ValidationError);
    expect(() => parseYaml(text, 'x.yml')).toThrow(message);
  });

  test('nesting: 20 levels of block mappings parse, 70 are refused before parsing', () => {
    const nested = (levels: number) => Array.from({ length: levels }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n') + ' leaf\n';
    let node = parseYaml(nested(20)) as Record<string, unknown>;
    for (let i = 0; i < 19; i++) node = node[`k${i}`] as Record<string, unknown>;
    expect(node).toEqual({ k19: 'leaf' });
    expect(() => parseYaml(nested(70), 'deep.yml')).toThrow('deep.yml: nests deeper than 64 levels');
    expect(parseYaml(`a: ${'['.repeat(30)}x${']'.repeat(30)}`)).toEqual({ a: expect.any(Array) });
  });

  test('a few aliases are fine; an alias bomb is refused', () => {
    expect(parseYaml('a: &x [v]\nb: *x\n')).toEqual({ a: ['v'], b: ['v'] });
    const levels = ['l0: &l0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) levels.push(`l${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(', ')}]`);
    expect(() => parseYaml(levels.join('\n'), 'bomb.yml')).toThrow(/bomb.yml: .*alias/i);
  });
});

describe('isManifestFile', () => {
  test.each([
    ['composer.json', true],
    ['sub/dir/composer.lock', true],
    ['build.make', true],
    ['build.make.yml', true],
    ['profiles/social/social.info.yml', true],
    ['sites/all/modules/x/x.info', true],
    ['composer.json.bak', false],
    ['README.md', false],
  ])('%s → %s', (path, expected) => {
    expect(isManifestFile(path)).toBe(expected);
  });
});
