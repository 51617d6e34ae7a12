/** Seeds a distribution of real Open Social platforms and sites through the services (rules apply). */
import type { Actor } from '../../src/domain/actor.js';
import type { Distribution } from '../../src/domain/distribution.js';
import type { Platform } from '../../src/domain/platform.js';
import type { Site } from '../../src/domain/site.js';
import type { Services } from '../../src/services/services.js';
import { openSocialBuild } from './fixtures.js';

export const ADMIN: Actor = { kind: 'user', id: 'UADMIN', name: 'admin' };

export interface SeedOptions {
  slug?: string;
  channel?: string | null;
  /** Platform versions to register, oldest first. */
  versions?: string[];
  /** Sites to create on each version's platform (created before the target locks it). */
  sites?: Record<string, string[]>;
  /** Version to make the upgrade target (default: the last one); null for none. */
  target?: string | null;
}

export interface Seeded {
  distribution: Distribution;
  platforms: Record<string, Platform>;
  sites: Record<string, Site>;
}

export const platformName = (slug: string, version: string): string => `${slug}-${version}`;

export const seedOpenSocial = async (services: Services, options: SeedOptions = {}): Promise<Seeded> => {
  const slug = options.slug ?? 'social';
  const versions = options.versions ?? ['12.3.3', '12.4.1', '12.4.2'];
  await services.distributions.create({
    slug,
    title: 'Open Social 12',
    description: 'Open Social 12 community platform',
    channel: options.channel === undefined ? 'C0SOCIAL' : options.channel,
    policy: { pollIntervalMinutes: 0, autoTarget: true },
  });
  const platforms: Record<string, Platform> = {};
  const sites: Record<string, Site> = {};
  for (const version of versions) {
    const build = openSocialBuild(version);
    platforms[version] = await services.platforms.register(
      { name: platformName(slug, version), distribution: slug, ref: version, commit: build.commit, files: build.files },
      ADMIN,
    );
    for (const name of options.sites?.[version] ?? []) {
      sites[name] = (await services.sites.create({ name, platform: platforms[version]!.name }, ADMIN)).site;
    }
  }
  const target = options.target === undefined ? versions[versions.length - 1] : options.target;
  if (target) await services.distributions.setTarget(slug, platformName(slug, target), ADMIN);
  const fresh = await services.distributions.get(slug);
  for (const version of versions) platforms[version] = await services.platforms.get(platforms[version]!.id);
  return { distribution: fresh, platforms, sites };
};
