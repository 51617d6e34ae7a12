/**
 * Server-rendered admin pages. /compare, /tasks, /upgrades and /distributions also open from signed links posted
 * to Slack. Every page reads one view model from `services.views` and renders it; no repository is read here.
 */
import { SITES_ON_PAGE } from '../../services/view-service.js';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../../domain/errors.js';
import type { Services } from '../../services/services.js';
import { allow, actorOf, requireAdmin, signedLinkOrAdmin, type AdminAuth } from '../auth.js';
import { auditFilterOf, auditQuery, nextUrl } from '../api/audit.js';
import type { SafeHtml } from '../html.js';
import { name, pageQuery, parseQuery, parseWith } from '../validation.js';
import { renderExposureList, renderSiteList } from './list-pages.js';
import { SITE_STATUSES } from '../../domain/site.js';
import { renderAuditPage } from './audit-page.js';
import { COMPARE_SCRIPT } from './compare-script.js';
import { renderComparePage } from './compare-page.js';
import { attachment, compareCsv, sitesCsv, tasksCsv } from './csv-exports.js';
import { renderDashboard } from './dashboard-page.js';
import { renderDistributionPage, renderPlatformPage, renderSitePage } from './entity-pages.js';
import { contentSecurityPolicy } from './layout.js';
import { exposedPackagesFragment, exposureSummaryFragment, renderAdvisoryEventPage } from './exposure-view.js';
import { renderRolloutList, renderRolloutPage, rolloutHref } from './rollout-page.js';
import { siteHref, taskHref } from './links.js';
import { renderConfirmPage } from './forms/confirm-page.js';
import { redirectWithNote } from './result-note.js';
import { rollbackSentence } from './governance-parts.js';
import { UPLOAD_SCRIPT } from './import-page.js';
import { LOCAL_TIME_SCRIPT } from './forms/policy-form.js';
import { LIVE_SCRIPT } from './live-script.js';
import { renderTaskPage } from './task-page.js';
import { renderUpgradePage } from './upgrade-page.js';

const CSP = contentSecurityPolicy([COMPARE_SCRIPT, LIVE_SCRIPT, UPLOAD_SCRIPT, LOCAL_TIME_SCRIPT]);

/** Headers for every page: strict CSP, and no Referer so a signed link never leaks to other sites. */
export const pageHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'Content-Security-Policy': CSP,
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Cache-Control': 'no-store',
  });
  next();
};

const send = (res: Response, page: SafeHtml): void => {
  res.type('html').send(page.value);
};

const sendCsv = (res: Response, filename: string, text: string): void => {
  res.set('Content-Disposition', attachment(filename)).type('text/csv; charset=utf-8').send(text);
};

const compareQuery = z.object({
  site: name().optional(),
  format: z.enum(['html', 'csv']).optional(),
  // Filters and sort of the package table: read by the page's script (kept in the URL), ignored here.
  q: z.string().max(200).optional(),
  show: z.string().max(100).optional(),
  sort: z.string().max(20).optional(),
  dir: z.string().max(20).optional(),
  unchanged: z.string().max(10).optional(),
  exp: z.string().optional(),
  sig: z.string().optional(),
});

const siteListQuery = z.object({ ...pageQuery, distribution: name().optional(), platform: name().optional(), status: z.enum(SITE_STATUSES).optional(), q: name().max(253).optional() });
const exposureListQuery = z.object({ ...pageQuery, distribution: name().optional() });

export const pageRouter = (deps: { services: Services; auth: AdminAuth; publicUrl: string }): Router => {
  const { services } = deps;
  const { views } = services;
  const router = Router();
  const admin = requireAdmin(deps.auth, deps.publicUrl);
  const linked = signedLinkOrAdmin(services.links, deps.auth, deps.publicUrl);

  router.get('/', admin, async (_req, res) => {
    const [dashboard, summary, feeds, events] = await Promise.all([
      views.dashboard(),
      services.advisories.summary(),
      services.advisories.feedStatus(),
      services.advisories.listEvents({}, { limit: 5, offset: 0 }),
    ]);
    send(res, renderDashboard(dashboard, exposureSummaryFragment(summary, feeds, events.items)));
  });

  router.get('/sites.csv', admin, async (_req, res) => {
    sendCsv(res, 'sites.csv', sitesCsv(await views.allSites()));
  });

  // Top-navigation lists. Empty filter fields (the GET form sends them) mean "any".
  const filled = (query: Request['query']): Record<string, string> =>
    Object.fromEntries(Object.entries(query).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''));

  router.get('/sites', admin, async (req, res) => {
    const query = filled(req.query);
    const q = parseWith(siteListQuery, query, 'query');
    const filter = { ...(q.distribution ? { distribution: q.distribution } : {}), ...(q.platform ? { platform: q.platform } : {}), ...(q.status ? { status: q.status } : {}), ...(q.q ? { q: q.q } : {}) };
    const view = await views.siteList(filter, { limit: q.limit, offset: q.offset });
    send(res, renderSiteList(view, filter, { limit: q.limit, offset: q.offset, total: view.total, query: filter }));
  });

  router.get('/exposure', admin, async (req, res) => {
    const q = parseWith(exposureListQuery, filled(req.query), 'query');
    const [page, distributions] = await Promise.all([
      services.advisories.exposure(q.distribution ? { distribution: q.distribution } : {}, { limit: q.limit, offset: q.offset }),
      services.distributions.list(),
    ]);
    const query: Record<string, string> = q.distribution ? { distribution: q.distribution } : {};
    send(res, renderExposureList(page.items, distributions.map((d) => d.distribution.slug), q.distribution, { limit: q.limit, offset: q.offset, total: page.total, query }));
  });

  router.get('/tasks.csv', admin, async (_req, res) => {
    const { tasks, platformNames } = await views.allTasks();
    sendCsv(res, 'tasks.csv', tasksCsv(tasks, platformNames));
  });

  // Also opened from Slack ("…and N more" in `status`), through a signed link.
  router.get('/distributions/:slug', linked, async (req, res) => {
    const view = await views.distribution(String(req.params['slug']));
    const rows = (await services.advisories.exposure({ distribution: view.detail.distribution.id }, { limit: SITES_ON_PAGE, offset: 0 })).items;
    const packages = [...new Map(rows.flatMap((r) => r.packages.map((p) => [`${p.name}@${p.version}`, p] as const))).values()];
    send(res, renderDistributionPage(view, exposedPackagesFragment('this distribution', packages, rows.map((r) => r.site.name))));
  });

  router.get('/platforms/:name', admin, async (req, res) => {
    const view = await views.platform(String(req.params['name']));
    const [exposed, lock] = await Promise.all([services.advisories.platformExposure(view.platform.id), services.holds.get('platform', view.platform.id)]);
    const exposure = exposedPackagesFragment('this platform', exposed.packages, exposed.sites.map((r) => r.site.name));
    send(res, renderPlatformPage({ ...view, exposure, lock }));
  });

  router.get('/sites/:name', admin, async (req, res) => {
    const view = await views.site(String(req.params['name']));
    const [[exposed], pin, rollback] = await Promise.all([
      services.advisories.exposure({ site: view.site.id }, { limit: 1, offset: 0 }).then((p) => p.items),
      services.holds.get('site', view.site.id),
      services.rollbacks.status(view.site.id),
    ]);
    send(res, renderSitePage({ ...view, exposure: exposedPackagesFragment('this site', exposed?.packages ?? []), pin, rollback }));
  });

  // The site page's Roll back asks first (like Slack): this page says what happens and posts the rollback.
  router.get('/sites/:name/rollback', admin, allow('site.rollback'), async (req, res) => {
    const status = await services.rollbacks.status(String(req.params['name']));
    if (!status.possible) throw new ConflictError(status.reason);
    const href = siteHref(status.site.name);
    send(res, renderConfirmPage({ title: `Roll ${status.site.name} back to ${status.previous.name}?`, question: rollbackSentence(status), action: `${href}/rollback`, button: `Roll back to ${status.previous.name}`, back: href }));
  });

  // The confirmation page's POST (a same-origin form with the CSRF field: requireAdmin refuses it from other sites).
  router.post('/sites/:name/rollback', admin, allow('site.rollback'), async (req, res) => {
    const { task, status } = await services.rollbacks.request(String(req.params['name']), actorOf(res));
    redirectWithNote(res, taskHref(task.number), `Rolling ${status.site.name} back to ${status.previous.name} (task #${task.number}).`);
  });

  router.get('/audit', admin, async (req, res) => {
    const q = parseQuery(auditQuery, req);
    const page = await services.audit.list(auditFilterOf(q), { limit: q.limit, ...(q.cursor ? { before: q.cursor } : {}) });
    const given = (k: string): string | undefined => (typeof req.query[k] === 'string' && req.query[k] ? String(req.query[k]) : undefined);
    const filters = Object.fromEntries(['actor', 'action', 'subject', 'source', 'since', 'until'].map((k) => [k, given(k)]).filter(([, v]) => v));
    const csv = new URL(nextUrl(req.originalUrl, '0'), 'http://x');
    csv.searchParams.delete('cursor');
    if (q.cursor) csv.searchParams.set('cursor', q.cursor);
    csv.searchParams.set('format', 'csv');
    send(res, renderAuditPage({ page, filters, nextHref: page.next ? nextUrl(req.originalUrl, page.next) : null, csvHref: `/api${csv.pathname}${csv.search}` }));
  });

  router.get('/tasks/:id', linked, async (req, res) => {
    send(res, renderTaskPage(await views.task(String(req.params['id']))));
  });

  router.get('/upgrades/:id', linked, async (req, res) => {
    send(res, renderUpgradePage(await views.upgrade(String(req.params['id']))));
  });

  // Opened from an advisory announcement in Slack (signed link).
  router.get('/advisories/:id', linked, async (req, res) => {
    const event = await services.advisories.getEvent(String(req.params['id']).slice(0, 64));
    if (!event) throw new NotFoundError('advisory event', String(req.params['id']).slice(0, 64));
    send(res, renderAdvisoryEventPage(event, await services.advisories.assessEvent(event)));
  });

  router.get('/rollouts', admin, async (_req, res) => {
    const page = await services.rollouts.list({}, { limit: 50, offset: 0 });
    send(res, renderRolloutList(page.items, page.total));
  });

  router.get('/rollouts/:id', linked, async (req, res) => {
    const rollout = await services.rollouts.get(String(req.params['id']));
    const [tasks, target] = await Promise.all([services.rollouts.tasksOf(rollout), services.platforms.get(rollout.targetPlatformId).catch(() => null)]);
    send(res, renderRolloutPage(rollout, tasks, target?.name ?? rollout.targetPlatformId));
  });

  // Plain forms on the rollout page (admin only; requireAdmin asks state changes for a same-origin proof).
  for (const action of ['pause', 'resume', 'cancel'] as const) {
    router.post(`/rollouts/:id/${action}`, admin, allow(`rollout.${action}`), async (req, res) => {
      const done = await services.rollouts[action](String(req.params['id']), actorOf(res));
      redirectWithNote(res, rolloutHref(done), `Rollout ${done.number} ${{ pause: 'paused', resume: 'resumed', cancel: 'cancelled' }[action]}.`);
    });
  }

  router.get('/compare/:from/:to', linked, async (req, res) => {
    const q = parseQuery(compareQuery, req);
    const csv = q.format === 'csv';
    const view = await views.compare(String(req.params['from']), String(req.params['to']), q.site, { fileDiffs: !csv });
    if (csv) return sendCsv(res, `compare-${view.from.name}-${view.to.name}.csv`, compareCsv(view.result));
    const keep = new URLSearchParams({ ...(q.site ? { site: q.site } : {}), ...(q.exp && q.sig ? { exp: q.exp, sig: q.sig } : {}), format: 'csv' });
    send(res, renderComparePage({ ...view, csvHref: `${new URL(req.originalUrl, 'http://x').pathname}?${keep}` }));
  });

  router.use((req) => {
    throw new NotFoundError('page', req.path);
  });
  return router;
};
