import { beforeAll, describe, expect, test } from '@jest/globals';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HostingError, ValidationError } from '../../../src/domain/errors.js';
import { LocalDriver } from '../../../src/hosting/local-driver.js';
import { runProcess } from '../../../src/hosting/run-command.js';
import { runGit } from '../../../src/upstream/git-exec.js';
import { pathExists } from '../../../src/hosting/paths.js';
import { aDistribution, aPlatform, aSite } from '../../support/domain-builders.js';
import { readTree } from '../../support/file-tree.js';
import { openSocialBuild } from '../../support/fixtures.js';
import { addVersion, createOpenSocialRepo, makeTempDir, type GitFixtureRepo } from '../../support/git-fixtures.js';
import { addSiteContent } from '../../support/migration-world.js';

const platform = (name: string, commit = 'a'.repeat(40)) => aPlatform(name, { source: { ref: name, commit } });
const site = aSite;
const distribution = aDistribution;

const logs = () => {
  const lines: string[] = [];
  return { lines, log: (m: string) => void lines.push(m) };
};

/** The version recorded in a fixture's composer.lock, read straight from the JSON. */
const lockedVersion = (version: string, pkg: string): string => {
  const lock = JSON.parse(openSocialBuild(version).files['composer.lock']!) as { packages: Array<{ name: string; version: string }> };
  return lock.packages.find((p) => p.name === pkg)!.version;
};

describe('LocalDriver.buildPlatform', () => {
  let dir: string;
  let upstream: GitFixtureRepo;
  beforeAll(async () => {
    dir = await makeTempDir('distro-build-');
    upstream = await createOpenSocialRepo(join(dir, 'up'), ['12.3.3', '12.4.2']);
  });

  test('clones the upstream at the platform commit and reads its composer manifest', async () => {
    const driver = new LocalDriver({ allowLocalUpstreams: true, root: join(dir, 'data1') });
    const p = platform('social-12.3.3', upstream.commits['12.3.3']);
    const { lines, log } = logs();
    const built = await driver.buildPlatform(p, distribution({ kind: 'git', url: upstream.url, manifestPath: 'composer.json' }), log);

    expect(built.path).toBe(join(dir, 'data1', 'platforms', 'social-12.3.3'));
    const head = await runGit(['-C', built.path, 'rev-parse', 'HEAD']);
    expect(head.stdout.trim()).toBe(upstream.commits['12.3.3']);
    expect(built.manifest.format).toBe('composer');
    expect(Object.keys(built.manifest.files).sort()).toEqual(['composer.json', 'composer.lock']);
    const core = built.manifest.packages.find((x) => x.name === 'drupal/core');
    expect(core?.version).toBe(lockedVersion('12.3.3', 'drupal/core').replace(/^v/, ''));
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^Mirroring /), expect.stringMatching(/^Checking out /)]));
  });

  test('rebuilding an existing checkout at a new commit keeps its sites and reuses the mirror', async () => {
    const driver = new LocalDriver({ allowLocalUpstreams: true, root: join(dir, 'data2') });
    const d = distribution({ kind: 'git', url: upstream.url, manifestPath: 'composer.json' });
    await driver.buildPlatform(platform('p', upstream.commits['12.3.3']), d, () => {});
    await driver.installSite(site('kept.example.org'), platform('p'), () => {});
    const { lines, log } = logs();
    const rebuilt = await driver.buildPlatform(platform('p', upstream.commits['12.4.2']), d, log);
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^Mirror cache already has/), expect.stringMatching(/^Updating checkout/)]));
    expect(lines.some((l) => l.startsWith('Mirroring'))).toBe(false);
    expect(rebuilt.manifest.packages.find((x) => x.name === 'drupal/core')?.version).toBe(lockedVersion('12.4.2', 'drupal/core').replace(/^v/, ''));
    expect(await pathExists(join(rebuilt.path, 'sites', 'kept.example.org', 'settings.php'))).toBe(true);
  });

  test('fetches a commit pushed upstream after the mirror was made', async () => {
    const driver = new LocalDriver({ allowLocalUpstreams: true, root: join(dir, 'data3') });
    const local = await createOpenSocialRepo(join(dir, 'up3'), ['12.3.3']);
    const d = distribution({ kind: 'git', url: local.url, manifestPath: 'composer.json' });
    await driver.buildPlatform(platform('old', local.commits['12.3.3']), d, () => {});
    const newer = await addVersion(local, '12.4.2');
    const { lines, log } = logs();
    const built = await driver.buildPlatform(platform('new', newer), d, log);
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^Fetching .* into the mirror cache/)]));
    expect((await runGit(['-C', built.path, 'rev-parse', 'HEAD'])).stdout.trim()).toBe(newer);
  });

  test('a github upstream is cloned from the configured base URL', async () => {
    const base = join(dir, 'gh');
    await mkdir(join(base, 'goalgorilla'), { recursive: true });
    await runGit(['clone', '-q', '--bare', upstream.path, join(base, 'goalgorilla', 'social.git')]);
    const driver = new LocalDriver({ allowLocalUpstreams: true, root: join(dir, 'data4'), githubBaseUrl: pathToFileURL(base).href });
    const built = await driver.buildPlatform(
      platform('gh', upstream.commits['12.4.2']),
      distribution({ kind: 'github', owner: 'goalgorilla', repo: 'social', manifestPath: 'composer.json' }),
      () => {},
    );
    expect(built.manifest.format).toBe('composer');
  });

  test('bad input fails clearly and leaves nothing behind', async () => {
    const driver = new LocalDriver({ allowLocalUpstreams: true, root: join(dir, 'data5') });
    const d = distribution({ kind: 'git', url: upstream.url, manifestPath: 'composer.json' });
    await expect(driver.buildPlatform(platform('x', 'f'.repeat(40)), d, () => {})).rejects.toThrow(HostingError);
    await expect(driver.buildPlatform(platform('y', 'not-a-sha'), d, () => {})).rejects.toThrow(ValidationError);
    await expect(driver.buildPlatform(platform('z', upstream.commits['12.3.3']), distribution(null), () => {})).rejects.toThrow(/has no upstream/);
    await expect(driver.buildPlatform(platform('../evil', upstream.commits['12.3.3']), d, () => {})).rejects.toThrow(ValidationError);
    await expect(
      driver.buildPlatform(platform('w', upstream.commits['12.3.3']), distribution({ kind: 'git', url: pathToFileURL(join(dir, 'nope')).href, manifestPath: 'composer.json' }), () => {}),
    ).rejects.toThrow(HostingError);
    expect(await pathExists(join(dir, 'data5', 'platforms', 'y'))).toBe(false);
    expect(await pathExists(join(dir, 'data5', 'platforms', 'x'))).toBe(false);
  });
});

describe('LocalDriver site steps', () => {
  const setup = async () => {
    const root = await makeTempDir('distro-local-');
    const driver = new LocalDriver({ allowLocalUpstreams: true, root, postMigrate: ['test -f settings.php', 'echo "$SITE on $PLATFORM"'] });
    const from = platform('from');
    const to = platform('to');
    await mkdir(driver.platformPath(from), { recursive: true });
    await mkdir(driver.platformPath(to), { recursive: true });
    const s = site('one.example.org');
    await driver.installSite(s, from, () => {});
    await addSiteContent(driver.sitePath(s, from), s.name);
    return { root, driver, from, to, s };
  };

  test('installSite writes settings.php, files/ and site.json, is idempotent, and needs a built platform', async () => {
    const { driver, from, s } = await setup();
    const dir = driver.sitePath(s, from);
    expect(JSON.parse(await readFile(join(dir, 'site.json'), 'utf8'))).toMatchObject({ name: s.name, platform: 'from' });
    const tree = await readTree(dir);
    await driver.installSite(s, from, () => {});
    expect(await readTree(dir)).toEqual(tree);
    await expect(driver.installSite(site('two.example.org'), platform('unbuilt'), () => {})).rejects.toThrow(/not built/);
    await expect(driver.installSite(site('Bad Name'), from, () => {})).rejects.toThrow(ValidationError);
  });

  test('maintenance flag, tar backup, move, post-migrate and verify', async () => {
    const { root, driver, from, to, s } = await setup();
    await driver.maintenanceOn(s, from, () => {});
    expect(await pathExists(join(driver.sitePath(s, from), '.maintenance'))).toBe(true);
    const backup = await driver.backup(s, from, () => {});
    expect(backup.startsWith(join(root, 'backups', 'one.example.org-'))).toBe(true);
    const listing = (await runProcess('tar', ['-tzf', backup])).stdout.split('\n');
    expect(listing).toEqual(expect.arrayContaining(['one.example.org/settings.php', 'one.example.org/files/logo.png', 'one.example.org/.maintenance']));

    await expect(driver.verify(s, to, () => {})).rejects.toThrow(/has no directory on to/);
    await driver.moveSite(s, from, to, () => {});
    await driver.moveSite(s, from, to, () => {}); // repeated after a crash: already there
    expect(await pathExists(driver.sitePath(s, from))).toBe(false);
    await expect(driver.verify(s, to, () => {})).rejects.toThrow(/was not post-migrated on to/);
    const { lines, log } = logs();
    await driver.postMigrate(s, to, log);
    expect(lines).toContain('one.example.org on to');
    await driver.verify(s, to, () => {});
    await driver.maintenanceOff(s, to, () => {});
    expect(await pathExists(join(driver.sitePath(s, to), '.maintenance'))).toBe(false);
  });

  test('moveSite refuses to overwrite a directory on the target and fails when the site is nowhere', async () => {
    const { driver, from, to, s } = await setup();
    await mkdir(driver.sitePath(s, to), { recursive: true });
    await expect(driver.moveSite(s, from, to, () => {})).rejects.toThrow(/refusing to overwrite/);
    expect(await pathExists(join(driver.sitePath(s, from), 'settings.php'))).toBe(true);
    await expect(driver.moveSite(site('ghost.example.org'), from, to, () => {})).rejects.toThrow(/on neither from nor to/);
  });

  test('restore removes partial copies and brings back exactly the backed-up site', async () => {
    const { root, driver, from, to, s } = await setup();
    const before = await readTree(driver.sitePath(s, from));
    const backup = await driver.backup(s, from, () => {});
    await driver.moveSite(s, from, to, () => {});
    // A half-done state: the site partly on both platforms plus a stray temp dir.
    await mkdir(driver.sitePath(s, from), { recursive: true });
    await writeFile(join(driver.sitePath(s, from), 'settings.php'), 'half');
    await mkdir(join(driver.platformPath(to), 'sites', '.moving-one.example.org-0123abcd'));
    await driver.restore(s, from, to, backup, () => {});
    expect(await readTree(driver.sitePath(s, from))).toEqual(before);
    expect(await pathExists(driver.sitePath(s, to))).toBe(false);
    expect(await pathExists(join(driver.platformPath(to), 'sites', '.moving-one.example.org-0123abcd'))).toBe(false);

    await expect(driver.restore(s, from, to, join(root, 'elsewhere.tar.gz'), () => {})).rejects.toThrow(/is not in/);
    await rm(backup);
    await expect(driver.restore(s, from, to, backup, () => {})).rejects.toThrow(/does not exist/);
    expect(await readTree(driver.sitePath(s, from))).toEqual(before);
  });

  test('locateSite says where the files are; siteDigest ignores the maintenance flag and sees any other change', async () => {
    const { driver, from, to, s } = await setup();
    expect(await driver.locateSite(s, from, to)).toBe('from');
    const digest = await driver.siteDigest(s, from);
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    await driver.maintenanceOn(s, from, () => {});
    expect(await driver.siteDigest(s, from)).toBe(digest);
    await driver.moveSite(s, from, to, () => {});
    expect(await driver.locateSite(s, from, to)).toBe('to');
    expect(await driver.siteDigest(s, to)).toBe(digest);
    await writeFile(join(driver.sitePath(s, to), 'files', 'logo.png'), 'changed');
    expect(await driver.siteDigest(s, to)).not.toBe(digest);
    await mkdir(driver.sitePath(s, from));
    expect(await driver.locateSite(s, from, to)).toBe('both');
    expect(await driver.locateSite(site('ghost.example.org'), from, to)).toBe('missing');
    await expect(driver.siteDigest(site('ghost.example.org'), from)).rejects.toThrow(HostingError);
  });

  test('restore puts the backup on the old platform only, and a backup cut off mid-write is cleaned up by the next', async () => {
    const { root, driver, from, to, s } = await setup();
    const digest = await driver.siteDigest(s, from);
    const backup = await driver.backup(s, from, () => {});
    await driver.moveSite(s, from, to, () => {});
    await writeFile(join(driver.sitePath(s, to), 'site.json'), '{"half": "post-migrated"}');
    await driver.restore(s, from, to, backup, () => {});
    expect(await driver.locateSite(s, from, to)).toBe('from');
    expect(await driver.siteDigest(s, from)).toBe(digest);
    // Only the site's own leftovers are removed: another site's partial archive stays.
    const cut = join(root, 'backups', 'one.example.org-20260101T000000000Z-0123abcd.tar.gz.partial');
    const other = join(root, 'backups', 'one.example.org-x-20260101T000000000Z-0123abcd.tar.gz.partial');
    await writeFile(cut, 'half an archive');
    await writeFile(other, 'someone else');
    await driver.backup(s, from, () => {});
    expect(await pathExists(cut)).toBe(false);
    expect(await pathExists(other)).toBe(true);
  });

  test('a failing post-migrate command reports its output and exit code', async () => {
    const root = await makeTempDir('distro-local-');
    const driver = new LocalDriver({ allowLocalUpstreams: true, root, postMigrate: ['echo "updb: missing module" >&2; exit 2', 'touch should-not-run'] });
    const p = platform('p');
    await mkdir(driver.platformPath(p), { recursive: true });
    const s = site('pm.example.org');
    await driver.installSite(s, p, () => {});
    const { lines, log } = logs();
    await expect(driver.postMigrate(s, p, log)).rejects.toThrow(/exited with 2: updb: missing module/);
    expect(lines).toContain('updb: missing module');
    expect(await pathExists(join(driver.sitePath(s, p), 'should-not-run'))).toBe(false);
  });
});
