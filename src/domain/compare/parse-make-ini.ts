/**
 * Drush INI makefiles: `projects[views][version] = 3.14`, `projects[] = token`, `core = 7.x`.
 *
 * Hand-written on purpose: the `ini` package reads `a[b][c] = x` as a flat key named `a[b][c]` (its `[]` suffix only
 * marks arrays), so it would need this same bracket walk on top. What Drush does (PHP's parse_ini_string plus
 * drush_make's bracket expansion) is small: one line, one key path, one value.
 */
import { ValidationError } from '../errors.js';
import { assertSafeKey } from './untrusted-input.js';

/** Parsed makefile: null-prototype objects all the way down. */
export type IniTree = { [key: string]: IniTree | string };

/** `a[b][c]…`: more keys than any makefile uses (`projects[x][download][url]` is 4). */
export const MAX_INI_KEY_DEPTH = 8;

const newTree = (): IniTree => Object.create(null) as IniTree;

const unquote = (s: string): string => {
  const t = s.trim();
  return t.length >= 2 && (t[0] === '"' || t[0] === "'") && t[t.length - 1] === t[0] ? t.slice(1, -1) : t;
};

const OPEN = 0x5b; // [
const EQUALS = 0x3d;
const SPACE = 0x20;
const TAB = 0x09;

/** `name[k1][k2] = value` → keys and value; null when the line is not of that shape. Linear, no regex. */
const splitLine = (line: string): { keys: string[]; value: string } | null => {
  let i = 0;
  for (let c = line.charCodeAt(0); i < line.length && c !== OPEN && c !== EQUALS && c !== SPACE && c !== TAB; c = line.charCodeAt(++i));
  if (i === 0) return null;
  const keys = [line.slice(0, i)];
  while (line.charCodeAt(i) === OPEN) {
    const close = line.indexOf(']', i + 1);
    if (close < 0) return null;
    keys.push(unquote(line.slice(i + 1, close)));
    i = close + 1;
  }
  while (line.charCodeAt(i) === SPACE || line.charCodeAt(i) === TAB) i++;
  if (line.charCodeAt(i) !== EQUALS) return null;
  return { keys, value: unquote(line.slice(i + 1)) };
};

/** Parses `text` (named `file` in errors). Throws ValidationError with the line number on bad input. */
export const parseMakeIni = (text: string, file = 'makefile'): IniTree => {
  const root = newTree();
  // Next index for `[]` per node, as PHP keeps it; counting keys each time would be quadratic.
  const nextIndex = new WeakMap<IniTree, number>();
  const lines = text.split('\n');
  for (let idx = 0; idx < lines.length; idx++) {
    const line = lines[idx]!.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const parsed = splitLine(line);
    const where = `${file} line ${idx + 1}`;
    if (!parsed) {
      const shown = line.length > 80 ? `${line.slice(0, 80)}…` : line;
      throw new ValidationError(`${where}: expected \`key = value\`, got \`${shown}\``);
    }
    if (parsed.keys.length > MAX_INI_KEY_DEPTH) throw new ValidationError(`${where}: more than ${MAX_INI_KEY_DEPTH} nested keys.`);
    let node = root;
    const last = parsed.keys.length - 1;
    for (let i = 0; i <= last; i++) {
      let k = parsed.keys[i]!;
      if (k === '') {
        // `[]` appends, like PHP arrays.
        const n = nextIndex.get(node) ?? 0;
        nextIndex.set(node, n + 1);
        k = String(n);
      } else assertSafeKey(k, where);
      if (i === last) {
        node[k] = parsed.value;
        break;
      }
      const child = node[k];
      if (typeof child === 'object') node = child;
      else {
        // `projects[views] = 3.14` followed by `projects[views][subdir] = contrib`: the short form is the version.
        const next = newTree();
        if (typeof child === 'string') next.version = child;
        node[k] = next;
        node = next;
      }
    }
  }
  return root;
};
