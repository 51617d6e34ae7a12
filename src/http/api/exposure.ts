/**
 * GET /api/exposure: exposed sites under the advisories in force (filters: distribution, package, site; paged),
 * with each distribution's summary, the feeds' state and the recent advisory events.
 * GET /api/exposure/events/:id: one event and what it means for each distribution.
 */
import { apiRoutes, type ApiRoutes } from './route-table.js';
import { z } from 'zod';
import { NotFoundError } from '../../domain/errors.js';
import type { AdvisoryEvent } from '../../domain/advisory-feed.js';
import type { EventAssessment, SiteExposureRow } from '../../services/advisory-service.js';
import type { Services } from '../../services/services.js';
import { name, paged, pageQuery, parseQuery } from '../validation.js';

const packageName = () => z.string().trim().min(1, 'required').max(214, 'at most 214 characters').regex(/^[a-z0-9_.-]+\/[a-z0-9_.-]+$/i, 'a composer package name such as drupal/core');
export const exposureQuery = z.object({ ...pageQuery, distribution: name().max(200).optional(), package: packageName().optional(), site: name().max(253).optional() });

const siteRow = (r: SiteExposureRow) => ({
  site: r.site.name,
  platform: r.platform.name,
  distribution: r.distribution.slug,
  packages: r.packages.map((p) => ({ name: p.name, version: p.version })),
});

export const eventView = (e: AdvisoryEvent) => ({
  id: e.id,
  commit: e.commit,
  at: e.at.toISOString(),
  initial: e.initial,
  announced: e.announced,
  changes: e.changes,
});

const assessmentView = (a: EventAssessment) => ({
  distribution: a.distribution.slug,
  packages: a.packages,
  exposedSites: a.exposedSites,
  platforms: a.platforms.map((r) => ({ platform: r.platform.name, sites: r.sites.length, packages: r.packages.map((p) => ({ name: p.name, version: p.version })) })),
  fix: a.fix ? { platform: a.fix.platform.name, sitesToMove: a.fix.sitesToMove } : null,
});

export const exposureApi = (services: Services): ApiRoutes => {
  const router = apiRoutes();

  router.get('/', async (req, res) => {
    const q = parseQuery(exposureQuery, req);
    const page = { limit: q.limit, offset: q.offset };
    const filter = { ...(q.distribution ? { distribution: q.distribution } : {}), ...(q.package ? { package: q.package } : {}), ...(q.site ? { site: q.site } : {}) };
    const [rows, summary, feeds, events] = await Promise.all([
      services.advisories.exposure(filter, page),
      services.advisories.summary(q.distribution),
      services.advisories.feedStatus(),
      services.advisories.listEvents(q.package ? { package: q.package } : {}, { limit: 5, offset: 0 }),
    ]);
    res.json({
      ...paged(rows, page, siteRow),
      distributions: summary.map((s) => ({
        distribution: s.distribution.slug,
        exposedSites: s.exposedSites,
        totalSites: s.totalSites,
        packages: s.packages,
        target: s.target?.name ?? null,
        targetFixesAll: s.target !== null && s.targetExposed.length === 0,
        targetStillExposed: s.targetExposed.map((p) => ({ name: p.name, version: p.version })),
      })),
      feeds: feeds.map((f) => ({ label: f.label, snapshot: f.snapshot && { ...f.snapshot, fetchedAt: f.snapshot.fetchedAt.toISOString() }, lastError: f.lastError, lastCheckedAt: f.lastCheckedAt })),
      events: events.items.map(eventView),
    });
  });

  router.get('/events/:id', async (req, res) => {
    const event = await services.advisories.getEvent(String(req.params['id']).slice(0, 64));
    if (!event) throw new NotFoundError('advisory event', String(req.params['id']).slice(0, 64));
    res.json({ event: eventView(event), distributions: (await services.advisories.assessEvent(event)).map(assessmentView) });
  });

  return router;
};
