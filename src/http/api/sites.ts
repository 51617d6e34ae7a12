import { apiRoutes, type ApiRoutes } from './route-table.js';
import { z } from 'zod';
import type { SiteFilter } from '../../domain/ports.js';
import { SITE_STATUSES, type SiteStatus } from '../../domain/site.js';
import type { Services } from '../../services/services.js';
import { actorOf } from '../auth.js';
import { holdJson, holdRoutes } from './holds.js';
import { rollbackJson, taskSummary } from './serialize.js';
import { csvOf, listHandler, name, pageQuery, parseBody } from '../validation.js';

const STATUSES: readonly [SiteStatus, ...SiteStatus[]] = SITE_STATUSES;
const modules = z.array(z.string().regex(/^[a-z0-9_]{1,128}$/, 'a module machine name')).max(2000);

export const sitesQuery = z.object({ ...pageQuery, platform: name().optional(), status: csvOf(STATUSES).optional(), q: name().max(253).optional() });

export const createSiteSchema = z.strictObject({ name: z.string(), platform: name(), modules: modules.optional(), adopt: z.boolean().optional() });

export const patchSiteSchema = z
  .strictObject({ status: z.enum(['enabled', 'disabled']).optional(), modules: modules.optional() })
  .refine((p) => p.status !== undefined || p.modules !== undefined, 'nothing to change: give status or modules');

export const sitesApi = (services: Services): ApiRoutes => {
  const router = apiRoutes();

  router.get(
    '/',
    listHandler(
      sitesQuery,
      async (q): Promise<SiteFilter> => ({
        ...(q.platform ? { platformIds: [(await services.platforms.get(q.platform)).id] } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.q ? { nameContains: q.q } : {}),
      }),
      (filter, page) => services.sites.list(filter, page),
      (site) => site,
    ),
  );

  router.post('/', async (req, res) => {
    const body = parseBody(createSiteSchema, req);
    if (body.adopt) {
      // The site exists already: verified through the hosting driver, recorded, never installed.
      const site = await services.sites.adopt({ name: body.name, platform: body.platform, ...(body.modules ? { modules: body.modules } : {}) }, actorOf(res));
      return void res.status(201).location(`/api/sites/${site.name}`).json({ ...site, adopted: true });
    }
    const { site, task } = await services.sites.create(
      { name: body.name, platform: body.platform, ...(body.modules ? { modules: body.modules } : {}) },
      actorOf(res),
    );
    if (!task) return void res.status(201).location(`/api/sites/${site.name}`).json(site);
    // A worker makes the site's files: 202 with the install task to follow; the site is `installing` until then.
    res.status(202).location(`/api/tasks/${task.number}`).json({ site, task: taskSummary(task) });
  });

  router.get('/:name', async (req, res) => {
    const site = await services.sites.get(req.params.name);
    const [pin, rollback] = await Promise.all([services.holds.get('site', site.id), services.rollbacks.status(site.id)]);
    res.json({ ...site, pin: holdJson(pin), rollback: rollbackJson(rollback) });
  });

  router.patch('/:name', async (req, res) => {
    const body = parseBody(patchSiteSchema, req);
    res.json(
      await services.sites.update(req.params.name, {
        ...(body.status ? { status: body.status } : {}),
        ...(body.modules ? { modules: body.modules } : {}),
      }, actorOf(res)),
    );
  });

  router.delete('/:name', async (req, res) => {
    await services.sites.delete(req.params.name, actorOf(res));
    res.status(204).end();
  });

  router.get('/:name/rollback', async (req, res) => {
    res.json(rollbackJson(await services.rollbacks.status(req.params.name)));
  });

  // 202 with the rollback task to follow; 409 naming the reason when it is not possible.
  router.post('/:name/rollback', async (req, res) => {
    const { task } = await services.rollbacks.request(req.params.name, actorOf(res));
    res.status(202).location(`/api/tasks/${task.number}`).json({ task: taskSummary(task) });
  });

  holdRoutes(router, services, 'site', 'pin');

  return router;
};
