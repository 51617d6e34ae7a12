/**
 * Enabled modules as `drush pm:list --status=enabled --format=json` prints them (drush 9+ and drush 8's
 * `pm-list` alike): an object keyed by machine name, each with a `status`. Read from a hosting driver (command
 * output, or a file beside the site), so it is untrusted: size- and nesting-bounded, no prototype keys, machine
 * names only.
 */
import { ValidationError } from './errors.js';
import { parseUntrustedJson } from './compare/untrusted-input.js';

export const MAX_MODULE_LIST_CHARS = 4 * 1024 * 1024;
export const MAX_MODULES = 2000;
export const MODULE_NAME_PATTERN = /^[a-z0-9_]{1,128}$/;

/** The enabled module machine names, sorted; throws ValidationError naming `source` when it is not such a list. */
export const parseDrushModuleList = (source: string, text: string): string[] => {
  const doc = parseUntrustedJson(source, text.trim() || '{}', MAX_MODULE_LIST_CHARS);
  // drush prints `[]` for an empty list.
  if (Array.isArray(doc) && doc.length === 0) return [];
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ValidationError(`${source} is not a drush module list (an object keyed by machine name).`, [`${source}: expected an object`]);
  }
  const names: string[] = [];
  for (const [name, info] of Object.entries(doc as Record<string, unknown>)) {
    if (!MODULE_NAME_PATTERN.test(name)) throw new ValidationError(`${source} lists \`${name.slice(0, 80)}\`, not a module machine name.`, [`${source}: bad module name`]);
    const status = typeof info === 'object' && info !== null ? (info as Record<string, unknown>)['status'] : undefined;
    // --status=enabled leaves only enabled ones; a full list says which.
    if (status === undefined || (typeof status === 'string' && status.toLowerCase() === 'enabled')) names.push(name);
  }
  if (names.length > MAX_MODULES) throw new ValidationError(`${source} lists ${names.length} modules; at most ${MAX_MODULES} are read.`, [`${source}: too many modules`]);
  return names.sort();
};
