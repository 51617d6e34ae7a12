/**
 * Reading a fleet to import: the JSON `drush site:alias --format=json` prints — drush 8 on Aegir 3 (provision
 * contexts keyed by name, with `context_type`, `uri`, `root`, `platform`, `server`) and drush 9+ (`@site.env` keys
 * with `root`, `uri`, `host`) — or CSV `site,platform,server` (platform by name or by root path). Everything here is
 * untrusted: sizes and row counts are bounded before any work, keys that reach a prototype are refused, and each
 * row's problem (bad domain, root outside reason, formula cell …) refuses that row with the reason, not the file.
 */
import { ValidationError } from './errors.js';
import { parseUntrustedJson } from './compare/untrusted-input.js';
import { fieldProblem } from './field-limits.js';
import { SITE_NAME_PATTERN } from './site.js';

export const IMPORT_FORMATS = ['drush-json', 'csv'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** More rows than this is refused whole (an Aegir with 20,000 sites imports in two steps). */
export const MAX_IMPORT_ROWS = 20_000;
/** Characters of import text accepted (the HTTP body limit is checked before this). */
export const MAX_IMPORT_CHARS = 8 * 1024 * 1024;
const MAX_ROOT_CHARS = 1024;

/** One site as the file lists it, before it is matched to a platform. */
export interface ImportRow {
  /** 1-based: the CSV line, or the alias's position in the JSON. */
  line: number;
  /** The alias name (`@example.org`) or the CSV's site cell, as written (cut to 200 characters). */
  label: string;
  /** The site name (ASCII host name, punycode for unicode domains); null when the row is refused. */
  site: string | null;
  /** Absolute code base root (aliases, CSV paths), or null when the CSV names a platform. */
  root: string | null;
  /** The platform named in the CSV (null for aliases and root paths). */
  platform: string | null;
  server: string | null;
  /** Why this row cannot be imported (null: fine so far). */
  problem: string | null;
  /** Read but not a site (an Aegir platform or server context, the hostmaster site): listed, never imported. */
  skipped?: string;
}

const cut = (s: string, n = 200): string => (s.length > n ? `${s.slice(0, n)}…` : s);

/**
 * A host name from a URI or bare name: scheme, credentials, port and path dropped, lower-cased, a trailing dot
 * dropped; unicode domains become their punycode form (as DNS and Drupal's sites directory name them).
 */
export const siteNameOf = (raw: string): { site: string } | { problem: string } => {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(raw)) return { problem: 'the site name contains a control character (NUL, newline …)' };
  let host = raw.trim();
  if (!host) return { problem: 'no site name (uri)' };
  if (host.length > 2048) return { problem: 'the site name is longer than 2048 characters' };
  const scheme = host.indexOf('://');
  if (scheme >= 0) host = host.slice(scheme + 3);
  const end = host.search(/[/?#]/);
  if (end >= 0) host = host.slice(0, end);
  const at = host.lastIndexOf('@');
  if (at >= 0) host = host.slice(at + 1);
  let ascii: string;
  // Already a plain ASCII host name (nearly every row): nothing for IDNA to do.
  if (/^[A-Za-z0-9.-]{1,253}$/.test(host)) ascii = host.toLowerCase();
  else try {
    // WHATWG URL parsing applies IDNA (punycode) and refuses what no host can be.
    ascii = new URL(`http://${host}/`).hostname;
  } catch {
    return { problem: `\`${cut(raw, 80)}\` is not a host name` };
  }
  if (ascii.endsWith('.')) ascii = ascii.slice(0, -1);
  const tooLong = fieldProblem('site', ascii, 'name');
  if (tooLong) return { problem: tooLong.replace(/^site: /, 'the site name is ') };
  if (!SITE_NAME_PATTERN.test(ascii) || ascii.includes('..')) return { problem: `\`${cut(raw, 80)}\` is not a host name such as community.example.org` };
  return { site: ascii };
};

/** Why `root` is not a usable code base root; null when it is. The driver checks its confinement afterwards. */
export const rootProblem = (root: string): string | null => {
  if (root.length > MAX_ROOT_CHARS) return `the root is longer than ${MAX_ROOT_CHARS} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(root)) return 'the root contains a control character (NUL, newline …)';
  if (!root.startsWith('/')) return 'the root must be an absolute path';
  if (root.split('/').some((part) => part === '..' || part === '.')) return 'the root must not contain `..` or `.` components';
  return null;
};

/** `/var/aegir/platforms/os-12.3.3/` → `/var/aegir/platforms/os-12.3.3` (one spelling per directory). */
export const normalizeRoot = (root: string): string => {
  let end = root.length;
  while (end > 1 && root[end - 1] === '/') end--;
  return root.slice(0, end).replace(/\/{2,}/g, '/');
};

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** `@server_master` → `master`; a drush 9 `host` as it is. */
const serverOf = (record: Record<string, unknown>): string | null => {
  const aegir = str(record['server']);
  if (aegir) return aegir.replace(/^@?server_/, '').replace(/^@/, '') || null;
  return str(record['host']);
};

/** The JSON of `drush site:alias --format=json` (drush 8 / Aegir 3, or drush 9+), one row per alias. */
export const parseDrushAliases = (text: string): ImportRow[] => {
  const doc = parseUntrustedJson('content', text, MAX_IMPORT_CHARS);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ValidationError('The aliases are not drush site:alias JSON.', ['content: expected an object keyed by alias name, as `drush site:alias --format=json` prints']);
  }
  const entries = Object.entries(doc as Record<string, unknown>);
  assertRowCount(entries.length);
  return entries.map(([name, value], i): ImportRow => {
    const row: ImportRow = { line: i + 1, label: cut(name), site: null, root: null, platform: null, server: null, problem: null };
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ...row, problem: 'the alias is not an object' };
    const record = value as Record<string, unknown>;
    const context = str(record['context_type']);
    if (context && context !== 'site') return { ...row, skipped: `an Aegir ${cut(context, 40)} context, not a site` };
    if (str(record['profile']) === 'hostmaster' || name.replace(/^@/, '') === 'hostmaster') return { ...row, skipped: "Aegir's own front end (hostmaster)" };
    row.server = serverOf(record);
    const uri = str(record['uri']) ?? str(record['#name']) ?? (context === 'site' ? name.replace(/^@/, '') : null);
    if (!uri) return { ...row, problem: 'no `uri`: drush aliases without one name no site' };
    const named = siteNameOf(uri);
    if ('problem' in named) return { ...row, problem: named.problem };
    row.site = named.site;
    const root = str(record['root']);
    if (!root) return { ...row, problem: 'no `root`' };
    const problem = rootProblem(root);
    if (problem) return { ...row, problem };
    return { ...row, root: normalizeRoot(root) };
  });
};

const assertRowCount = (n: number): void => {
  if (n > MAX_IMPORT_ROWS) throw new ValidationError(`The import lists ${n} sites; at most ${MAX_IMPORT_ROWS} at once.`, [`content: ${n} rows, limit ${MAX_IMPORT_ROWS}`]);
};

/** A cell a spreadsheet would run as a formula: refused rather than stored (names never start so). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** RFC 4180 fields of one record, by one linear scan; the text's lines, quoted newlines included. */
const csvRecords = (text: string): string[][] => {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      if (records.length > MAX_IMPORT_ROWS + 1) assertRowCount(records.length);
      record = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || record.length) {
    record.push(field);
    records.push(record);
  }
  return records.filter((r) => !(r.length === 1 && r[0]!.trim() === ''));
};

/** CSV `site,platform,server` (a header line is optional); platform by name or by root path. */
export const parseFleetCsv = (rawText: string): ImportRow[] => {
  if (rawText.length > MAX_IMPORT_CHARS) throw new ValidationError('The CSV is too large.', [`content: ${rawText.length} characters, limit ${MAX_IMPORT_CHARS}`]);
  const text = rawText.charCodeAt(0) === 0xfeff ? rawText.slice(1) : rawText;
  const records = csvRecords(text);
  const header = records[0]?.map((c) => c.trim().toLowerCase());
  const hasHeader = header?.[0] === 'site';
  const body = hasHeader ? records.slice(1) : records;
  assertRowCount(body.length);
  return body.map((cells, i): ImportRow => {
    const line = i + 1 + (hasHeader ? 1 : 0);
    const [siteCell = '', platformCell = '', serverCell = ''] = cells.map((c) => c.trim());
    const row: ImportRow = { line, label: cut(siteCell), site: null, root: null, platform: null, server: serverCell || null, problem: null };
    if (cells.length > 3) return { ...row, problem: `${cells.length} cells; expected site,platform,server` };
    const formula = [siteCell, platformCell, serverCell].find((c) => FORMULA_START.test(c) && !c.startsWith('/'));
    if (formula !== undefined) return { ...row, label: `'${cut(formula, 80)}`, problem: 'a cell starts with = + - or @ (a spreadsheet formula); refused' };
    const named = siteNameOf(siteCell);
    if ('problem' in named) return { ...row, problem: named.problem };
    row.site = named.site;
    if (!platformCell) return { ...row, problem: 'no platform (a platform name or its root path)' };
    if (platformCell.startsWith('/')) {
      const problem = rootProblem(platformCell);
      return problem ? { ...row, problem } : { ...row, root: normalizeRoot(platformCell) };
    }
    const problem = fieldProblem('platform', platformCell, 'name');
    return problem ? { ...row, problem } : { ...row, platform: platformCell };
  });
};

export const parseImport = (format: ImportFormat, content: string): ImportRow[] =>
  format === 'csv' ? parseFleetCsv(content) : parseDrushAliases(content);

/** A version-looking part of a root (`os-12.3.3` → `12.3.3`), for the "build X first" advice. */
export const versionInRoot = (root: string): string | null => {
  const base = root.slice(root.lastIndexOf('/') + 1);
  const m = /(\d+(?:\.\d+){1,3})/.exec(base.length <= 255 ? base : '');
  return m ? m[1]! : null;
};
