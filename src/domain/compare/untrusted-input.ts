/**
 * Guards shared by every parser of upstream-controlled text (composer.json/lock, makefiles, advisories): size limits,
 * keys that could reach an object prototype, and JSON parsing with both.
 */
import { ValidationError } from '../errors.js';

/** Keys that, written into a plain object, reach (or shadow) its prototype. Refused in every input format. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Throws a ValidationError naming the key and the file when `key` could reach a prototype. */
export const assertSafeKey = (key: string, file: string): void => {
  if (FORBIDDEN_KEYS.has(key)) {
    throw new ValidationError(`${file} uses the key \`${key}\`, which is not allowed.`, [`${file}: key \`${key}\` is reserved`], {
      hint: 'Rename or remove that entry; `__proto__`, `constructor` and `prototype` are never valid names here.',
    });
  }
};

const size = (chars: number): string => (chars >= 1024 * 1024 ? `${(chars / 1024 / 1024).toFixed(2)} MB` : `${(chars / 1024).toFixed(1)} KB`);

/** Throws a ValidationError when `chars` (a text's length) is over `maxChars`; checked before any parsing work. */
export const assertMaxSize = (file: string, chars: number, maxChars: number): void => {
  if (chars > maxChars) {
    throw new ValidationError(`${file} is too large (${size(chars)}; the limit is ${size(maxChars)}).`, [
      `${file}: ${chars} characters, limit ${maxChars}`,
    ]);
  }
};

/** A byte-order mark is legal at the start of a UTF-8 file but not in JSON text. */
export const stripBom = (text: string): string => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

/** Deepest nesting accepted in JSON or YAML input; real manifests stay under 10. */
export const MAX_NESTING = 64;

/** Nesting depth of JSON text, by one scan that skips strings; stops counting once past `limit`. */
const jsonDepth = (text: string, limit: number): number => {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max && (max = depth) > limit) return max;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
};

/** First prototype-reaching key anywhere in a parsed JSON value (iterative: depth is already bounded, but cheap). */
const forbiddenKeyIn = (root: unknown): string | undefined => {
  const stack: unknown[] = [root];
  while (stack.length) {
    const node = stack.pop();
    if (typeof node !== 'object' || node === null) continue;
    if (Array.isArray(node)) {
      for (const item of node) stack.push(item);
      continue;
    }
    for (const key of Object.keys(node)) {
      if (FORBIDDEN_KEYS.has(key)) return key;
      stack.push((node as Record<string, unknown>)[key]);
    }
  }
  return undefined;
};

/**
 * JSON.parse with a size limit, a nesting limit (checked by a linear scan first: V8 spends ~0.5 s on 10^6 nested
 * arrays), a tolerated BOM, and no prototype-reaching key anywhere in the document. (JSON.parse itself makes
 * `__proto__` an own property, but later code copying keys around must never meet one.)
 */
export const parseUntrustedJson = (file: string, text: string, maxChars: number): unknown => {
  assertMaxSize(file, text.length, maxChars);
  const json = stripBom(text);
  if (jsonDepth(json, MAX_NESTING) > MAX_NESTING) {
    throw new ValidationError(`${file} nests deeper than ${MAX_NESTING} levels.`, [`${file}: nesting limit ${MAX_NESTING}`]);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (e) {
    throw new ValidationError(`${file} is not valid JSON.`, [`${file}: ${(e as Error).message}`]);
  }
  const forbidden = forbiddenKeyIn(doc);
  if (forbidden !== undefined) assertSafeKey(forbidden, file);
  return doc;
};
