/**
 * `GET /api/audit`: the audit log, newest first, filtered by actor, action, subject, source and time, paged by
 * cursor (`next`), as JSON or `?format=csv` (cells that a spreadsheet would run as a formula are quoted).
 */
import { apiRoutes, type ApiRoutes } from './route-table.js';
import { z } from 'zod';
import { AUDIT_ACTIONS, MAX_AUDIT_PAGE, type AuditEntry, type AuditFilter, type AuditSource } from '../../domain/audit.js';
import { describeActor } from '../../domain/actor.js';
import type { Services } from '../../services/services.js';
import { csvOf, parseQuery } from '../validation.js';
import { toCsv } from '../../lib/csv.js';

const SOURCES: readonly [AuditSource, ...AuditSource[]] = ['slack', 'api', 'page', 'cli', 'poll', 'webhook', 'system'];

const isoDate = z.iso.datetime({ offset: true }).or(z.iso.date()).transform((s) => new Date(s));

/** An optional filter; an empty value (a blank field of the page's form) means not given. */
const optional = <S extends z.ZodType>(schema: S) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

export const auditQuery = z.strictObject({
  actor: optional(z.string().trim().min(1).max(100)),
  action: optional(csvOf(AUDIT_ACTIONS)),
  subject: optional(z.string().trim().min(1).max(253)),
  source: optional(csvOf(SOURCES)),
  since: optional(isoDate),
  until: optional(isoDate),
  cursor: optional(z.string().regex(/^[0-9a-f]{1,24}$/, 'the `next` value of a previous page')),
  limit: z.coerce.number().int().min(1).max(MAX_AUDIT_PAGE).default(50),
  format: z.enum(['json', 'csv']).default('json'),
});

export type AuditQuery = z.output<typeof auditQuery>;

export const auditFilterOf = (q: AuditQuery): AuditFilter => ({
  ...(q.actor !== undefined ? { actorId: q.actor } : {}),
  ...(q.action ? { action: q.action } : {}),
  ...(q.subject !== undefined ? { subject: q.subject } : {}),
  ...(q.source ? { source: q.source } : {}),
  ...(q.since ? { since: q.since } : {}),
  ...(q.until ? { until: q.until } : {}),
});

export const auditJson = (e: AuditEntry) => ({ ...e, actorName: describeActor(e.actor) });

const CSV_COLUMNS = ['id', 'at', 'actor_id', 'actor', 'source', 'action', 'subject_kind', 'subject', 'details'] as const;

const csvRow = (e: AuditEntry): string[] => [e.id, e.at.toISOString(), e.actorId, describeActor(e.actor), e.source, e.action, e.subject.kind, e.subject.name, JSON.stringify(e.details)];

export const auditApi = (services: Services): ApiRoutes => {
  const router = apiRoutes();
  router.get('/', async (req, res) => {
    const q = parseQuery(auditQuery, req);
    const page = await services.audit.list(auditFilterOf(q), { limit: q.limit, ...(q.cursor ? { before: q.cursor } : {}) });
    if (page.next) res.set('Link', `<${nextUrl(req.originalUrl, page.next)}>; rel="next"`);
    if (q.format === 'csv') {
      res
        .type('text/csv; charset=utf-8')
        .set('Content-Disposition', 'attachment; filename="distro-audit.csv"')
        .send(toCsv([...CSV_COLUMNS], page.items.map(csvRow)));
      return;
    }
    res.json({ items: page.items.map(auditJson), next: page.next, limit: q.limit });
  });
  return router;
};

/** The same query with the cursor of the next page. */
export const nextUrl = (originalUrl: string, cursor: string): string => {
  const url = new URL(originalUrl, 'http://x');
  url.searchParams.set('cursor', cursor);
  return `${url.pathname}${url.search}`;
};
