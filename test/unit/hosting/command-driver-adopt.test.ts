/** The command driver's reads for adoption and import: locateSite asked about one platform, listModules, readManifest. */
import { expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CommandDriver } from '../../../src/hosting/command-driver.js';
import { aPlatform } from '../../support/domain-builders.js';
import { makeTempDir } from '../../support/git-fixtures.js';

const TEMPLATES = {
  maintenanceOn: 'true', backup: 'echo b', moveSite: 'true', postMigrate: 'true', verify: 'true', maintenanceOff: 'true', restore: 'true',
  // Values arrive as separate arguments: a hostile site name cannot become shell text.
  locateSite: 'if test -d {toPlatformPath}/sites/{site}; then echo from; else echo missing; fi',
  listModules: 'cat {platformPath}/sites/{site}/modules.json',
  readManifest: 'cat {root}/{manifestPath}',
};

test('adopt and import read through the templates, with values as arguments', async () => {
  const dir = await makeTempDir('distro-cmd-adopt-');
  const root = join(dir, 'os-12.3.3');
  await mkdir(join(root, 'sites', 'a.example.org'), { recursive: true });
  await writeFile(join(root, 'sites', 'a.example.org', 'modules.json'), '{"social_core":{"status":"Enabled"},"ban":{"status":"Disabled"}}');
  await writeFile(join(root, 'composer.lock'), '{"packages":[]}');
  const driver = new CommandDriver({ templates: TEMPLATES, platformsRoot: dir });
  const platform = aPlatform('os-12.3.3', { path: root });
  const log = () => undefined;

  expect(await driver.findSite({ name: 'a.example.org' }, platform, log)).toEqual({ found: true, modules: ['social_core'] });
  expect(await driver.findSite({ name: 'b.example.org' }, platform, log)).toEqual({ found: false, reason: `the locateSite command did not find it on ${root}` });
  // Import: the same code in another directory.
  expect(await driver.findSite({ name: 'a.example.org' }, aPlatform('social-12.3.3', { path: '/nowhere' }), log, root)).toMatchObject({ found: true });
  expect(await driver.readRootManifest(root, 'composer.lock', log)).toBe('{"packages":[]}');
  expect(await driver.findSite({ name: '$(touch pwned)' }, platform, log)).toMatchObject({ found: false });
  expect(existsSync(join(process.cwd(), 'pwned'))).toBe(false);

  const { locateSite: _l, readManifest: _r, ...withoutReads } = TEMPLATES;
  const bare = new CommandDriver({ templates: withoutReads, platformsRoot: dir });
  expect(await bare.findSite({ name: 'a.example.org' }, platform, log)).toMatchObject({ found: false, reason: expect.stringContaining('no `locateSite` command') });
  await expect(bare.readRootManifest(root, 'composer.lock', log)).rejects.toThrow(/No `readManifest` command/);
});
