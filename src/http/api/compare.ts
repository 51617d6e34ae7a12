import { apiRoutes, type ApiRoutes } from './route-table.js';
import { z } from 'zod';
import type { Services } from '../../services/services.js';
import { name, parseQuery } from '../validation.js';
import { compareOptionsFor } from '../compare-options.js';

export const compareQuery = z.object({
  from: name(),
  to: name(),
  site: name().optional(),
  files: z.enum(['0', '1', 'true', 'false']).optional(),
});

export const compareApi = (services: Services): ApiRoutes => {
  const router = apiRoutes();
  router.get('/', async (req, res) => {
    const q = parseQuery(compareQuery, req);
    const fileDiffs = q.files === '1' || q.files === 'true';
    const { options } = await compareOptionsFor(services, q.site, fileDiffs);
    res.json(await services.compare.compareByName(q.from, q.to, options));
  });
  return router;
};
