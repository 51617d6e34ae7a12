/**
 * Reads what a platform is made of from its tracked files: composer.lock first (exact versions), else Drush
 * makefiles (`.make` INI or `.make.yml`), else composer.json `require` constraints.
 */
import { ValidationError } from '../errors.js';
import type { Manifest, PackageEntry } from '../platform.js';
import { parseYamlSubset, type YamlValue } from './mini-yaml.js';
import { normaliseVersion } from './versions.js';

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

const parseJson = (path: string, text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ValidationError(`${path} is not valid JSON.`, [`${path}: ${(e as Error).message}`]);
  }
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const DEV_RE = /^dev-|[.-]dev$/i;

// ------------------------------------------------------------------------------------------ composer

const fromComposerLock = (path: string, text: string): PackageEntry[] => {
  const doc = parseJson(path, text);
  if (!isRecord(doc) || !Array.isArray(doc.packages)) {
    throw new ValidationError(`${path} has no \`packages\` list; is it a composer.lock?`);
  }
  const dev = Array.isArray(doc['packages-dev']) ? (doc['packages-dev'] as unknown[]) : [];
  const issues: string[] = [];
  const entries: PackageEntry[] = [];
  [...(doc.packages as unknown[]), ...dev].forEach((p, i) => {
    if (!isRecord(p) || typeof p.name !== 'string' || typeof p.version !== 'string') {
      issues.push(`package #${i + 1} has no name or version`);
      return;
    }
    let version = normaliseVersion(p.version);
    // A branch tip says nothing about which commit it is; keep the commit so two builds of one branch differ.
    const ref = isRecord(p.source) && typeof p.source.reference === 'string' ? p.source.reference : undefined;
    if (DEV_RE.test(version) && ref) version += `#${ref.slice(0, 7)}`;
    entries.push({ name: p.name.toLowerCase(), version, ...(typeof p.type === 'string' ? { type: p.type } : {}) });
  });
  if (issues.length) throw new ValidationError(`${path} has malformed package entries.`, issues);
  return entries;
};

/** Platform requirements (PHP, extensions) are not packages a site moves between. */
const PLATFORM_PACKAGE_RE = /^(php(-64bit|-ipv6|-zts|-debug)?|hhvm|composer(-plugin-api|-runtime-api)?|ext-.+|lib-.+)$/i;

const fromComposerJson = (path: string, text: string): PackageEntry[] => {
  const doc = parseJson(path, text);
  if (!isRecord(doc)) throw new ValidationError(`${path} is not a JSON object.`);
  const require = isRecord(doc.require) ? doc.require : {};
  return Object.entries(require)
    .filter(([name, constraint]) => typeof constraint === 'string' && !PLATFORM_PACKAGE_RE.test(name))
    .map(([name, constraint]) => ({ name: name.toLowerCase(), version: (constraint as string).trim() }));
};

// ------------------------------------------------------------------------------------------ makefiles

type Tree = { [key: string]: Tree | string };

/** Drush INI makefile: `projects[views][version] = 3.14`, `projects[] = token`, `core = 7.x`. */
export const parseMakeIni = (text: string, file = 'makefile'): Tree => {
  const root: Tree = {};
  text.split(/\r?\n/).forEach((raw, idx) => {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) return;
    const m = /^([^[=\s]+)((?:\[[^\]]*\])*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new ValidationError(`${file} line ${idx + 1}: expected \`key = value\`, got \`${line}\``);
    const keys = [m[1]!, ...[...m[2]!.matchAll(/\[([^\]]*)\]/g)].map((k) => k[1]!.trim().replace(/^["']|["']$/g, ''))];
    const value = m[3]!.trim().replace(/^"(.*)"$|^'(.*)'$/, '$1$2');
    let node = root;
    keys.forEach((key, i) => {
      // `[]` appends, like PHP arrays.
      const k = key === '' ? String(Object.keys(node).length) : key;
      if (i === keys.length - 1) {
        node[k] = value;
        return;
      }
      const child = node[k];
      if (typeof child === 'object') node = child;
      else {
        // `projects[views] = 3.14` followed by `projects[views][subdir] = contrib`: the short form is the version.
        const next: Tree = typeof child === 'string' ? { version: child } : {};
        node[k] = next;
        node = next;
      }
    });
  });
  return root;
};

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

const fromMakefiles = (files: Record<string, string>, paths: string[]): PackageEntry[] =>
  paths.flatMap((path) => {
    const text = files[path]!;
    const doc: YamlValue | Tree = path.toLowerCase().endsWith('.yml') ? parseYamlSubset(text, path) : parseMakeIni(text, path);
    return makeProjects(doc);
  });

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
