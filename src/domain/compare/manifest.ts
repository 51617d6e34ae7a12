/**
 * Reads what a platform is made of from its tracked files: composer.lock first (exact versions), else Drush
 * makefiles (`.make` INI or `.make.yml`), else composer.json `require` constraints.
 * Every file here is upstream-controlled: each has a size limit, and no key of it can reach an object prototype.
 */
import { ValidationError } from '../errors.js';
import type { Manifest, PackageEntry } from '../platform.js';
import { parseMakeIni } from './parse-make-ini.js';
import { MAX_YAML_CHARS, parseYaml } from './parse-yaml.js';
import { assertMaxSize, parseUntrustedJson } from './untrusted-input.js';
import { normaliseVersion } from './versions.js';

/** composer.lock/composer.json limit: Open Social's lock is ~0.7 MB; JSON.parse takes ~50 ms for 10 MB. */
export const MAX_COMPOSER_CHARS = 10 * 1024 * 1024;
/** INI makefiles together: real ones are under 50 KB; the line parser is linear (~50 ms at this size, busy machine). */
export const MAX_MAKE_INI_CHARS = 256 * 1024;

/** Exact file names the platform builder should read (wherever they sit in the tree). */
export const MANIFEST_FILE_NAMES: readonly string[] = ['composer.json', 'composer.lock'];
/** File name endings that are manifests too: Drush makefiles and Drupal .info files. */
export const MANIFEST_FILE_SUFFIXES: readonly string[] = ['.make', '.make.yml', '.info', '.info.yml'];

const baseName = (path: string): string => path.slice(path.replace(/\\/g, '/').lastIndexOf('/') + 1);

/** Whether a tracked file belongs in the manifest (and so in the Compare page's file diff). */
export const isManifestFile = (path: string): boolean => {
  const name = baseName(path).toLowerCase();
  return MANIFEST_FILE_NAMES.includes(name) || MANIFEST_FILE_SUFFIXES.some((s) => name.endsWith(s));
};

/** Paths whose base name passes `test`, shallowest first (the project root's file wins over a vendored copy). */
const pathsWhere = (files: Record<string, string>, test: (name: string) => boolean): string[] =>
  Object.keys(files)
    .filter((p) => test(baseName(p).toLowerCase()))
    .sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Own-property read: never a value inherited from a prototype. */
const ownValue = (record: Record<string, unknown>, key: string): unknown => (Object.hasOwn(record, key) ? record[key] : undefined);

const DEV_RE = /^dev-|[.-]dev$/i;

// ------------------------------------------------------------------------------------------ composer

/**
 * The version to order a branch build by, when the lock says: Drupal.org's `extra.drupal.version`
 * (`8.x-1.0-beta2+12-dev`: 12 commits after beta2), else the package's `extra.branch-alias` for its version
 * (`dev-1.x` → `1.x-dev`). Composer itself orders branches by their alias.
 */
const orderOf = (p: Record<string, unknown>, version: string): string | undefined => {
  if (!DEV_RE.test(version)) return undefined;
  const extra = ownValue(p, 'extra');
  if (!isRecord(extra)) return undefined;
  const drupal = ownValue(extra, 'drupal');
  const drupalVersion = isRecord(drupal) ? ownValue(drupal, 'version') : undefined;
  if (typeof drupalVersion === 'string' && drupalVersion.trim() !== '') return normaliseVersion(drupalVersion);
  const aliases = ownValue(extra, 'branch-alias');
  const alias = isRecord(aliases) ? ownValue(aliases, version) : undefined;
  return typeof alias === 'string' && alias.trim() !== '' ? normaliseVersion(alias) : undefined;
};

const fromComposerLock = (path: string, text: string): PackageEntry[] => {
  const doc = parseUntrustedJson(path, text, MAX_COMPOSER_CHARS);
  if (!isRecord(doc) || !Array.isArray(doc.packages)) {
    throw new ValidationError(`${path} has no \`packages\` list; is it a composer.lock?`);
  }
  const sections: [string, unknown[]][] = [
    ['packages', doc.packages as unknown[]],
    ['packages-dev', Array.isArray(doc['packages-dev']) ? (doc['packages-dev'] as unknown[]) : []],
  ];
  const issues: string[] = [];
  const entries: PackageEntry[] = [];
  const seen = new Map<string, string>();
  for (const [section, list] of sections) {
    list.forEach((p, i) => {
      const at = `${section}[${i}]`;
      if (!isRecord(p) || typeof p.name !== 'string' || p.name.trim() === '') {
        issues.push(`${at} has no name`);
        return;
      }
      const name = p.name.trim().toLowerCase();
      if (typeof p.version !== 'string' || p.version.trim() === '') {
        issues.push(`${at} (${p.name}) has no version`);
        return;
      }
      const first = seen.get(name);
      if (first !== undefined) {
        issues.push(`${p.name} is listed twice: ${first} and ${at}`);
        return;
      }
      seen.set(name, at);
      let version = normaliseVersion(p.version);
      const order = orderOf(p, p.version);
      // A branch tip says nothing about which commit it is; keep the commit so two builds of one branch differ.
      const ref = isRecord(p.source) && typeof p.source.reference === 'string' ? p.source.reference : undefined;
      if (DEV_RE.test(version) && ref) version += `#${ref.slice(0, 7)}`;
      entries.push({
        name,
        version,
        ...(typeof p.type === 'string' ? { type: p.type } : {}),
        ...(order !== undefined && order !== version ? { order } : {}),
      });
    });
  }
  if (issues.length) {
    const shown = issues.slice(0, 3).join('; ') + (issues.length > 3 ? ` and ${issues.length - 3} more` : '');
    throw new ValidationError(`${path} has malformed package entries: ${shown}.`, issues);
  }
  return entries;
};

/** Platform requirements (PHP, extensions) are not packages a site moves between. */
const PLATFORM_PACKAGE_RE = /^(php(-64bit|-ipv6|-zts|-debug)?|hhvm|composer(-plugin-api|-runtime-api)?|ext-.+|lib-.+)$/i;

const fromComposerJson = (path: string, text: string): PackageEntry[] => {
  const doc = parseUntrustedJson(path, text, MAX_COMPOSER_CHARS);
  if (!isRecord(doc)) throw new ValidationError(`${path} is not a JSON object.`);
  const require = isRecord(doc.require) ? doc.require : {};
  const entries = Object.entries(require).filter(([name, constraint]) => typeof constraint === 'string' && !PLATFORM_PACKAGE_RE.test(name));
  const empty = entries.filter(([, constraint]) => (constraint as string).trim() === '').map(([name]) => `require.${name} has no version constraint`);
  if (empty.length) throw new ValidationError(`${path} has malformed requirements: ${empty.join('; ')}.`, empty);
  return entries.map(([name, constraint]) => ({ name: name.toLowerCase(), version: (constraint as string).trim() }));
};

// ------------------------------------------------------------------------------------------ makefiles

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/** `projects` of an INI or YAML makefile → packages named like their Drupal.org composer packages. */
const makeProjects = (doc: unknown): PackageEntry[] => {
  if (!isRecord(doc)) return [];
  const projects = doc.projects;
  const items: [string, unknown][] = Array.isArray(projects)
    ? projects.filter((n): n is string => typeof n === 'string').map((n) => [n, null])
    : isRecord(projects)
      ? Object.entries(projects).map(([key, spec]) => (/^\d+$/.test(key) && typeof spec === 'string' ? [spec, null] : [key, spec]))
      : [];
  return items.map(([name, spec]) => {
    const s = isRecord(spec) ? spec : { version: spec };
    const download = isRecord(s.download) ? s.download : {};
    const branch = str(download.branch);
    const revision = str(download.revision);
    const version =
      str(s.version) ?? str(download.tag) ?? (branch ? `${branch}-dev` : undefined) ?? (revision ? 'dev-unknown' : 'unspecified');
    const core = name === 'drupal';
    return {
      name: core ? 'drupal/drupal' : `drupal/${name.toLowerCase()}`,
      version: normaliseVersion(version) + (revision && DEV_RE.test(version) ? `#${revision.slice(0, 7)}` : ''),
      type: core ? 'drupal-core' : `drupal-${str(s.type) ?? 'module'}`,
    };
  });
};

const isYaml = (path: string): boolean => path.toLowerCase().endsWith('.yml');

/** Makefiles of one format together, so many small files cannot add up past one big one. */
const assertTotalSize = (files: Record<string, string>, paths: string[], kind: string, max: number): void =>
  assertMaxSize(
    paths.length === 1 ? paths[0]! : `The ${paths.length} ${kind} makefiles together`,
    paths.reduce((sum, p) => sum + files[p]!.length, 0),
    max,
  );

const fromMakefiles = (files: Record<string, string>, paths: string[]): PackageEntry[] => {
  const yaml = paths.filter(isYaml);
  const ini = paths.filter((p) => !isYaml(p));
  if (yaml.length) assertTotalSize(files, yaml, 'YAML', MAX_YAML_CHARS);
  if (ini.length) assertTotalSize(files, ini, 'INI', MAX_MAKE_INI_CHARS);
  return paths.flatMap((path) => makeProjects(isYaml(path) ? parseYaml(files[path]!, path) : parseMakeIni(files[path]!, path)));
};

// ------------------------------------------------------------------------------------------ entry point

/** Later entries win, so an including makefile can override what it includes; sorted by name. */
const byName = (entries: PackageEntry[]): PackageEntry[] =>
  [...new Map(entries.map((e) => [e.name, e])).values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

/**
 * Parses a platform's tracked files (path → content). Throws ValidationError (with the file and reason) when the
 * file that decides the format is malformed, rather than silently reporting an empty platform.
 */
export const parseManifest = (files: Record<string, string>): Manifest => {
  const kept = Object.fromEntries(Object.entries(files).filter(([path]) => isManifestFile(path)));
  const lock = pathsWhere(kept, (n) => n === 'composer.lock')[0];
  if (lock) return { format: 'composer', packages: byName(fromComposerLock(lock, kept[lock]!)), files: kept };
  const makefiles = pathsWhere(kept, (n) => n.endsWith('.make') || n.endsWith('.make.yml'));
  if (makefiles.length) return { format: 'make', packages: byName(fromMakefiles(kept, makefiles)), files: kept };
  const json = pathsWhere(kept, (n) => n === 'composer.json')[0];
  if (json) return { format: 'composer', packages: byName(fromComposerJson(json, kept[json]!)), files: kept };
  return { format: 'none', packages: [], files: kept };
};
