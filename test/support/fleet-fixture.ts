/**
 * An existing fleet on disk, as an Aegir 3 server has it: code bases under `<DATA_DIR>/platforms/os-<version>`
 * holding the Open Social fixture's composer.lock, sites under `<root>/sites/<site>/` with the enabled modules as
 * `drush pm:list --status=enabled --format=json` prints them (modules.json), and the aliases JSON
 * `drush site:alias --format=json` (drush 8, provision contexts) prints for them.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FIXTURES_DIR } from './fixtures.js';

export interface FleetOnDisk {
  /** version → root directory. */
  roots: Record<string, string>;
  /** site name → root version. */
  sites: Map<string, string>;
  /** The aliases JSON (drush 8 / Aegir 3 shape), platform and server contexts and the hostmaster site included. */
  aliasesJson: string;
}

/** A module every imported site has enabled, beside what its release ships (Compare then knows it is enabled). */
export const SITE_MODULES = ['social_core', 'social_event', 'social_group', 'node', 'user'];

const aliasName = (version: string) => `platform_os${version.replace(/\./g, '')}`;

/** `count` sites spread round-robin over `versions`, each a directory with modules.json under its root. */
export const makeFleetOnDisk = async (dataDir: string, versions: readonly string[], count: number, options: { writeSites?: boolean } = {}): Promise<FleetOnDisk> => {
  const roots: Record<string, string> = {};
  const aliases: Record<string, unknown> = {
    server_master: { context_type: 'server', remote_host: 'localhost', aegir_root: '/var/aegir', '#name': 'server_master' },
    hostmaster: { context_type: 'site', uri: 'aegir.example.org', root: '/var/aegir/hostmaster-7.x-3.190', profile: 'hostmaster', platform: '@platform_hostmaster', server: '@server_master' },
  };
  for (const v of versions) {
    const root = join(dataDir, 'platforms', `os-${v}`);
    roots[v] = root;
    await mkdir(join(root, 'sites'), { recursive: true });
    await copyFile(join(FIXTURES_DIR, 'open-social', v, 'composer.lock'), join(root, 'composer.lock'));
    aliases[aliasName(v)] = { context_type: 'platform', root, server: '@server_master', makefile: '', '#name': aliasName(v) };
  }
  const sites = new Map<string, string>();
  const modulesJson = JSON.stringify(Object.fromEntries(SITE_MODULES.map((m) => [m, { package: 'Social', name: m, type: 'module', status: 'Enabled', version: '' }])));
  for (let i = 0; i < count; i++) {
    const v = versions[i % versions.length]!;
    const site = `site${String(i).padStart(4, '0')}.example.org`;
    sites.set(site, v);
    if (options.writeSites !== false) {
      const dir = join(roots[v]!, 'sites', site);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'modules.json'), modulesJson);
      await writeFile(join(dir, 'settings.php'), `<?php // ${site}\n`);
    }
    aliases[site] = {
      context_type: 'site',
      platform: `@${aliasName(v)}`,
      server: '@server_master',
      db_server: '@server_localhost',
      uri: site,
      root: roots[v],
      site_path: join(roots[v]!, 'sites', site),
      site_enabled: true,
      language: 'en',
      client_name: 'admin',
      aliases: [],
      redirection: false,
      profile: 'social',
      '#name': site,
      '#file': `/var/aegir/.drush/${site}.alias.drushrc.php`,
    };
  }
  return { roots, sites, aliasesJson: JSON.stringify(aliases, null, 2) };
};
