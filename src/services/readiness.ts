/**
 * Readiness (`/readyz`): whether this deployment is doing its work, not only reachable (`/healthz`). Degraded, naming
 * each problem, while the disk holding the database is full (writes refused) or a task has outlived its lease by more
 * than a recovery round (its worker died and nobody took it over, or it is stuck under a live process). One function,
 * so every surface that reports readiness reads the same checks.
 */
import { MIGRATION_RECOVER_EVERY_MS } from '../domain/jobs.js';
import type { Clock, Repositories } from '../domain/ports.js';

export interface ReadinessReport {
  status: 'ready' | 'degraded';
  /** Store and queue reachability (added by the HTTP readiness check, src/http/health.ts). */
  checks?: Record<string, { ok: boolean; error?: string }>;
  /** One sentence per problem (no hosts or credentials: the route is public). */
  problems: string[];
}

/** Named at most this many stuck tasks (then "and N more"). */
const NAMED = 5;

export const checkReadiness = async (deps: {
  repos: Pick<Repositories, 'tasks'> & Partial<Pick<Repositories, 'storageFull'>>;
  clock?: Clock;
  /** How long past its lease a task may be before it counts (recovery runs every MIGRATION_RECOVER_EVERY_MS). */
  graceMs?: number;
}): Promise<ReadinessReport> => {
  const now = deps.clock?.now() ?? new Date();
  const problems: string[] = [];
  if (deps.repos.storageFull?.()) problems.push('disk full: the database refuses writes until space is freed on its volume');
  const grace = deps.graceMs ?? 2 * MIGRATION_RECOVER_EVERY_MS;
  const stuck = await deps.repos.tasks.listExpired(new Date(now.getTime() - grace));
  for (const t of stuck.slice(0, NAMED)) {
    const over = Math.round((now.getTime() - (t.lease?.until.getTime() ?? now.getTime())) / 1000);
    problems.push(`task #${t.number} (${t.type} ${t.subject.name}) is ${over} s past its lease, held by ${t.lease?.owner ?? 'nobody'}`);
  }
  if (stuck.length > NAMED) problems.push(`and ${stuck.length - NAMED} more tasks past their lease`);
  return { status: problems.length ? 'degraded' : 'ready', problems };
};
