/**
 * Repositories whose free-text writes (build logs, task logs, task errors, poll errors, audit details) pass through the redactor first, so a
 * credential in a git URL or a configured secret that reaches a log line is never stored, shown or posted.
 */
import type { Repositories } from '../domain/ports.js';
import type { Redactor } from '../lib/redact.js';

/** `target` with some methods replaced; every other member is the target's own, bound to it. */
const override = <T extends object>(target: T, methods: Partial<T>): T =>
  new Proxy(target, {
    get(t, prop) {
      if (Object.hasOwn(methods, prop)) return methods[prop as keyof T];
      const value: unknown = Reflect.get(t, prop, t);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
  });

export const withRedactedLogs = (repos: Repositories, redact: Redactor): Repositories => {
  const { audit, distributions, platforms, tasks } = repos;
  return override(repos, {
    distributions: override(distributions, {
      recordPoll: (id, outcome) => distributions.recordPoll(id, outcome.error ? { ...outcome, error: redact(outcome.error) } : outcome),
    }),
    platforms: override(platforms, {
      appendBuildLog: (id, lines) => platforms.appendBuildLog(id, lines.map(redact)),
    }),
    tasks: override(tasks, {
      appendLog: (id, lines) => tasks.appendLog(id, lines.map((l) => ({ ...l, message: redact(l.message) }))),
      transition: (id, from, to, patch) =>
        tasks.transition(id, from, to, patch?.error ? { ...patch, error: redact(patch.error) } : patch),
    }),
    // Audit details carry values people typed (a policy's before → after): secrets never reach the log.
    audit: override(audit, {
      append: (entry) =>
        audit.append({ ...entry, details: Object.fromEntries(Object.entries(entry.details).map(([k, v]) => [k, typeof v === 'string' ? redact(v) : v])) }),
    }),
  });
};
