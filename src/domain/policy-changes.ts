/**
 * What a policy change changed, as before → after values for the audit log: each changed leaf of the policy by
 * its path (`rollout.waves.batchSize: 4 → 8`), lists as their text. Values are redacted by the caller's redactor
 * (URL credentials, operator secrets) and bounded, so an entry stays small whatever the policy holds.
 */
import type { AuditDetails } from './audit.js';

const MAX_VALUE_CHARS = 300;
const MAX_CHANGES = 40;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

const flatten = (value: unknown, path: string, out: Map<string, string>): void => {
  if (isObject(value)) {
    for (const k of Object.keys(value)) flatten(value[k], path ? `${path}.${k}` : k, out);
    return;
  }
  // Absent and null both mean "not set" (a form sends null, the API may leave it out).
  if (value === undefined || value === null) return;
  out.set(path, typeof value === 'string' ? value : JSON.stringify(value));
};

const shown = (v: string | undefined, redact: (s: string) => string): string => {
  if (v === undefined) return '—';
  const text = redact(v);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
};

/** `{ "rollout.failureThreshold": "0 → 0.1" }`, in path order; {} when nothing changed. */
export const policyChanges = (before: unknown, after: unknown, redact: (s: string) => string = (s) => s): AuditDetails => {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  flatten(before, '', a);
  flatten(after, '', b);
  const paths = [...new Set([...a.keys(), ...b.keys()])].filter((p) => a.get(p) !== b.get(p)).sort();
  const details: AuditDetails = {};
  for (const p of paths.slice(0, MAX_CHANGES)) details[p] = `${shown(a.get(p), redact)} → ${shown(b.get(p), redact)}`;
  if (paths.length > MAX_CHANGES) details['more'] = `${paths.length - MAX_CHANGES} more changes`;
  return details;
};
