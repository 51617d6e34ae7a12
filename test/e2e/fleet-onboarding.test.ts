/**
 * Bringing an existing fleet in, through the product's HTTP surfaces (API and signed-in pages) on the embedded
 * store, against a real git upstream: the first poll builds the newest release only; an older tag is built from
 * the releases page, the others through the API; 200 Aegir 3 aliases over 6 real code bases are previewed,
 * applied and applied again; the adopted sites carry their modules; bad input is refused with nothing written.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { OPEN_SOCIAL_VERSIONS } from '../support/fixtures.js';
import { makeFleetOnDisk, SITE_MODULES, type FleetOnDisk } from '../support/fleet-fixture.js';
import { createOpenSocialRepo, makeTempDir, type GitFixtureRepo } from '../support/git-fixtures.js';
import { ADMIN_TOKEN, api } from '../support/http.js';
import { startProduct, type ProductServer } from '../support/product-server.js';
import { adminUsersEnv, PASSWORDS, SessionClient } from '../support/sign-in.js';
import { waitFor } from '../support/wait.js';

const SIX = OPEN_SOCIAL_VERSIONS.slice(-6);
const BUILT = SIX.slice(0, 5);
const UNBUILT = SIX[5]!;
const NEWEST_BUILT = BUILT[BUILT.length - 1]!;

let product: ProductServer;
let repo: GitFixtureRepo;
let alice: SessionClient;
let fleet: FleetOnDisk;
const call = (method: string, path: string, body?: unknown) => api(product.url, method, path, body);

const releases = async (): Promise<Array<{ ref: string; state: string; platform: string | null }>> => (await call('GET', '/api/distributions/social/builds')).body.releases;

beforeAll(async () => {
  const dir = await makeTempDir('distro-fleet-e2e-');
  // The upstream has every release up to NEWEST_BUILT; UNBUILT is a release Distro never saw.
  repo = await createOpenSocialRepo(dir, OPEN_SOCIAL_VERSIONS.filter((v) => v !== UNBUILT));
  product = await startProduct({ ADMIN_TOKEN, ADMIN_USERS: await adminUsersEnv(), ALLOW_LOCAL_UPSTREAMS: 'true' });
  alice = new SessionClient(product.url);
  await alice.login('alice', PASSWORDS.alice);
}, 60_000);
afterAll(() => product?.stop());

describe('bring a fleet in', () => {
  test('the first poll builds the newest release only (initialBuilds 1); the form shows the setting', async () => {
    const created = await call('POST', '/api/distributions', {
      slug: 'social',
      title: 'Open Social 12',
      upstream: { kind: 'git', url: repo.url, tagPattern: '12.*', manifestPath: 'composer.lock', initialBuilds: 1 },
      policy: { pollIntervalMinutes: 0, autoTarget: true },
    });
    expect(created.status).toBe(201);
    expect((await call('PATCH', '/api/distributions/social', { upstream: { kind: 'git', url: repo.url, tagPattern: '12.*', manifestPath: 'composer.lock', initialBuilds: 0 } })).body.error.issues).toEqual([
      'upstream.initialBuilds: "all" or a whole number from 1 to 500',
    ]);
    expect((await call('POST', '/api/distributions/social/poll')).status).toBe(202);
    await waitFor(async () => (await releases()).some((r) => r.ref === NEWEST_BUILT && r.state === 'built'), 'the newest release built', 60_000);
    const states = await releases();
    expect(states.filter((r) => r.state === 'built').map((r) => r.ref)).toEqual([NEWEST_BUILT]);
    expect(states.filter((r) => r.state === 'not built')).toHaveLength(OPEN_SOCIAL_VERSIONS.length - 2);
    const form = await alice.get('/distributions/social/edit');
    expect(form.text).toMatch(/name="upstream\.initialBuilds"[^>]*value="1"/);
  }, 90_000);

  test('an older tag is built from the releases page; the rest through the API; a hostile ref is refused naming the field', async () => {
    const page = await alice.get('/distributions/social/releases');
    expect(page.status).toBe(200);
    expect(page.text).toContain(`<tr data-ref="${BUILT[0]}">`);
    expect(page.text).toContain(`Build ${BUILT[0]}`);
    expect(page.text).toMatch(/id="build-all"/);
    const built = await alice.submit('/distributions/social/releases', '/distributions/social/builds', { ref: BUILT[0]! });
    expect(built.status).toBe(202);
    expect(built.text).toContain(`${BUILT[0]}: queued as social-${BUILT[0]}`);

    const bad = await call('POST', '/api/distributions/social/builds', { ref: '--upload-pack=touch /tmp/pwned' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0]).toMatch(/^ref: not a valid git tag or branch name/);
    const unknown = await call('POST', '/api/distributions/social/builds', { ref: '99.0.0' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toBe('No tag or branch `99.0.0` at the upstream of social.');

    const rest = await call('POST', '/api/distributions/social/builds', { refs: BUILT.slice(1, 4) });
    expect(rest.status).toBe(202);
    expect(rest.body.results.map((r: { outcome: string }) => r.outcome)).toEqual(['queued', 'queued', 'queued']);
    await waitFor(async () => (await releases()).filter((r) => BUILT.includes(r.ref) && r.state === 'built').length === BUILT.length, 'five releases built', 120_000);
    const again = await call('POST', '/api/distributions/social/builds', { ref: BUILT[0] });
    expect(again.status).toBe(200);
    expect(again.body.outcome).toBe('already-built');
  }, 150_000);

  test('200 aliases: dry run, apply, apply again; sites on the right builds with their modules; nothing touched', async () => {
    fleet = await makeFleetOnDisk(product.app.config.dataDir, SIX, 200);
    const perRoot = (v: string) => [...fleet.sites.values()].filter((x) => x === v).length;
    const preview = await call('POST', '/api/import', { format: 'drush-json', content: fleet.aliasesJson });
    expect(preview.status).toBe(200);
    expect(preview.body.applied).toBe(false);
    expect(preview.body.counts).toMatchObject({ create: 200 - perRoot(UNBUILT), refused: perRoot(UNBUILT), already: 0 });
    expect(preview.body.platforms.find((p: { source: string }) => p.source === fleet.roots[UNBUILT])).toMatchObject({
      platform: null,
      reason: `no build of social matches ${fleet.roots[UNBUILT]}: build ${UNBUILT} first`,
    });
    expect((await call('GET', '/api/sites')).body.total).toBe(0);

    const applied = await call('POST', '/api/import?apply=true', { format: 'drush-json', content: fleet.aliasesJson });
    expect(applied.status).toBe(201);
    expect(applied.body.counts.created).toBe(200 - perRoot(UNBUILT));
    const again = await call('POST', '/api/import?apply=true', { format: 'drush-json', content: fleet.aliasesJson });
    expect(again.status).toBe(200);
    expect(again.body.counts).toMatchObject({ created: 0, already: 200 - perRoot(UNBUILT) });
    expect((await call('GET', '/api/sites?limit=1')).body.total).toBe(200 - perRoot(UNBUILT));

    const [name, version] = [...fleet.sites.entries()].find(([, v]) => v === BUILT[0])!;
    const site = (await call('GET', `/api/sites/${name}`)).body;
    expect(site.modules).toEqual([...SITE_MODULES].sort());
    expect((await call('GET', `/api/platforms/social-${version}`)).body.id).toBe(site.platformId);
    const audit = (await call('GET', '/api/audit?action=fleet.import')).body;
    expect(audit.items).toHaveLength(1);

    // The imported sites are upgradable like any other: an upgrade of the oldest build's sites to the target compares them.
    const plan = await call('POST', '/api/upgrades', { scope: { kind: 'platform', name: `social-${BUILT[0]}` } });
    expect(plan.status).toBe(201);
    expect(plan.body.target.name).toBe(`social-${NEWEST_BUILT}`);
    expect(plan.body.groups[0].sites).toHaveLength(perRoot(BUILT[0]!));
  }, 60_000);

  test('the import page previews a pasted CSV and applies it; adoption from the form; refusals say why', async () => {
    const root = fleet.roots[BUILT[1]!]!;
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(root, 'sites', 'pasted.example.org'), { recursive: true });
    const csv = `site,platform,server\npasted.example.org,${root},master\n=cmd|' /C calc'!A0,${root},master\n`;
    const preview = await alice.submit('/import', '/import', { format: 'csv', content: csv });
    expect(preview.status).toBe(200);
    expect(preview.text).toContain('pasted.example.org');
    expect(preview.text).toMatch(/a cell starts with = \+ - or @/);
    const applied = await alice.submit('/import', '/import', { format: 'csv', content: csv, apply: 'yes' });
    expect(applied.status).toBe(200);
    expect(applied.text).toMatch(/Imported 1 site/);
    expect((await call('GET', '/api/sites/pasted.example.org')).body.platformId).toBe((await call('GET', `/api/platforms/social-${BUILT[1]}`)).body.id);

    const refused = await alice.submit('/new-site', '/new-site', { name: 'ghost.example.org', platform: `social-${BUILT[2]}`, adopt: 'on' });
    expect(refused.status).toBe(422);
    expect(refused.text).toMatch(/Site ghost\.example\.org was not found on platform/);
    expect((await call('GET', '/api/sites/ghost.example.org')).status).toBe(404);
    const viaApi = await call('POST', '/api/sites', { name: 'ghost.example.org', platform: `social-${BUILT[2]}`, adopt: true });
    expect(viaApi.status).toBe(422);
  });

  test('bad bodies: over the size limit, the wrong shape, a raw CSV; nothing written', async () => {
    const before = (await call('GET', '/api/sites?limit=1')).body.total;
    const big = await fetch(`${product.url}/api/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ format: 'csv', content: 'x'.repeat(50 * 1024 * 1024) }),
    });
    expect(big.status).toBe(413);
    const shape = await call('POST', '/api/import', { format: 'yaml', content: '' });
    expect(shape.status).toBe(400);
    expect(shape.body.error.issues[0]).toMatch(/^format/);
    const raw = await fetch(`${product.url}/api/import?apply=true`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/csv' },
      body: `site,platform\nconstructor,social-${BUILT[0]}\n__proto__.example.org,social-${BUILT[0]}\n`,
    });
    expect(raw.status).toBe(200);
    const rows = ((await raw.json()) as { rows: Array<{ action: string; reason?: string }> }).rows;
    expect(rows.map((r) => r.action)).toEqual(['refused', 'refused']);
    expect((await call('GET', '/api/sites?limit=1')).body.total).toBe(before);
  });
});
