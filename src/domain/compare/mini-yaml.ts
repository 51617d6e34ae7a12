/**
 * The YAML subset Drush `.make.yml` files use: block mappings and sequences by indentation, plain and quoted
 * scalars, `#` comments, and one-line flow collections (`{ views: { version: '3.14' } }`, `[a, b]`).
 * Every scalar stays a string, which is what versions need (YAML would read `3.10` as the number 3.1).
 * Anchors, multi-line scalars and documents markers other than a leading `---` are not supported.
 */
import { ValidationError } from '../errors.js';

export type YamlValue = string | null | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  indent: number;
  text: string;
  no: number;
}

const fail = (file: string, no: number, message: string): never => {
  throw new ValidationError(`${file} line ${no}: ${message}`, [`${file}:${no}: ${message}`]);
};

/** Removes a `#` comment that is outside quotes. */
const stripComment = (s: string): string => {
  let quote: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(s[i - 1]!))) return s.slice(0, i);
  }
  return s;
};

const unquote = (s: string): string => {
  if (s.length >= 2 && s.startsWith("'") && s.endsWith("'")) return s.slice(1, -1).replace(/''/g, "'");
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) {
    return s.slice(1, -1).replace(/\\(["\\nt])/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
  }
  return s;
};

const scalar = (raw: string): string | null => {
  const s = raw.trim();
  return s === '' || s === '~' || s === 'null' ? null : unquote(s);
};

/** Index of the `: ` (or final `:`) separating a key from its value, outside quotes and brackets. */
const keySeparator = (s: string): number => {
  let quote: string | null = null;
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === ':' && depth === 0 && (i === s.length - 1 || s[i + 1] === ' ')) return i;
  }
  return -1;
};

/** Flow collections: `{ a: b, c: { d: e } }`, `[a, 'b']`. */
const parseFlow = (src: string, file: string, no: number): YamlValue => {
  let i = 0;
  const ws = () => {
    while (i < src.length && /\s/.test(src[i]!)) i++;
  };
  const token = (stops: string): string => {
    ws();
    const q = src[i];
    if (q === '"' || q === "'") {
      const end = src.indexOf(q, i + 1);
      if (end < 0) fail(file, no, 'unterminated quote');
      const t = src.slice(i, end + 1);
      i = end + 1;
      return t;
    }
    const start = i;
    while (i < src.length && !stops.includes(src[i]!)) i++;
    return src.slice(start, i).trim();
  };
  const value = (): YamlValue => {
    ws();
    if (src[i] === '{') {
      i++;
      const map: Record<string, YamlValue> = {};
      for (;;) {
        ws();
        if (src[i] === '}') break;
        const key = scalar(token(':,}')) ?? '';
        if (src[i] !== ':') fail(file, no, `expected ':' after \`${key}\``);
        i++;
        map[key] = value();
        ws();
        if (src[i] === ',') i++;
        else if (src[i] !== '}') fail(file, no, "expected ',' or '}'");
      }
      i++;
      return map;
    }
    if (src[i] === '[') {
      i++;
      const list: YamlValue[] = [];
      for (;;) {
        ws();
        if (src[i] === ']') break;
        list.push(value());
        ws();
        if (src[i] === ',') i++;
        else if (src[i] !== ']') fail(file, no, "expected ',' or ']'");
      }
      i++;
      return list;
    }
    return scalar(token(',}]'));
  };
  const result = value();
  ws();
  if (i < src.length) fail(file, no, `unexpected \`${src.slice(i)}\``);
  return result;
};

const inlineValue = (raw: string, file: string, no: number): YamlValue => {
  const s = raw.trim();
  return s.startsWith('{') || s.startsWith('[') ? parseFlow(s, file, no) : scalar(s);
};

/** Parses `text` (named `file` in error messages). Throws ValidationError with the line number on bad input. */
export const parseYamlSubset = (text: string, file = 'YAML'): YamlValue => {
  const lines: Line[] = [];
  text.split(/\r?\n/).forEach((raw, idx) => {
    if (/^\s*\t/.test(raw)) fail(file, idx + 1, 'tabs are not allowed for indentation');
    const body = stripComment(raw).replace(/\s+$/, '');
    if (body.trim() === '' || (lines.length === 0 && body.trim() === '---')) return;
    lines.push({ indent: body.length - body.trimStart().length, text: body.trim(), no: idx + 1 });
  });
  let pos = 0;

  const block = (indent: number): YamlValue => {
    const first = lines[pos];
    if (!first || first.indent < indent) return null;
    if (first.text === '-' || first.text.startsWith('- ')) return sequence(first.indent);
    return mapping(first.indent);
  };

  const sequence = (indent: number): YamlValue[] => {
    const list: YamlValue[] = [];
    while (pos < lines.length && lines[pos]!.indent === indent && (lines[pos]!.text === '-' || lines[pos]!.text.startsWith('- '))) {
      const line = lines[pos++]!;
      const rest = line.text.slice(1).trim();
      if (rest === '') list.push(block(indent + 1));
      else if (keySeparator(rest) >= 0 && !rest.startsWith('{')) {
        // `- key: value` starts a mapping whose further keys are indented to align with `key`.
        lines[--pos] = { indent: indent + 2, text: rest, no: line.no };
        list.push(mapping(indent + 2));
      } else list.push(inlineValue(rest, file, line.no));
    }
    return list;
  };

  const mapping = (indent: number): Record<string, YamlValue> => {
    const map: Record<string, YamlValue> = {};
    while (pos < lines.length && lines[pos]!.indent === indent) {
      const line = lines[pos++]!;
      const sep = keySeparator(line.text);
      if (sep < 0) fail(file, line.no, `expected \`key: value\`, got \`${line.text}\``);
      const key = scalar(line.text.slice(0, sep)) ?? '';
      const rest = line.text.slice(sep + 1).trim();
      const next = lines[pos];
      const nestedList = next && next.indent === indent && (next.text === '-' || next.text.startsWith('- '));
      map[key] =
        rest !== ''
          ? inlineValue(rest, file, line.no)
          : next && next.indent > indent
            ? block(next.indent)
            : nestedList
              ? sequence(indent)
              : null;
    }
    const stray = lines[pos];
    if (stray && stray.indent > indent) fail(file, stray.no, 'unexpected indentation');
    return map;
  };

  const result = block(0);
  if (pos < lines.length) fail(file, lines[pos]!.no, 'unexpected indentation');
  return result;
};
