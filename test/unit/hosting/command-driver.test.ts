import { describe, expect, test } from '@jest/globals';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HostingError, TransientError, ValidationError } from '../../../src/domain/errors.js';
import { EMPTY_MANIFEST } from '../../../src/domain/platform.js';
import { runGit } from '../../../src/upstream/git-exec.js';
import {
  AEGIR_TEMPLATES,
  ANSIBLE_TEMPLATES,
  CommandDriver,
  KUBECTL_TEMPLATES,
  renderTemplate,
  validateTemplates,
  type CommandTemplates,
} from '../../../src/hosting/command-driver.js';
import { aDistribution, aPlatform, aSite } from '../../support/domain-builders.js';
import { createOpenSocialRepo, makeTempDir } from '../../support/git-fixtures.js';

const platform = (name: string, path: string | null = null, commit = 'a'.repeat(40)) => aPlatform(name, { path, source: { ref: 'main', commit } });
const site = aSite;

/** Every step appends its rendered arguments to a journal file, so tests see exactly what ran. */
const journaling = (journal: string): CommandTemplates => ({
  maintenanceOn: `echo on {site} {platformPath} >> ${journal}`,
  backup: `echo backup {site} >> ${journal}; echo noise line; echo /backups/{site}.tgz`,
  moveSite: `echo move {site} {fromPlatform}'->'{toPlatform} "$DISTRO_TO_PLATFORM_PATH" >> ${journal}`,
  postMigrate: `echo post {site} >> ${journal}`,
  verify: `echo verify {site} {server} >> ${journal}`,
  maintenanceOff: `echo off {site} >> ${journal}`,
  restore: `echo restore {site} {backup} to {fromPlatformPath} >> ${journal}`,
});

describe('CommandDriver templates', () => {
  test('placeholders become single-quoted values, so a quote or $( ) in a value stays data', async () => {
    expect(renderTemplate('echo {site} ${HOME}', { site: "it's $(id)" })).toBe(`echo 'it'\\''s $(id)' \${HOME}`);
    const dir = await makeTempDir('distro-cmd-');
    const journal = join(dir, 'journal');
    const driver = new CommandDriver({ allowLocalUpstreams: true, templates: journaling(journal), platformsRoot: dir });
    await driver.maintenanceOn(site(`we'ird; touch ${join(dir, 'pwned')}`), platform('p'), () => {});
    expect(await readFile(journal, 'utf8')).toBe(`on we'ird; touch ${join(dir, 'pwned')} ${join(dir, 'p')}\n`);
    await expect(readFile(join(dir, 'pwned'))).rejects.toThrow();
  });

  test('runs each step with its values, returns the last output line of backup, and uses platform.path when set', async () => {
    const dir = await makeTempDir('distro-cmd-');
    const journal = join(dir, 'journal');
    const driver = new CommandDriver({ allowLocalUpstreams: true, templates: journaling(journal), platformsRoot: dir });
    const s = site('a.example.org');
    const from = platform('old');
    const to = platform('new', '/srv/platforms/new');
    const lines: string[] = [];
    const log = (m: string) => void lines.push(m);
    await driver.maintenanceOn(s, from, log);
    expect(await driver.backup(s, from, log)).toBe('/backups/a.example.org.tgz');
    await driver.moveSite(s, from, to, log);
    await driver.postMigrate(s, to, log);
    await driver.verify(s, to, log);
    await driver.maintenanceOff(s, to, log);
    await driver.restore(s, from, to, '/backups/a.example.org.tgz', log);
    expect((await readFile(journal, 'utf8')).trim().split('\n')).toEqual([
      `on a.example.org ${join(dir, 'old')}`,
      'backup a.example.org',
      'move a.example.org old->new /srv/platforms/new',
      'post a.example.org',
      'verify a.example.org web1',
      'off a.example.org',
      `restore a.example.org /backups/a.example.org.tgz to ${join(dir, 'old')}`,
    ]);
    expect(lines).toEqual(expect.arrayContaining(['noise line', expect.stringMatching(/^\$ echo on 'a.example.org'/)]));
  });

  test('optional locateSite and siteDigest templates: their last output line; unknown / null without them', async () => {
    const dir = await makeTempDir('distro-cmd-');
    const s = site('a.example.org');
    const [from, to] = [platform('old'), platform('new')];
    const bare = new CommandDriver({ templates: journaling(join(dir, 'j1')), platformsRoot: dir });
    expect(await bare.locateSite(s, from, to, () => {})).toBe('unknown');
    expect(await bare.siteDigest(s, from, () => {})).toBeNull();
    const templates = { ...journaling(join(dir, 'j2')), locateSite: 'echo checking {site} on {toPlatform}; echo to', siteDigest: 'echo; echo abc123 ' };
    const driver = new CommandDriver({ templates, platformsRoot: dir });
    expect(await driver.locateSite(s, from, to, () => {})).toBe('to');
    expect(await driver.siteDigest(s, from, () => {})).toBe('abc123');
    const confused = new CommandDriver({ templates: { ...templates, locateSite: 'echo somewhere' }, platformsRoot: dir });
    await expect(confused.locateSite(s, from, to, () => {})).rejects.toThrow(/printed `somewhere`, not one of from, to, missing, both/);
    expect(() => validateTemplates({ ...templates, siteDigest: 'echo {toPlatform}' })).toThrow(/siteDigest: unknown placeholder \{toPlatform\}/);
  });

  test('bad templates are refused at construction with every problem listed', () => {
    const err = (() => {
      try {
        validateTemplates({ ...journaling('/tmp/j'), moveSite: 'mv {from} {toPlatformPath}', postMigrate: '', deploy: 'x', restore: 'tar -x {backup}' });
      } catch (e) {
        return e as ValidationError;
      }
      throw new Error('expected a ValidationError');
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^moveSite: unknown placeholder \{from\}/),
        'postMigrate: empty template',
        expect.stringMatching(/^unknown step `deploy`/),
      ]),
    );
    const { verify: _v, ...missing } = journaling('/tmp/j');
    expect(() => validateTemplates(missing)).toThrow(ValidationError);
    expect(() => validateTemplates({ ...journaling('/tmp/j'), backup: 'echo {backup}' })).toThrow(/backup: unknown placeholder \{backup\}/);
  });

  test('the Aegir, Ansible and kubectl presets are valid', () => {
    for (const preset of [AEGIR_TEMPLATES, ANSIBLE_TEMPLATES, KUBECTL_TEMPLATES]) expect(validateTemplates(preset as Record<string, string>)).toBe(preset);
    expect(renderTemplate(AEGIR_TEMPLATES.moveSite!, { site: 'a.org', toPlatformAlias: 'social1242' })).toBe(
      "drush @hostmaster hosting-task @'a.org' migrate target_platform=@platform_'social1242' --force",
    );
  });

  test('exit 75 is a TransientError, other failures a HostingError with the output; a backup without output fails', async () => {
    const dir = await makeTempDir('distro-cmd-');
    const templates = { ...journaling(join(dir, 'j')), maintenanceOn: 'echo "lock held" >&2; exit 75', verify: 'echo "no bootstrap" >&2; exit 1', backup: 'true' };
    const driver = new CommandDriver({ allowLocalUpstreams: true, templates, platformsRoot: dir });
    await expect(driver.maintenanceOn(site('a.org'), platform('p'), () => {})).rejects.toThrow(TransientError);
    await expect(driver.verify(site('a.org'), platform('p'), () => {})).rejects.toThrow(/exited with 1: no bootstrap/);
    await expect(driver.backup(site('a.org'), platform('p'), () => {})).rejects.toThrow(HostingError);
    await expect(driver.installSite(site('a.org'), platform('p'), () => {})).rejects.toThrow(/No `installSite` command/);
  });

  test('build runs its template and reads the manifest of the checkout it made', async () => {
    const dir = await makeTempDir('distro-cmd-');
    const upstream = await createOpenSocialRepo(join(dir, 'up'), ['12.4.2']);
    const templates = { ...journaling(join(dir, 'j')), build: 'git clone -q {repo} {platformPath} && git -C {platformPath} checkout -q {commit}' };
    const driver = new CommandDriver({ allowLocalUpstreams: true, templates, platformsRoot: join(dir, 'platforms') });
    const d = aDistribution({ kind: 'git', url: upstream.url, manifestPath: 'composer.json' });
    const built = await driver.buildPlatform(platform('social-12.4.2', null, upstream.commits['12.4.2']), d, () => {});
    expect(built.path).toBe(join(dir, 'platforms', 'social-12.4.2'));
    expect(built.manifest.format).toBe('composer');
    expect(built.manifest.packages.length).toBeGreaterThan(10);
    // The checkout's tracked-file tree is recorded for Compare.
    const headBlob = (await runGit(['-C', built.path, 'rev-parse', 'HEAD:composer.json'])).stdout.trim();
    expect(built.manifest.tree).toEqual({ 'composer.json': headBlob, 'composer.lock': expect.stringMatching(/^[0-9a-f]{40}$/) });

    // A build whose result is not visible here (remote host): no manifest, with a warning.
    const remote = new CommandDriver({ allowLocalUpstreams: true, templates: { ...templates, build: 'true' }, platformsRoot: join(dir, 'remote') });
    const warnings: string[] = [];
    const none = await remote.buildPlatform(platform('r'), d, (m, level) => void (level === 'warn' && warnings.push(m)));
    expect(none.manifest).toEqual(EMPTY_MANIFEST);
    expect(warnings[0]).toMatch(/not visible from this host/);

    // A plain directory build (no git) is read from the files next to the manifest.
    await mkdir(join(dir, 'plain'), { recursive: true });
    await writeFile(join(dir, 'plain', 'composer.json'), JSON.stringify({ require: { 'drupal/core': '^10.2' } }));
    const plain = new CommandDriver({ allowLocalUpstreams: true, templates: { ...templates, build: 'true' }, platformsRoot: dir });
    const built2 = await plain.buildPlatform(platform('plain'), d, () => {});
    expect(built2.manifest.packages.map((p) => p.name)).toEqual(['drupal/core']);
    expect(built2.manifest.tree).toBeUndefined();
  });
});
