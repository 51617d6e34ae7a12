/**
 * The line of a command's error output that says what went wrong: git, tar, drush and shells print the cause
 * first ("fatal: …", "tar: x: Cannot open: …") and generic advice or summaries after it ("Please make sure you
 * have the correct access rights", "tar: Exiting with failure status due to previous errors"). Credentials in
 * URLs are redacted (`https://user:token@host` → `https://***@host`); configured secrets are redacted at the sinks.
 */
import { redactUrl } from './redact.js';

const NOISE = [
  /^Cloning into /i,
  /^hint:/i,
  /^Please make sure you have the correct access rights/i,
  /^and the repository exists\.?$/i,
  /^fatal: Could not read from remote repository\.?$/i,
  /^tar: Exiting with failure status/i,
  /^tar: Error is not recoverable/i,
  /^gzip: .*unexpected end of file/i,
];
/** Lines that are advice or summaries rather than the cause (left out of error summaries). */
export const isNoiseLine = (line: string): boolean => NOISE.some((n) => n.test(line));

const CAUSE = /^(fatal|error|remote|tar|gzip|drush|\[error\]|ERROR|sh|bash)\b:?/i;

/** The first meaningful line of `output` (at most `max` characters), or `fallback` when there is none. */
export const firstErrorLine = (output: string, max = 300, fallback = 'failed (no error output)'): string => {
  const lines = output
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !NOISE.some((n) => n.test(l)));
  const line = lines.find((l) => CAUSE.test(l)) ?? lines[0] ?? fallback;
  const clean = redactUrl(line);
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
};
