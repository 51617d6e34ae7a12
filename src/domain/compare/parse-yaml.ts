/**
 * YAML for Drush `.make.yml` files (and other small YAML we read), via the `yaml` package with the failsafe schema:
 * every scalar stays a string, which is what versions need (YAML 1.2 core would read `3.10` as the number 3.1).
 *
 * The package is not safe on hostile input by itself: 64 KB of `[` exhausts V8 inside it and aborts the process, and
 * its unique-key check is quadratic (97 s for 80,000 keys). So: a size limit, a nesting estimate from its own lexer
 * (which stops as soon as the limit is passed) before anything is composed, uniqueKeys off, an alias limit, and the
 * result copied into null-prototype objects with reserved keys refused.
 */
import { Lexer, parseDocument } from 'yaml';
import { ValidationError } from '../errors.js';
import { assertMaxSize, assertSafeKey, MAX_NESTING } from './untrusted-input.js';

export type YamlValue = string | YamlValue[] | { [key: string]: YamlValue };

/**
 * Drush YAML makefiles are a few KB. The `yaml` package is slow (0.25–1 MB/s measured on a busy 2-core machine), so
 * this cap is what bounds a parse: 50–250 ms at the limit there.
 */
export const MAX_YAML_CHARS = 64 * 1024;
/** Alias expansions allowed (none are needed; a few are harmless, a billion laughs is not). */
const MAX_ALIAS_COUNT = 50;

const fail = (file: string, message: string): never => {
  throw new ValidationError(`${file}: ${message}`, [`${file}: ${message}`]);
};

/**
 * An estimate of the nesting depth from the lexer's tokens (quotes and comments already told apart): open flow
 * brackets, plus, per open block line (by indentation), one level and one more per `-`, `?` or `:` indicator on it.
 * It over-counts ordinary files (`a: b` counts 2) and can under-count only by a sequence written at its key's
 * indentation, one level per indentation step, so real depth stays far below the thousands where the package fails.
 * Returns as soon as `limit` is passed, so a hostile file costs a few hundred tokens.
 */
const nestingEstimate = (text: string, limit: number): number => {
  const open: { indent: number; weight: number }[] = [];
  let blockDepth = 0;
  let flow = 0;
  let indent = 0;
  let lineStart = true;
  for (const lexeme of new Lexer().lex(text)) {
    if (lexeme === '\n') {
      lineStart = true;
      indent = 0;
      continue;
    }
    if (lineStart && flow === 0) {
      if (/^ +$/.test(lexeme)) {
        indent = lexeme.length;
        continue;
      }
      if (lexeme[0] === '#' || lexeme === '\u0002' || lexeme === '---' || lexeme === '...') continue;
      lineStart = false;
      while (open.length && open[open.length - 1]!.indent >= indent) blockDepth -= open.pop()!.weight;
      open.push({ indent, weight: 1 });
      blockDepth++;
    }
    if (lexeme === '[' || lexeme === '{') flow++;
    else if (lexeme === ']' || lexeme === '}') flow = Math.max(0, flow - 1);
    else if ((lexeme === '-' || lexeme === '?' || lexeme === ':') && open.length) {
      open[open.length - 1]!.weight++;
      blockDepth++;
    }
    if (blockDepth + flow > limit) return blockDepth + flow;
  }
  return blockDepth + flow;
};

/** Copies the composed value into null-prototype objects, refusing reserved and non-string keys. */
const toPlain = (value: unknown, file: string, depth: number): YamlValue => {
  if (depth > MAX_NESTING) fail(file, `nests deeper than ${MAX_NESTING} levels`);
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map((v) => toPlain(v, file, depth + 1));
  if (value instanceof Map) {
    const out = Object.create(null) as { [key: string]: YamlValue };
    for (const [k, v] of value) {
      if (typeof k !== 'string') fail(file, 'only plain text keys are supported');
      assertSafeKey(k as string, file);
      out[k as string] = toPlain(v, file, depth + 1);
    }
    return out;
  }
  // The failsafe schema yields only strings, sequences and maps; an empty document is null.
  return '';
};

/** Parses `text` (named `file` in errors); throws ValidationError naming the file and line on bad input. */
export const parseYaml = (text: string, file = 'YAML'): YamlValue => {
  assertMaxSize(file, text.length, MAX_YAML_CHARS);
  if (nestingEstimate(text, MAX_NESTING) > MAX_NESTING) fail(file, `nests deeper than ${MAX_NESTING} levels`);
  const doc = parseDocument(text, { schema: 'failsafe', uniqueKeys: false, prettyErrors: true });
  const error = doc.errors[0];
  if (error) fail(file, error.message.split('\n')[0]!.replace(/:$/, ''));
  let value: unknown;
  try {
    value = doc.toJS({ mapAsMap: true, maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    fail(file, (e as Error).message);
  }
  return toPlain(value, file, 0);
};
