/**
 * Fleet import and adoption through the services, on both stores, against real directories read by the real
 * local driver: 200 Aegir 3 aliases over 6 code bases (5 byte-identical to a build, 1 to none) previewed, applied,
 * applied again (nothing changes), the adopted sites' modules recorded; adoption refused for a missing directory;
 * bad input refused per row with nothing written.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { Actor } from '../../src/domain/actor.js';
import { LocalDriver } from '../../src/hosting/local-driver.js';
import { createServices } from '../../src/services/create-services.js';
import { EventBus } from '../../src/services/event-bus.js';
import type { Services } from '../../src/services/services.js';
import { FIXTURES_DIR, OPEN_SOCIAL_VERSIONS } from '../support/fixtures.js';
import { makeFleetOnDisk, SITE_MODULES, type FleetOnDisk } from '../support/fleet-fixture.js';
import { makeTempDir } from '../support/git-fixtures.js';
import { describeEachStore, type StoreInstance } from '../support/stores.js';

const actor: Actor = { kind: 'admin', user: 'ops', surface: 'api' } as unknown as Actor;
const SIX = OPEN_SOCIAL_VERSIONS.slice(-6);
const BUILT = SIX.slice(0, 5);
const UNBUILT = SIX[5]!;

await describeEachStore('fleet import', (kind) => {
  let store: StoreInstance;
  let services: Services;
  let dir: string;
  let fleet: FleetOnDisk;

  beforeAll(async () => {
    store = await kind.create();
    dir = await makeTempDir('distro-fleet-');
    const driver = new LocalDriver({ root: join(dir, 'data') });
    services = createServices({ repos: store.repos, jobs: store.jobs, events: new EventBus(), hostingReads: driver, links: { secret: 'x'.repeat(32), ttlMs: 1000, publicUrl: 'http://127.0.0.1:1' } });
    await services.distributions.create({ slug: 'social', title: 'Open Social' }, actor);
    // Builds of five releases (registered with their composer.lock, as a build records it).
    for (const v of BUILT) {
      const lock = await readFile(join(FIXTURES_DIR, 'open-social', v, 'composer.lock'), 'utf8');
      await services.platforms.register({ name: `social-${v}`, distribution: 'social', ref: v, commit: v.replace(/\./g, '').padEnd(40, 'a'), files: { 'composer.lock': lock } }, actor);
    }
    fleet = await makeFleetOnDisk(join(dir, 'data'), SIX, 200);
  });
  afterAll(async () => {
    await store.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  const sitesOnRoot = (v: string) => [...fleet.sites.values()].filter((x) => x === v).length;

  test('dry run previews every row and every root, and writes nothing', async () => {
    const preview = await services.imports.run({ format: 'drush-json', content: fleet.aliasesJson }, actor);
    expect(preview.applied).toBe(false);
    const unbuilt = sitesOnRoot(UNBUILT);
    expect(preview.counts).toMatchObject({ create: 200 - unbuilt, already: 0, refused: unbuilt, skipped: 2 + SIX.length, created: 0 });
    for (const v of BUILT) expect(preview.platforms).toContainEqual({ source: fleet.roots[v], platform: `social-${v}`, by: 'manifest', rows: sitesOnRoot(v) });
    const none = preview.platforms.find((p) => p.source === fleet.roots[UNBUILT])!;
    expect(none.platform).toBeNull();
    expect(none.reason).toBe(`no build of social matches ${fleet.roots[UNBUILT]}: build ${UNBUILT} first`);
    expect(preview.rows.find((r) => r.label === 'hostmaster')).toMatchObject({ action: 'skipped', reason: "Aegir's own front end (hostmaster)" });
    expect((await services.sites.list()).total).toBe(0);
  });

  test('apply records the sites on their matching builds with their modules, once; a second apply changes nothing', async () => {
    const applied = await services.imports.run({ format: 'drush-json', content: fleet.aliasesJson, apply: true }, actor);
    const expected = 200 - sitesOnRoot(UNBUILT);
    expect(applied.counts.created).toBe(expected);
    expect((await services.sites.list()).total).toBe(expected);
    const one = [...fleet.sites.entries()].find(([, v]) => v === BUILT[0])![0];
    const site = await services.sites.get(one);
    expect(site.status).toBe('enabled');
    expect(site.modules).toEqual([...SITE_MODULES].sort());
    expect((await services.platforms.get(`social-${BUILT[0]}`)).id).toBe(site.platformId);
    const audit = await services.audit.list({ action: ['fleet.import'] }, { limit: 10 });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]!.details).toMatchObject({ created: expected, refused: sitesOnRoot(UNBUILT) });

    const again = await services.imports.run({ format: 'drush-json', content: fleet.aliasesJson, apply: true }, actor);
    expect(again.counts).toMatchObject({ created: 0, create: 0, already: expected });
    expect((await services.sites.list()).total).toBe(expected);
    expect((await services.audit.list({ action: ['fleet.import'] }, { limit: 10 })).items).toHaveLength(1);
  });

  test('adoption: found on disk with its modules; a missing directory is refused and nothing recorded', async () => {
    await expect(services.sites.adopt({ name: 'ghost.example.org', platform: `social-${BUILT[1]}` }, actor)).rejects.toThrow(
      /Site ghost\.example\.org was not found on platform `social-[\d.]+`: there is no directory .*ghost\.example\.org\. Nothing was recorded\./,
    );
    await expect(services.sites.get('ghost.example.org')).rejects.toThrow();
    // A platform registered by hand takes the sites the driver finds in its directory.
    const hand = `social-${BUILT[2]}`;
    const { mkdir, writeFile } = await import('node:fs/promises');
    const siteDir = join(dir, 'data', 'platforms', hand, 'sites', 'adopted.example.org');
    await mkdir(siteDir, { recursive: true });
    await writeFile(join(siteDir, 'modules.json'), JSON.stringify({ social_core: { status: 'Enabled' }, views: { status: 'Disabled' } }));
    const adopted = await services.sites.adopt({ name: 'adopted.example.org', platform: hand }, actor);
    expect(adopted.modules).toEqual(['social_core']);
    expect((await services.audit.list({ action: ['site.adopt'] }, { limit: 10 })).items).toHaveLength(1);
  });

  test('bad rows are refused one by one with the reason; a bad file is refused whole; nothing is written', async () => {
    const before = (await services.sites.list()).total;
    const root = fleet.roots[BUILT[0]!]!;
    const csv = [
      'site,platform,server',
      `=HYPERLINK("http://evil"),${root},master`,
      `dup.example.org,${root},master`,
      `dup.example.org,${fleet.roots[BUILT[1]!]},master`,
      `outside.example.org,/etc,master`,
      `dots.example.org,${root}/../os-x,master`,
      `bücher.example.de,${root},master`,
      `nope.example.org,no-such-platform,master`,
    ].join('\n');
    const preview = await services.imports.run({ format: 'csv', content: csv, apply: false }, actor);
    const reason = (label: string) => preview.rows.filter((r) => r.label.includes(label)).map((r) => `${r.action}: ${r.reason ?? ''}`);
    expect(reason('HYPERLINK')).toEqual([expect.stringMatching(/^refused: a cell starts with = \+ - or @/)]);
    expect(reason('dup.example.org')).toEqual([expect.stringMatching(/^refused: dup\.example\.org is listed more than once with different platforms/), expect.stringMatching(/^refused: /)]);
    expect(reason('outside')).toEqual([expect.stringMatching(/^refused: cannot read \/etc: .*outside/)]);
    expect(reason('dots')).toEqual(['refused: the root must not contain `..` or `.` components']);
    // Unicode domains become punycode (no such directory here, so refused as not found, under its ASCII name).
    expect(preview.rows.find((r) => r.label.startsWith('bücher'))).toMatchObject({ site: 'xn--bcher-kva.example.de', action: 'refused' });
    expect(reason('nope')).toEqual(['refused: no platform named no-such-platform']);
    await services.imports.run({ format: 'csv', content: csv, apply: true }, actor);
    expect((await services.sites.list()).total).toBe(before);

    await expect(services.imports.run({ format: 'drush-json', content: '{"__proto__": {"uri": "x.example.org"}}' }, actor)).rejects.toThrow(/__proto__/);
    await expect(services.imports.run({ format: 'drush-json', content: '{"a.example.org": {"uri": "a.example.org\\u0000", "root": "/x"}}' }, actor)).resolves.toMatchObject({
      rows: [expect.objectContaining({ action: 'refused', reason: expect.stringContaining('control character') })],
    });
    const many = 'site,platform\n' + Array.from({ length: 100_000 }, (_, i) => `s${i}.example.org,p`).join('\n');
    await expect(services.imports.run({ format: 'csv', content: many }, actor)).rejects.toThrow(/at most 20000/);
    expect((await services.sites.list()).total).toBe(before);
  });

  test('a platform registered by hand with the root (an Aegir platform) takes that root\'s sites, matched by path', async () => {
    const before = (await services.sites.list()).total;
    await expect(services.platforms.register({ name: 'aegir-bad', distribution: 'social', ref: 'x', commit: 'b'.repeat(40), path: '/var/aegir/../etc' }, actor)).rejects.toMatchObject({
      issues: ['path: must not contain `..` or `.` components'],
    });
    await services.platforms.register({ name: `aegir-os-${UNBUILT}`, distribution: 'social', ref: UNBUILT, commit: 'c'.repeat(40), path: `${fleet.roots[UNBUILT]}/` }, actor);
    const applied = await services.imports.run({ format: 'drush-json', content: fleet.aliasesJson, apply: true }, actor);
    expect(applied.platforms.find((p) => p.source === fleet.roots[UNBUILT])).toMatchObject({ platform: `aegir-os-${UNBUILT}`, by: 'root' });
    expect(applied.counts.created).toBe(sitesOnRoot(UNBUILT));
    expect((await services.sites.list()).total).toBe(before + sitesOnRoot(UNBUILT));
  });
});
