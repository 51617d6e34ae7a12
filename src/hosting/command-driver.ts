/**
 * Hosting through shell templates, one per step, so Distro can drive Aegir (`drush @hostmaster hosting-task`),
 * Ansible playbooks, kubectl or any script. Placeholders like `{site}` are passed as separate arguments (see
 * command-templates.ts), so they must be written outside quotes; inside "…" use the same values from the
 * environment: DISTRO_SITE, DISTRO_PLATFORM_PATH, DISTRO_TO_PLATFORM_ALIAS, …
 * Exit 0 = done; exit 75 (EX_TEMPFAIL) = temporary trouble, retried by the job; anything else fails the step.
 * The backup template must print the backup reference (a path or id) as its last line of output.
 * Optional `locateSite` (prints from, to, missing or both) and `siteDigest` (prints a content hash of the site's
 * files, maintenance flag excluded) let recovery check where a site is and that a rollback restored it exactly;
 * without them a rollback is reported as "restored, not verified".
 */
import { join } from 'node:path';
import type { Distribution } from '../domain/distribution.js';
import { HostingError } from '../domain/errors.js';
import { parseDrushModuleList } from '../domain/drush-modules.js';
import type { BuildResult, FoundSite, HostingDriver, LogFn, SiteLocation } from '../domain/ports.js';
import { EMPTY_MANIFEST, type Platform } from '../domain/platform.js';
import type { Site } from '../domain/site.js';
import { redactUrl } from '../lib/redact.js';
import { UpstreamGuard } from '../upstream/upstream-guard.js';
import { envName, renderScript, renderTemplate, validateTemplates, type CommandStep, type CommandTemplates } from './command-templates.js';
import { upstreamCloneUrl } from './git-checkout.js';
import { addTrackedTree, type TreeLimits } from './git-tree.js';
import { readManifestFromDir, readManifestFromGit } from './manifest-files.js';
import { pathExists } from './paths.js';
import { runProcess } from './run-command.js';

export { COMMAND_STEPS, STEP_PLACEHOLDERS, renderTemplate, validateTemplates, type CommandStep, type CommandTemplates } from './command-templates.js';

const EX_TEMPFAIL = 75;

export interface CommandDriverOptions {
  templates: CommandTemplates;
  /** Where a platform lives when its record has no path yet: `<platformsRoot>/<platform name>`. */
  platformsRoot: string;
  /** Working directory of the commands. */
  cwd?: string;
  /** Extra environment for every command. */
  env?: Record<string, string>;
  githubBaseUrl?: string;
  /** Bounds on the file tree and contents recorded for Compare (when the build is a visible git checkout). */
  treeLimits?: TreeLimits;
  /** ALLOW_LOCAL_UPSTREAMS: file://, local paths, http:// and loopback/private hosts may be built from. */
  allowLocalUpstreams?: boolean;
}

/** Aegir-style names without punctuation (`social-12.4.2` → `social1242`), as in `@platform_social1242`. */
const alias = (name: string) => name.replace(/[^A-Za-z0-9_]/g, '');

export class CommandDriver implements HostingDriver {
  readonly name = 'command';
  private readonly templates: CommandTemplates;
  private readonly guard: UpstreamGuard;

  constructor(private readonly options: CommandDriverOptions) {
    this.templates = validateTemplates(options.templates as Record<string, string>);
    this.guard = new UpstreamGuard({ allowLocal: options.allowLocalUpstreams ?? false });
  }

  private platformPath(platform: Platform): string {
    return platform.path ?? join(this.options.platformsRoot, platform.name);
  }

  private siteVars(site: Site, platform: Platform): Record<string, string> {
    return {
      site: site.name,
      platform: platform.name,
      platformPath: this.platformPath(platform),
      platformAlias: alias(platform.name),
      server: platform.server,
    };
  }

  private moveVars(site: Site, from: Platform, to: Platform): Record<string, string> {
    return {
      site: site.name,
      fromPlatform: from.name,
      toPlatform: to.name,
      fromPlatformPath: this.platformPath(from),
      toPlatformPath: this.platformPath(to),
      fromPlatformAlias: alias(from.name),
      toPlatformAlias: alias(to.name),
      server: to.server,
    };
  }

  private async exec(step: CommandStep, vars: Record<string, string>, log: LogFn): Promise<string> {
    const template = this.templates[step];
    if (!template) throw new HostingError(`No \`${step}\` command is configured for the command hosting driver.`);
    log(`$ ${redactUrl(renderTemplate(template, vars))}`);
    // Values never become shell text: the script refers to them as "${1}", "${2}"… and they follow as arguments.
    const { script, args } = renderScript(template, vars);
    const env = { ...this.options.env, ...Object.fromEntries(Object.entries(vars).map(([k, v]) => [envName(k), v])) };
    const cwd = this.options.cwd ? { cwd: this.options.cwd } : {};
    return (await runProcess('sh', ['-c', script, `distro-${step}`, ...args], { log, env, transientExitCodes: [EX_TEMPFAIL], ...cwd })).stdout;
  }

  async buildPlatform(platform: Platform, distribution: Distribution, log: LogFn): Promise<BuildResult> {
    const path = this.platformPath(platform);
    const repo = distribution.upstream ? upstreamCloneUrl(distribution.upstream, this.options.githubBaseUrl) : '';
    if (distribution.upstream?.kind === 'git') await this.guard.check(repo);
    await this.exec(
      'build',
      {
        platform: platform.name,
        platformPath: path,
        platformAlias: alias(platform.name),
        server: platform.server,
        commit: platform.source.commit,
        ref: platform.source.ref,
        repo,
        distribution: distribution.slug,
      },
      log,
    );
    return { path, manifest: await this.readBuiltManifest(path, distribution.upstream?.manifestPath ?? 'composer.json', log) };
  }

  /** Reads the manifest when the build is visible from here (same host or shared mount); empty otherwise. */
  private async readBuiltManifest(path: string, manifestPath: string, log: LogFn) {
    const visible = await pathExists(path);
    if (!visible) {
      log(`${path} is not visible from this host; the platform has no manifest for Compare`, 'warn');
      return EMPTY_MANIFEST;
    }
    if (!(await pathExists(join(path, '.git')))) return readManifestFromDir(path, manifestPath, log);
    // The build template decides what is checked out, so the tree is HEAD's, not necessarily the platform commit's.
    const manifest = await readManifestFromGit(path, 'HEAD', manifestPath, log);
    return addTrackedTree(manifest, path, 'HEAD', log, this.options.treeLimits);
  }

  async installSite(site: Site, platform: Platform, log: LogFn): Promise<void> {
    await this.exec('installSite', this.siteVars(site, platform), log);
  }

  async maintenanceOn(site: Site, platform: Platform, log: LogFn): Promise<void> {
    await this.exec('maintenanceOn', this.siteVars(site, platform), log);
  }

  async backup(site: Site, platform: Platform, log: LogFn): Promise<string> {
    const ref = lastLine(await this.exec('backup', this.siteVars(site, platform), log));
    if (!ref) throw new HostingError('The backup command printed no backup reference.');
    return ref;
  }

  async moveSite(site: Site, from: Platform, to: Platform, log: LogFn): Promise<void> {
    await this.exec('moveSite', this.moveVars(site, from, to), log);
  }

  async postMigrate(site: Site, to: Platform, log: LogFn): Promise<void> {
    await this.exec('postMigrate', this.siteVars(site, to), log);
  }

  async verify(site: Site, platform: Platform, log: LogFn): Promise<void> {
    await this.exec('verify', this.siteVars(site, platform), log);
  }

  async maintenanceOff(site: Site, platform: Platform, log: LogFn): Promise<void> {
    await this.exec('maintenanceOff', this.siteVars(site, platform), log);
  }

  async restore(site: Site, from: Platform, to: Platform, backupRef: string, log: LogFn): Promise<void> {
    await this.exec('restore', { ...this.moveVars(site, from, to), backup: backupRef }, log);
  }

  async locateSite(site: Site, from: Platform, to: Platform, log: LogFn): Promise<SiteLocation> {
    if (!this.templates.locateSite) return 'unknown';
    const answer = lastLine(await this.exec('locateSite', this.moveVars(site, from, to), log));
    if (!LOCATIONS.includes(answer as SiteLocation)) throw new HostingError(`The locateSite command printed \`${answer.slice(0, 80)}\`, not one of ${LOCATIONS.join(', ')}.`);
    return answer as SiteLocation;
  }

  platformRoot(platform: Platform): string {
    return this.platformPath(platform);
  }

  /**
   * Adoption: `locateSite` asked about the one platform (from = to) must print from, to or both; `listModules`
   * (optional, e.g. `drush @{site} pm:list --status=enabled --format=json`) gives the enabled modules.
   */
  async findSite(site: Pick<Site, 'name'>, onPlatform: Platform, log: LogFn, root?: string): Promise<FoundSite> {
    if (!this.templates.locateSite) return { found: false, reason: 'no `locateSite` command is configured (HOSTING_COMMANDS), so Distro cannot check that the site is there' };
    const probe = { ...site } as Site;
    // Import: the same code in another directory; the templates get that directory as the platform's path.
    const platform = root ? { ...onPlatform, path: root } : onPlatform;
    const where = await this.locateSite(probe, platform, platform, log);
    if (where === 'missing') return { found: false, reason: `the locateSite command did not find it on ${this.platformPath(platform)}` };
    if (!this.templates.listModules) return { found: true, modules: null };
    const out = await this.exec('listModules', this.siteVars(probe, platform), log);
    return { found: true, modules: parseDrushModuleList('the listModules output', out) };
  }

  /** Import: the `readManifest` template prints the file (e.g. `cat {root}/{manifestPath}`); absent, roots cannot be matched by content. */
  async readRootManifest(root: string, manifestPath: string, log: LogFn): Promise<string | null> {
    if (!this.templates.readManifest) throw new HostingError('No `readManifest` command is configured (HOSTING_COMMANDS), so roots cannot be matched to builds by their manifest.');
    const out = await this.exec('readManifest', { root, manifestPath, server: 'local' }, log);
    return out.trim() ? out : null;
  }

  async siteDigest(site: Site, platform: Platform, log: LogFn): Promise<string | null> {
    if (!this.templates.siteDigest) return null;
    const digest = lastLine(await this.exec('siteDigest', this.siteVars(site, platform), log));
    if (!digest) throw new HostingError('The siteDigest command printed no digest.');
    return digest;
  }
}

const LOCATIONS: readonly SiteLocation[] = ['from', 'to', 'missing', 'both'];

const lastLine = (out: string): string => out.trim().split('\n').pop()?.trim() ?? '';

/**
 * Starting points for HOSTING_COMMANDS (adjust paths and aliases to the installation).
 * Aegir: its own migrate task backs up, moves and runs updates; Distro adds maintenance mode and verification.
 */
export const AEGIR_TEMPLATES: CommandTemplates = {
  build:
    'drush @hostmaster provision-save @platform_{platformAlias} --context_type=platform --root={platformPath} && drush @hostmaster hosting-import @platform_{platformAlias} && drush @hostmaster hosting-task @platform_{platformAlias} verify --force',
  maintenanceOn: 'drush @{site} state:set system.maintenance_mode 1 --input-format=integer -y',
  backup: 'drush @hostmaster hosting-task @{site} backup --force >&2 && ls -1t /var/aegir/backups/{site}-*.tar.gz | head -n 1',
  moveSite: 'drush @hostmaster hosting-task @{site} migrate target_platform=@platform_{toPlatformAlias} --force',
  postMigrate: 'drush @{site} updatedb -y && drush @{site} cache:rebuild',
  verify: 'drush @hostmaster hosting-task @{site} verify --force',
  maintenanceOff: 'drush @{site} state:set system.maintenance_mode 0 --input-format=integer -y',
  restore: 'drush @hostmaster hosting-task @{site} restore --force backup={backup}',
};

export const ANSIBLE_TEMPLATES: CommandTemplates = {
  build: 'ansible-playbook -i inventory platform-build.yml -e platform={platform} -e root={platformPath} -e repo={repo} -e commit={commit}',
  maintenanceOn: 'ansible-playbook -i inventory site-maintenance.yml -e site={site} -e root={platformPath} -e state=on',
  backup: 'ansible-playbook -i inventory site-backup.yml -e site={site} -e root={platformPath} >&2 && cat /var/backups/distro/{site}.latest',
  moveSite: 'ansible-playbook -i inventory site-move.yml -e site={site} -e from={fromPlatformPath} -e to={toPlatformPath}',
  postMigrate: 'ansible-playbook -i inventory site-updb.yml -e site={site} -e root={platformPath}',
  verify: 'ansible-playbook -i inventory site-verify.yml -e site={site} -e root={platformPath}',
  maintenanceOff: 'ansible-playbook -i inventory site-maintenance.yml -e site={site} -e root={platformPath} -e state=off',
  restore: 'ansible-playbook -i inventory site-restore.yml -e site={site} -e from={fromPlatformPath} -e to={toPlatformPath} -e backup={backup}',
};

/** Platforms as Deployments named after the platform; a site is a drush `-l` URI served by one of them. */
export const KUBECTL_TEMPLATES: CommandTemplates = {
  maintenanceOn: 'kubectl exec deploy/{platformAlias} -- drush -l {site} state:set system.maintenance_mode 1 --input-format=integer -y',
  backup: 'kubectl exec deploy/{platformAlias} -- sh -c "drush -l \\"$DISTRO_SITE\\" archive:dump --destination=/backups/$DISTRO_SITE-$(date +%s).tar.gz --overwrite >&2 && ls -1t /backups/$DISTRO_SITE-*.tar.gz | head -n 1"',
  moveSite: 'kubectl annotate --overwrite ingress/{site} distro/platform={toPlatformAlias} && kubectl patch ingress/{site} --type=json -p "[{\\"op\\":\\"replace\\",\\"path\\":\\"/spec/defaultBackend/service/name\\",\\"value\\":\\"$DISTRO_TO_PLATFORM_ALIAS\\"}]"',
  postMigrate: 'kubectl exec deploy/{platformAlias} -- drush -l {site} updatedb -y',
  verify: 'kubectl exec deploy/{platformAlias} -- drush -l {site} status --field=bootstrap | grep -q Successful',
  maintenanceOff: 'kubectl exec deploy/{platformAlias} -- drush -l {site} state:set system.maintenance_mode 0 --input-format=integer -y',
  restore:
    'kubectl exec deploy/{fromPlatformAlias} -- drush -l {site} archive:restore {backup} -y && kubectl annotate --overwrite ingress/{site} distro/platform={fromPlatformAlias} && kubectl patch ingress/{site} --type=json -p "[{\\"op\\":\\"replace\\",\\"path\\":\\"/spec/defaultBackend/service/name\\",\\"value\\":\\"$DISTRO_FROM_PLATFORM_ALIAS\\"}]"',
};
