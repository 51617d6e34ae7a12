import { apiRoutes, type ApiRoutes } from './route-table.js';
import { z } from 'zod';
import type { PlatformFilter } from '../../domain/ports.js';
import type { PlatformStatus } from '../../domain/platform.js';
import type { Services } from '../../services/services.js';
import { actorOf } from '../auth.js';
import { csvOf, listHandler, name, pageQuery, parseBody } from '../validation.js';
import { holdJson, holdRoutes } from './holds.js';
import { platformDetail, platformSummary } from './serialize.js';

const STATUSES: readonly [PlatformStatus, ...PlatformStatus[]] = ['queued', 'building', 'ready', 'failed', 'locked', 'deleted'];

export const platformsQuery = z.object({ ...pageQuery, distribution: name().optional(), status: csvOf(STATUSES).optional() });

export const registerPlatformSchema = z.strictObject({
  name: z.string(),
  distribution: name(),
  ref: z.string(),
  commit: z.string(),
  server: name().optional(),
  files: z.record(z.string().min(1), z.string()).optional(),
  // Where the code already is (an Aegir platform's root): imports map aliases with that root to this platform.
  path: z.string().optional(),
});

export const platformsApi = (services: Services): ApiRoutes => {
  const router = apiRoutes();

  router.get(
    '/',
    listHandler(
      platformsQuery,
      async (q): Promise<PlatformFilter> => ({
        ...(q.distribution ? { distributionId: (await services.distributions.get(q.distribution)).id } : {}),
        ...(q.status ? { status: q.status } : {}),
      }),
      (filter, page) => services.platforms.list(filter, page),
      platformSummary,
    ),
  );

  router.post('/', async (req, res) => {
    const body = parseBody(registerPlatformSchema, req);
    const platform = await services.platforms.register(
      {
        name: body.name,
        distribution: body.distribution,
        ref: body.ref,
        commit: body.commit,
        ...(body.server ? { server: body.server } : {}),
        ...(body.files ? { files: body.files } : {}),
        ...(body.path !== undefined ? { path: body.path } : {}),
      },
      actorOf(res),
    );
    res.status(201).location(`/api/platforms/${platform.name}`).json(platformDetail(platform));
  });

  router.get('/:name', async (req, res) => {
    const platform = await services.platforms.get(req.params.name);
    res.json({ ...platformDetail(platform), lock: holdJson(await services.holds.get('platform', platform.id)) });
  });

  router.delete('/:name', async (req, res) => {
    await services.platforms.delete(req.params.name, actorOf(res));
    res.status(204).end();
  });

  holdRoutes(router, services, 'platform', 'lock');

  return router;
};
