/** /healthz: database reachability and job-queue state, for load balancers and uptime checks (no auth). */
import type { RequestHandler } from 'express';
import type { JobQueue } from '../domain/ports.js';
import type { Logger } from '../logger.js';
import type { ReadinessReport } from '../services/readiness.js';

export interface HealthReport {
  status: 'ok' | 'degraded';
  database: { ok: boolean; error?: string };
  queue: { ok: boolean; running?: number; queued?: number; started?: boolean; error?: string };
  /** Seconds since the process started. */
  uptime: number;
}

/** A check that hangs counts as failed: a health probe must answer even when the database does not. */
const withTimeout = <T>(work: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
};

/**
 * Builds the health check src/app.ts passes to createHttpApp. /healthz is public, so the report says only
 * *that* a part failed; the error itself (hosts, ports, credentials in URIs) goes to the log.
 */
export const createHealthCheck =
  (deps: { repos: { ping(): Promise<boolean> }; jobs: JobQueue; logger?: Logger; timeoutMs?: number; uptime?: () => number }) =>
  async (): Promise<HealthReport> => {
    const ms = deps.timeoutMs ?? 2000;
    const failed = (part: string) => (e: unknown) => {
      deps.logger?.warn({ err: e }, `health: ${part} check failed`);
      return { ok: false, error: 'unreachable' };
    };
    const [database, queue] = await Promise.all([
      withTimeout(deps.repos.ping(), ms, 'database')
        .then((ok): HealthReport['database'] => (ok ? { ok } : { ok, error: 'ping failed' }))
        .catch(failed('database')),
      withTimeout(deps.jobs.stats(), ms, 'job queue')
        .then((s): HealthReport['queue'] => ({ ok: true, ...s }))
        .catch(failed('queue')),
    ]);
    return {
      status: database.ok && queue.ok ? 'ok' : 'degraded',
      database,
      queue,
      uptime: Math.round(deps.uptime?.() ?? process.uptime()),
    };
  };

export const healthRoute =
  (health: () => Promise<HealthReport>, logger: Logger): RequestHandler =>
  async (_req, res) => {
    let report: HealthReport;
    try {
      report = await health();
    } catch (error) {
      logger.error({ err: error }, 'health check failed');
      report = { status: 'degraded', database: { ok: false, error: 'health check failed' }, queue: { ok: false }, uptime: Math.round(process.uptime()) };
    }
    res.status(report.status === 'ok' ? 200 : 503).set('Cache-Control', 'no-store').json(report);
  };

/**
 * Readiness: the store and the job queue answer (from the health check), plus the deployment's own checks (disk
 * full, tasks past their lease: src/services/readiness.ts), so /readyz stays one call naming every problem.
 */
export const createReadinessCheck =
  (health: () => Promise<HealthReport>, extra?: () => Promise<ReadinessReport>) =>
  async (): Promise<ReadinessReport> => {
    const report = await health();
    const checks = { store: report.database, queue: { ok: report.queue.ok, ...(report.queue.error ? { error: report.queue.error } : {}) } };
    const problems = Object.entries(checks)
      .filter(([, c]) => !c.ok)
      .map(([name, c]) => `${name}: ${c.error ?? 'not reachable'}`);
    if (extra) problems.push(...(await extra()).problems);
    return { status: problems.length ? 'degraded' : 'ready', checks, problems };
  };

/** /livez: the process is up and its event loop turns (no dependency is asked: a restart would not fix them). */
export const livenessRoute: RequestHandler = (_req, res) => {
  res.status(200).set('Cache-Control', 'no-store').json({ status: 'ok', uptime: Math.round(process.uptime()) });
};

/** /readyz: 200 when ready, 503 naming what is degraded (503: load balancers stop sending traffic). */
export const readinessRoute =
  (readiness: () => Promise<ReadinessReport>, logger: Logger): RequestHandler =>
  async (_req, res) => {
    let report: ReadinessReport;
    try {
      report = await readiness();
    } catch (error) {
      logger.error({ err: error }, 'readiness check failed');
      report = { status: 'degraded', problems: ['the readiness check itself failed (see the log)'] };
    }
    res.status(report.status === 'ready' ? 200 : 503).set('Cache-Control', 'no-store').json(report);
  };
