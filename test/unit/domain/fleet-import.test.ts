/** Reading fleets: drush 8 (Aegir 3) and drush 9+ aliases, CSV, domains, roots, and first-poll selection. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parseDrushModuleList } from '../../../src/domain/drush-modules.js';
import { parseDrushAliases, parseFleetCsv, rootProblem, siteNameOf } from '../../../src/domain/fleet-import.js';
import { initialBuildsProblem, initialSelection } from '../../../src/domain/initial-builds.js';
import { selectNewBuilds } from '../../../src/domain/upstream-tracking.js';
import { FIXTURES_DIR } from '../../support/fixtures.js';

const fixture = (name: string) => readFileSync(join(FIXTURES_DIR, 'fleet', name), 'utf8');

describe('drush aliases', () => {
  test('Aegir 3 (drush 8): sites read, platform/server contexts and the hostmaster skipped, unicode to punycode', () => {
    const rows = parseDrushAliases(fixture('aegir3-aliases.json'));
    expect(rows.map((r) => [r.label, r.site, r.root, r.server, r.skipped ?? null, r.problem])).toEqual([
      ['hostmaster', null, null, null, "Aegir's own front end (hostmaster)", null],
      ['server_master', null, null, null, 'an Aegir server context, not a site', null],
      ['platform_os1233', null, null, null, 'an Aegir platform context, not a site', null],
      ['intranet.example.org', 'intranet.example.org', '/var/aegir/platforms/os-12.3.3', 'master', null, null],
      ['bücher.example.de', 'xn--bcher-kva.example.de', '/var/aegir/platforms/os-12.3.3', 'master', null, null],
    ]);
  });

  test('drush 9+: @site.env keys, URIs with scheme and path, host as the server', () => {
    const rows = parseDrushAliases(fixture('drush9-aliases.json'));
    expect(rows.map((r) => [r.site, r.root, r.server])).toEqual([
      ['community.example.org', '/var/www/os-12.4.2/html', 'web1.example.org'],
      ['stage.community.example.org', '/var/www/os-12.4.1/html', 'web2.example.org'],
      ['localhost', '/var/www/os-12.4.2/html', null],
    ]);
  });

  test('hostile input: prototype keys refuse the file; NUL, .., relative roots and bad hosts refuse the row', () => {
    expect(() => parseDrushAliases('{"constructor": {"uri": "a.example.org", "root": "/r"}}')).toThrow(/constructor/);
    expect(() => parseDrushAliases('[1]')).toThrow('The aliases are not drush site:alias JSON.');
    const rows = parseDrushAliases(
      JSON.stringify({
        a: { uri: 'a.example.org', root: '/var/aegir/platforms/../../etc' },
        b: { uri: 'b.example.org', root: 'platforms/os' },
        c: { uri: 'c.example.org', root: '/var/aegir/\u0000x' },
        d: { uri: 'no spaces allowed.org', root: '/r' },
        e: { uri: 'xn--bcher-kva.example.de', root: '/r' },
      }),
    );
    expect(rows.map((r) => r.problem ?? r.site)).toEqual([
      'the root must not contain `..` or `.` components',
      'the root must be an absolute path',
      'the root contains a control character (NUL, newline …)',
      '`no spaces allowed.org` is not a host name',
      'xn--bcher-kva.example.de',
    ]);
  });
});

describe('CSV', () => {
  test('platform by name or root; formula cells and extra cells refused per row; quoted cells', () => {
    const rows = parseFleetCsv('site,platform,server\r\na.example.org,social-12.3.3,master\n"b.example.org","/srv/os-12.4.2/",web1\n@SUM(1),x,y\nc.example.org,p,s,extra\n');
    expect(rows.map((r) => [r.line, r.site, r.platform, r.root, r.problem])).toEqual([
      [2, 'a.example.org', 'social-12.3.3', null, null],
      [3, 'b.example.org', null, '/srv/os-12.4.2', null],
      [4, null, null, null, 'a cell starts with = + - or @ (a spreadsheet formula); refused'],
      [5, null, null, null, '4 cells; expected site,platform,server'],
    ]);
  });

  test('more than 20,000 rows is refused whole, before matching', () => {
    expect(() => parseFleetCsv(Array.from({ length: 20_002 }, (_, i) => `s${i}.example.org,p`).join('\n'))).toThrow(/at most 20000/);
  });
});

test('site names and roots', () => {
  expect(siteNameOf('HTTPS://User@Example.ORG:8443/path?q')).toEqual({ site: 'example.org' });
  expect(siteNameOf('münchen.de')).toEqual({ site: 'xn--mnchen-3ya.de' });
  expect(rootProblem('/var/aegir/platforms/os-12.3.3')).toBeNull();
});

test('drush pm:list JSON: enabled machine names; prototype keys refused', () => {
  expect(parseDrushModuleList('m', '{"views":{"status":"Enabled"},"ban":{"status":"Disabled"},"node":{}}')).toEqual(['node', 'views']);
  expect(parseDrushModuleList('m', '[]')).toEqual([]);
  expect(() => parseDrushModuleList('m', '{"__proto__":{"status":"Enabled"}}')).toThrow(/__proto__/);
});

describe('initialBuilds', () => {
  const tags = new Map(['12.0.0', '12.1.0', '12.2.0', '12.3.0'].map((t, i) => [t, String(i).repeat(40)]));
  const first = (initialBuilds?: number | 'all') => selectNewBuilds({ branch: null, tagPattern: '12.*', ...(initialBuilds !== undefined ? { initialBuilds } : {}) }, {}, { tags }).builds.map((b) => b.ref);

  test('a first poll builds the newest only, the newest N, or all; every matching tag is marked seen either way', () => {
    expect(first()).toEqual(['12.3.0']);
    expect(first(2)).toEqual(['12.2.0', '12.3.0']);
    expect(first('all')).toEqual(['12.0.0', '12.1.0', '12.2.0', '12.3.0']);
    expect(JSON.parse(selectNewBuilds({ branch: null, tagPattern: '12.*' }, {}, { tags }).pollState['tags']!)).toHaveLength(4);
    expect(initialSelection([1, 2, 3], 5)).toEqual([1, 2, 3]);
  });

  test('bad values are named', () => {
    expect(initialBuildsProblem(0)).toBe('"all" or a whole number from 1 to 500');
    expect(initialBuildsProblem('newest')).not.toBeNull();
    expect(initialBuildsProblem(3)).toBeNull();
  });
});
