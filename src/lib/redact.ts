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

/** `https://deploy:token@host/repo` → `https://***@host/repo`. */
export const redactUrl = (text: string): string => text.replace(URL_USERINFO, `://${REDACTED}@`);

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
