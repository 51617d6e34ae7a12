/**
 * Server-rendered admin pages. /compare, /tasks, /upgrades and /distributions also open from signed links posted
 * to Slack. Every page reads one view model from `services.views` and renders it; no repository is read here.
 */
import { Router, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { NotFoundError } from '../../domain/errors.js';
import type { Services } from '../../services/services.js';
import { requireAdmin, signedLinkOrAdmin, type AdminAuth } from '../auth.js';
import type { SafeHtml } from '../html.js';
import { name, parseQuery } from '../validation.js';
import { COMPARE_SCRIPT } from './compare-script.js';
import { renderComparePage } from './compare-page.js';
import { attachment, compareCsv, sitesCsv, tasksCsv } from './csv-exports.js';
import { renderDashboard } from './dashboard-page.js';
import { renderDistributionPage, renderPlatformPage, renderSitePage } from './entity-pages.js';
import { contentSecurityPolicy } from './layout.js';
import { LIVE_SCRIPT } from './live-script.js';
import { renderTaskPage } from './task-page.js';
import { renderUpgradePage } from './upgrade-page.js';

const CSP = contentSecurityPolicy([COMPARE_SCRIPT, LIVE_SCRIPT]);

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

export const pageRouter = (deps: { services: Services; auth: AdminAuth; publicUrl: string }): Router => {
  const { services } = deps;
  const { views } = services;
  const router = Router();
  const admin = requireAdmin(deps.auth, deps.publicUrl);
  const linked = signedLinkOrAdmin(services.links, deps.auth, deps.publicUrl);

  router.get('/', admin, async (_req, res) => {
    send(res, renderDashboard(await views.dashboard()));
  });

  router.get('/sites.csv', admin, async (_req, res) => {
    sendCsv(res, 'sites.csv', sitesCsv(await views.allSites()));
  });

  router.get('/tasks.csv', admin, async (_req, res) => {
    const { tasks, platformNames } = await views.allTasks();
    sendCsv(res, 'tasks.csv', tasksCsv(tasks, platformNames));
  });

  // Also opened from Slack ("…and N more" in `status`), through a signed link.
  router.get('/distributions/:slug', linked, async (req, res) => {
    send(res, renderDistributionPage(await views.distribution(String(req.params['slug']))));
  });

  router.get('/platforms/:name', admin, async (req, res) => {
    send(res, renderPlatformPage(await views.platform(String(req.params['name']))));
  });

  router.get('/sites/:name', admin, async (req, res) => {
    send(res, renderSitePage(await views.site(String(req.params['name']))));
  });

  router.get('/tasks/:id', linked, async (req, res) => {
    send(res, renderTaskPage(await views.task(String(req.params['id']))));
  });

  router.get('/upgrades/:id', linked, async (req, res) => {
    send(res, renderUpgradePage(await views.upgrade(String(req.params['id']))));
  });

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
