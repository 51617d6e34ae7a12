/**
 * One redactor for every way text leaves the process (logger, task/build logs, Slack messages, HTTP responses):
 * credentials written into URLs (`https://user:token@host`) and the operator's configured secrets are replaced by
 * `***`, including their JSON-, HTML- and URL-encoded spellings, since sinks see text after such encoding.
 */
import type { Config } from '../config.js';

export const REDACTED = '***';

/** The userinfo of a URL (`://user:pass@`), bounded so a long line cannot make the scan quadratic. */
const URL_USERINFO = /:\/\/[^/@\s"'<>\\]{1,256}@/g;

/** Secrets shorter than this are not replaced: they would blank out ordinary words (and are too weak to matter). */
const MIN_SECRET_LENGTH = 4;

export type Redactor = (text: string) => string;

/** A URL in text (bounded, so the scan stays linear). */
const URL_IN_TEXT = /\b(?:https?|wss?|git|ssh):\/\/[^\s"'<>\\`]{1,4096}/gi;
/** Query and fragment parameters that carry credentials (OAuth implicit-flow fragments included). */
const CREDENTIAL_PARAM = /^(?:access_token|id_token|refresh_token|token|auth|authorization|api[_-]?key|apikey|key|password|passwd|pwd|secret|client_secret|private_token|jwt|session|sessionid|x-amz-signature|x-goog-signature)$/i;
/** `name=value` after `?`, `&`, `#` or `;` (the end of `&amp;` once HTML-escaped). */
const PARAM = /([?&#;])([^=&#;?\s]{1,64})=([^&#;\s|)]*)/g;
/** A fragment that is itself an opaque token (long, letters and digits, no `=` pairs). */
const TOKEN_FRAGMENT = /#([A-Za-z0-9._~+/-]{20,})$/;

const redactQuery = (url: string): string => {
  const start = url.search(/[?#]/);
  if (start < 0) return url;
  let tail = url.slice(start).replace(PARAM, (m, sep: string, name: string) => (CREDENTIAL_PARAM.test(name) ? `${sep}${name}=${REDACTED}` : m));
  const bare = TOKEN_FRAGMENT.exec(tail);
  if (bare && /\d/.test(bare[1]!) && /[A-Za-z]/.test(bare[1]!)) tail = `${tail.slice(0, bare.index)}#${REDACTED}`;
  return url.slice(0, start) + tail;
};

/**
 * `https://deploy:token@host/repo` → `https://***@host/repo`; `…?access_token=abc&x=1` → `…?access_token=***&x=1`;
 * `…#access_token=abc` and an opaque token fragment `…#eyJhbGciOi…` → `***`.
 */
export const redactUrl = (text: string): string => text.replace(URL_USERINFO, `://${REDACTED}@`).replace(URL_IN_TEXT, redactQuery);

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const htmlEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** The spellings a secret may have by the time it reaches a sink. */
const spellings = (secret: string): string[] => [
  secret,
  JSON.stringify(secret).slice(1, -1),
  JSON.stringify(JSON.stringify(secret).slice(1, -1)).slice(1, -1),
  htmlEscape(secret),
  encodeURIComponent(secret),
];

/** A redactor for URL credentials and the given secret values (empty and very short ones are ignored). */
export const createRedactor = (secrets: Iterable<string | null | undefined>): Redactor => {
  const words = new Set<string>();
  for (const s of secrets) if (s && s.length >= MIN_SECRET_LENGTH) for (const w of spellings(s)) words.add(w);
  // Longest first, so a secret that contains another is replaced whole.
  const pattern = words.size ? new RegExp([...words].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g') : null;
  return (text) => {
    const out = redactUrl(text);
    return pattern ? out.replace(pattern, REDACTED) : out;
  };
};

/** Secrets the operator configured (or that were generated for this run). */
export const configSecrets = (config: Config): (string | null)[] => [
  config.admin.token,
  config.admin.password,
  config.links.secret,
  config.github.token,
  config.github.webhookSecret,
  config.slack.botToken,
  config.slack.signingSecret,
  config.slack.appToken ?? null,
  config.metrics.token,
];

export const redactorFor = (config: Config): Redactor => createRedactor(configSecrets(config));

/** Applies `redact` to every string inside plain objects and arrays (other values are returned as they are). */
export const redactDeep = <T>(value: T, redact: Redactor): T => {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactDeep(v, redact)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    // fromEntries defines properties, so a key named `__proto__` stays a plain key.
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, redact)])) as T;
  }
  return value;
};
