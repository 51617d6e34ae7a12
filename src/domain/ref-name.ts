/**
 * Branch and tag names as `git check-ref-format` accepts them, never starting with `-` (git would read one as an
 * option) and never `@` (git reads it as HEAD). Names come from operators and from upstream servers, and reach git, logs, Slack and command templates.
 */

/** Longer names are refused: no real release or branch needs more, and they end up in directory names. */
export const MAX_REF_NAME_LENGTH = 200;

/** Control characters, space and the characters git forbids anywhere in a ref: ~ ^ : ? * [ \ DEL. */
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CHARS = /[\x00-\x20~^:?*[\\\x7f]/;

/** Why `name` (a short branch or tag name, without `refs/heads/`) is not a usable ref name; null when it is. */
export const refNameProblem = (name: string): string | null => {
  if (!name) return 'empty';
  if (name.length > MAX_REF_NAME_LENGTH) return `longer than ${MAX_REF_NAME_LENGTH} characters`;
  if (name.startsWith('-')) return 'starts with "-"';
  if (FORBIDDEN_CHARS.test(name)) return 'contains a space, control character or one of ~ ^ : ? * [ \\';
  if (name === '@' || name.includes('@{')) return 'is "@" or contains "@{"';
  if (name.includes('..')) return 'contains ".."';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return 'has an empty path component';
  if (name.endsWith('.')) return 'ends with "."';
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return 'has a path component starting with "."';
    if (part.endsWith('.lock')) return 'has a path component ending with ".lock"';
  }
  return null;
};

export const isValidRefName = (name: string): boolean => refNameProblem(name) === null;
