/** POST /api/import: preview (default) or apply (`?apply=true`) a fleet import. Shapes: import-schemas.ts. */
import express from 'express';
import { apiRoutes, type ApiRoutes } from './route-table.js';
import type { Services } from '../../services/services.js';
import { actorOf } from '../auth.js';
import { parseQuery, parseWith } from '../validation.js';
import { importQuerySchema, importRequestSchema, type ImportResponse } from './import-schemas.js';
import { API_BODY_LIMIT_BYTES } from './api-limits.js';

export const importApi = (services: Services): ApiRoutes => {
  const router = apiRoutes();
  // A CSV file can be sent as it is (curl --data-binary @sites.csv -H 'content-type: text/csv').
  router.post('/', express.text({ type: 'text/csv', limit: API_BODY_LIMIT_BYTES }), async (req, res) => {
    const query = parseQuery(importQuerySchema, req);
    const raw = typeof req.body === 'string' ? { format: 'csv', content: req.body } : (req.body ?? {});
    const body = parseWith(importRequestSchema, raw, 'body');
    const result: ImportResponse = await services.imports.run(
      {
        format: query.format ?? body.format,
        content: body.content,
        ...((query.distribution ?? body.distribution) ? { distribution: (query.distribution ?? body.distribution)! } : {}),
        apply: query.apply === 'true' || body.apply === true,
      },
      actorOf(res),
    );
    res.status(result.applied && result.counts.created > 0 ? 201 : 200).json(result);
  });
  return router;
};
