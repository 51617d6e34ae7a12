/**
 * The one home of per-field size limits and the control-character rule for everything written through a
 * service (HTTP API, Slack, webhooks all go through services). A problem is reported as `field: what is wrong`,
 * so every transport can name the field.
 */

/** Characters per dot-separated label of a name (a DNS label), and of a whole name (site, slug, platform, server). */
export const MAX_LABEL_CHARS = 63;
export const MAX_NAME_CHARS = 200;
/** Upstream URLs. */
export const MAX_URL_CHARS = 2048;
/** Free text (descriptions). */
export const MAX_TEXT_CHARS = 2048;
/** One-line labels shown in lists and Slack (titles). */
export const MAX_TITLE_CHARS = 200;
/** Git branch/tag names, tag patterns and paths inside a repository (git's own limit per ref is 255 bytes). */
export const MAX_REF_CHARS = 255;
/** Slack channel IDs or names (Slack caps names at 80). */
export const MAX_CHANNEL_CHARS = 80;

export type FieldKind = 'name' | 'title' | 'text' | 'url' | 'ref' | 'channel';

const MAX: Record<FieldKind, number> = {
  name: MAX_NAME_CHARS,
  title: MAX_TITLE_CHARS,
  text: MAX_TEXT_CHARS,
  url: MAX_URL_CHARS,
  ref: MAX_REF_CHARS,
  channel: MAX_CHANNEL_CHARS,
};

/**
 * C0 controls (NUL, ESC…), DEL, C1 controls, Unicode line/paragraph separators and bidi overrides: they break
 * file names, logs, terminals and Slack rendering, or make a name read differently from what it is.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** Multi-line free text may keep tabs and line breaks. */
// eslint-disable-next-line no-control-regex
const CONTROL_IN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** What is wrong with one field's value, or null. Non-strings are left to the caller's type checks. */
export const fieldProblem = (field: string, value: unknown, kind: FieldKind): string | null => {
  if (typeof value !== 'string') return null;
  const max = MAX[kind];
  if (value.length > max) return `${field}: at most ${max} characters (got ${value.length})`;
  if ((kind === 'text' ? CONTROL_IN_TEXT : CONTROL).test(value)) return `${field}: must not contain control characters`;
  if (kind === 'name') {
    const long = value.split('.').find((label) => label.length > MAX_LABEL_CHARS);
    if (long !== undefined) return `${field}: each dot-separated part at most ${MAX_LABEL_CHARS} characters (got ${long.length})`;
  }
  return null;
};

/** One `field: problem` per bad field; undefined/null values (not given) pass. */
export const fieldProblems = (fields: ReadonlyArray<readonly [field: string, value: unknown, kind: FieldKind]>): string[] =>
  fields.map(([field, value, kind]) => fieldProblem(field, value, kind)).filter((p): p is string => p !== null);
