/**
 * A real local hosting setup for migration tests and the benchmark: an Open Social upstream git repo, platforms
 * built from it by the LocalDriver under a temp root, sites installed on them with some files, and the records
 * in a repository store.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Distribution } from '../../src/domain/distribution.js';
import type { Repositories } from '../../src/domain/ports.js';
import type { Platform } from '../../src/domain/platform.js';
import type { Site } from '../../src/domain/site.js';
import type { Task } from '../../src/domain/task.js';
import { LocalDriver } from '../../src/hosting/local-driver.js';
import { createOpenSocialRepo, makeTempDir, type GitFixtureRepo } from './git-fixtures.js';
import { embeddedStore, type EmbeddedStore } from './embedded.js';

export interface WorldOptions {
  /** The embedded store to use (a file one for restart tests); an in-memory one by default. */
  store?: EmbeddedStore;
  /** Repositories of another store (a contract over every store kind); then the world has no embedded store. */
  repos?: Repositories;
  /** Open Social versions to build as platforms (`social-<version>`), with the server each is on. */
  platforms?: Record<string, string>;
  /** Site names to install per version. */
  sites?: Record<string, string[]>;
  postMigrate?: string[];
}

export interface World {
  root: string;
  /** Null when the world runs on `WorldOptions.repos`. */
  store: EmbeddedStore | null;
  repos: Repositories;
  driver: LocalDriver;
  upstream: GitFixtureRepo;
  distribution: Distribution;
  platforms: Record<string, Platform>;
  sites: Record<string, Site>;
  siteDir(site: Pick<Site, 'name'>, platform: Pick<Platform, 'name'>): string;
  migrateTask(site: Site, to: Platform): Promise<Task>;
}

const noLog = () => {};

/** Worlds only clone from the upstream, so one repo per version set serves every world in a process. */
const upstreams = new Map<string, Promise<GitFixtureRepo>>();
const sharedUpstream = (versions: string[]): Promise<GitFixtureRepo> => {
  const key = versions.join(',');
  if (!upstreams.has(key)) upstreams.set(key, makeTempDir('distro-upstream-').then((dir) => createOpenSocialRepo(dir, versions)));
  return upstreams.get(key)!;
};

/** Gives a freshly installed site some content: nested and empty dirs, a binary file, a restrictive mode. */
export const addSiteContent = async (dir: string, name: string): Promise<void> => {
  await mkdir(join(dir, 'files', 'styles', 'thumbnail'), { recursive: true });
  await mkdir(join(dir, 'files', 'empty'), { recursive: true });
  await writeFile(join(dir, 'files', 'logo.png'), randomBytes(2048));
  await writeFile(join(dir, 'files', 'styles', 'thumbnail', 'a.txt'), `thumbnail of ${name}\n`);
  await writeFile(join(dir, 'private.key'), randomBytes(64).toString('hex'));
  await chmod(join(dir, 'private.key'), 0o600);
};

export const createWorld = async (options: WorldOptions = {}): Promise<World> => {
  const root = await makeTempDir('distro-migrate-');
  const store = options.repos ? null : (options.store ?? embeddedStore());
  const repos = options.repos ?? store!.repos;
  const servers = options.platforms ?? { '12.3.3': 'web1', '12.4.2': 'web1' };
  const upstream = await sharedUpstream(Object.keys(servers));
  const driver = new LocalDriver({ root: join(root, 'data'), allowLocalUpstreams: true, postMigrate: options.postMigrate ?? [] });
  const distribution = await repos.distributions.create({
    slug: 'social',
    title: 'Open Social',
    upstream: { kind: 'git', url: upstream.url, manifestPath: 'composer.json' },
  });
  const platforms: Record<string, Platform> = {};
  const sites: Record<string, Site> = {};
  for (const [version, server] of Object.entries(servers)) {
    const created = await repos.platforms.create({
      name: `social-${version}`,
      distributionId: distribution.id,
      source: { ref: version, commit: upstream.commits[version]! },
      createdBy: { kind: 'system' },
      status: 'ready',
      server,
    });
    const built = await driver.buildPlatform(created, distribution, noLog);
    platforms[version] = await repos.platforms.update(created.id, { path: built.path, manifest: built.manifest });
    for (const name of options.sites?.[version] ?? []) {
      const site = await repos.sites.create({ name, platformId: created.id, status: 'enabled' });
      await driver.installSite(site, platforms[version]!, noLog);
      await addSiteContent(driver.sitePath(site, platforms[version]!), name);
      sites[name] = site;
    }
  }
  return {
    root,
    store,
    repos,
    driver,
    upstream,
    distribution,
    platforms,
    sites,
    siteDir: (site, platform) => driver.sitePath(site, platform),
    migrateTask: (site, to) =>
      repos.tasks.create({
        type: 'migrate',
        subject: { kind: 'site', id: site.id, name: site.name },
        requestedBy: { kind: 'user', id: 'UTEST', name: 'tester' },
        fromPlatformId: site.platformId,
        toPlatformId: to.id,
      }),
  };
};
