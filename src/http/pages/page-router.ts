/** Server-rendered admin pages. /compare and /tasks also open from signed links posted to Slack. */
import { Router, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { Actor } from '../../domain/actor.js';
import { NotFoundError } from '../../domain/errors.js';
import type { Repositories } from '../../domain/ports.js';
import { upgradeRefusal } from '../../domain/rules.js';
import type { Task } from '../../domain/task.js';
import type { Services } from '../../services/services.js';
import { actorOf, allow, requireAdmin, signedLinkOrAdmin, type AdminAuth } from '../auth.js';
import { auditFilterOf, auditQuery, nextUrl } from '../api/audit.js';
import { compareOptionsFor } from '../compare-options.js';
import type { SafeHtml } from '../html.js';
import { name, parseQuery } from '../validation.js';
import { renderAuditPage } from './audit-page.js';
import { COMPARE_SCRIPT } from './compare-script.js';
import { renderComparePage } from './compare-page.js';
import { renderDashboard, renderDistributionPage, renderPlatformPage, renderSitePage } from './entity-pages.js';
import { contentSecurityPolicy } from './layout.js';
import { exposedPackagesFragment, exposureSummaryFragment, renderAdvisoryEventPage } from './exposure-view.js';
import { renderRolloutList, renderRolloutPage, rolloutHref } from './rollout-page.js';
import { taskHref } from './links.js';
import { renderTaskPage } from './task-page.js';
import { renderUpgradePage } from './upgrade-page.js';

const CSP = contentSecurityPolicy([COMPARE_SCRIPT]);

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

const SITES_ON_PAGE = 200;
const compareQuery = z.object({ site: name().optional(), exp: z.string().optional(), sig: z.string().optional() });

export const pageRouter = (deps: { services: Services; repos: Repositories; auth: AdminAuth; publicUrl: string }): Router => {
  const { services, repos } = deps;
  const router = Router();
  const admin = requireAdmin(deps.auth, deps.publicUrl);
  const linked = signedLinkOrAdmin(services.links, deps.auth, deps.publicUrl);

  const platformNames = async (ids: (string | null)[]): Promise<Map<string, string>> => {
    const wanted = [...new Set(ids.filter((id): id is string => Boolean(id)))];
    return new Map((await repos.platforms.getMany(wanted)).map((p) => [p.id, p.name]));
  };
  const taskPlatforms = (tasks: Task[]) => platformNames(tasks.flatMap((t) => [t.fromPlatformId, t.toPlatformId]));

  router.get('/', admin, async (_req, res) => {
    const [distributions, active, recent, summary, feeds, events] = await Promise.all([
      services.distributions.list(),
      services.tasks.running(20),
      services.tasks.recent(undefined, 10),
      services.advisories.summary(),
      services.advisories.feedStatus(),
      services.advisories.listEvents({}, { limit: 5, offset: 0 }),
    ]);
    const exposure = exposureSummaryFragment(summary, feeds, events.items);
    send(res, renderDashboard({ distributions, active, recent, platformNames: await taskPlatforms([...active, ...recent]), exposure }));
  });

  // Also opened from Slack ("…and N more" in `status`), through a signed link.
  router.get('/distributions/:slug', linked, async (req, res) => {
    const detail = await services.distributions.show(String(req.params['slug']));
    const [report] = await services.distributions.status(detail.distribution.id);
    const rows = (await services.advisories.exposure({ distribution: detail.distribution.id }, { limit: SITES_ON_PAGE, offset: 0 })).items;
    const packages = [...new Map(rows.flatMap((r) => r.packages.map((p) => [`${p.name}@${p.version}`, p] as const))).values()];
    send(res, renderDistributionPage(detail, report?.groups ?? [], exposedPackagesFragment('this distribution', packages, rows.map((r) => r.site.name))));
  });

  router.get('/platforms/:name', admin, async (req, res) => {
    const platform = await services.platforms.get(String(req.params['name']));
    const distribution = await repos.distributions.get(platform.distributionId);
    const target = distribution?.targetPlatformId ? await repos.platforms.get(distribution.targetPlatformId) : null;
    const sites = await services.sites.list({ platformIds: [platform.id] }, { limit: SITES_ON_PAGE, offset: 0 });
    const exposed = await services.advisories.platformExposure(platform.id);
    const exposure = exposedPackagesFragment('this platform', exposed.packages, exposed.sites.map((r) => r.site.name));
    const lock = await services.holds.get('platform', platform.id);
    send(res, renderPlatformPage({ platform, distribution, target, sites: sites.items, siteTotal: sites.total, exposure, lock }));
  });

  router.get('/sites/:name', admin, async (req, res) => {
    const site = await services.sites.get(String(req.params['name']));
    const platform = await services.platforms.get(site.platformId);
    const distribution = await repos.distributions.get(platform.distributionId);
    const target = distribution?.targetPlatformId ? await repos.platforms.get(distribution.targetPlatformId) : null;
    const tasks = await services.tasks.recent(site.id, 20);
    const names = await platformNames([...site.history.map((h) => h.platformId), ...tasks.flatMap((t) => [t.fromPlatformId, t.toPlatformId])]);
    const refusal = distribution ? upgradeRefusal(site, platform, distribution) : 'Its distribution no longer exists.';
    const [exposed] = (await services.advisories.exposure({ site: site.id }, { limit: 1, offset: 0 })).items;
    const exposure = exposedPackagesFragment('this site', exposed?.packages ?? []);
    const [pin, rollback] = await Promise.all([services.holds.get('site', site.id), services.rollbacks.status(site.id)]);
    send(res, renderSitePage({ site, platform, distribution, target, refusal, tasks, platformNames: names, exposure, pin, rollback }));
  });

  // The site page's Roll back button (a same-origin form: requireAdmin refuses it from other sites).
  router.post('/sites/:name/rollback', admin, allow('site.rollback'), async (req, res) => {
    const actor = actorOf(res);
    const { task } = await services.rollbacks.request(String(req.params['name']), actor.kind === 'user' ? { ...actor, via: 'page' } : actor);
    res.redirect(303, taskHref(task.number));
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
    const task = await services.tasks.get(String(req.params['id']));
    send(res, renderTaskPage(task, await taskPlatforms([task])));
  });

  router.get('/upgrades/:id', linked, async (req, res) => {
    send(res, renderUpgradePage(await services.upgrades.view(String(req.params['id']))));
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
    const [tasks, target] = await Promise.all([services.rollouts.tasksOf(rollout), repos.platforms.get(rollout.targetPlatformId)]);
    send(res, renderRolloutPage(rollout, tasks, target?.name ?? rollout.targetPlatformId));
  });

  // Plain forms on the rollout page (admin only; requireAdmin asks state changes for a same-origin proof).
  for (const action of ['pause', 'resume', 'cancel'] as const) {
    router.post(`/rollouts/:id/${action}`, admin, allow(`rollout.${action}`), async (req, res) => {
      const who = actorOf(res);
      const actor: Actor = who.kind === 'user' ? { ...who, via: 'page' } : who;
      const done = await services.rollouts[action](String(req.params['id']), actor);
      res.redirect(303, rolloutHref(done));
    });
  }

  router.get('/compare/:from/:to', linked, async (req, res) => {
    const q = parseQuery(compareQuery, req);
    const [from, to] = await Promise.all([services.platforms.get(String(req.params['from'])), services.platforms.get(String(req.params['to']))]);
    const { options, site } = await compareOptionsFor(services, q.site, true);
    const [result, fromDist, toDist] = await Promise.all([
      services.compare.compare(from, to, options),
      repos.distributions.get(from.distributionId),
      repos.distributions.get(to.distributionId),
    ]);
    send(res, renderComparePage({ from, to, result, distributions: { from: fromDist, to: toDist }, site: site?.name ?? null }));
  });

  router.use((req) => {
    throw new NotFoundError('page', req.path);
  });
  return router;
};
