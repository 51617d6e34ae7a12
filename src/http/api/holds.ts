/** `PUT|DELETE /api/<things>/:key/<lock|pin>` for manual locks and pins, one shape for every kind. */
import type { ApiRoutes } from './route-table.js';
import { z } from 'zod';
import type { Hold, HoldKind } from '../../domain/hold.js';
import type { Services } from '../../services/services.js';
import { actorOf } from '../auth.js';
import { parseBody } from '../validation.js';

export const holdSchema = z.strictObject({ reason: z.string() });

export const holdJson = (h: Hold | null) => (h ? { reason: h.reason, by: h.by, at: h.at } : null);

/** Adds `PUT /:key/<word>` (body `{ reason }`) and `DELETE /:key/<word>` to `router`. */
export const holdRoutes = (router: ApiRoutes, services: Services, kind: HoldKind, word: 'lock' | 'pin'): void => {
  router.put(`/:key/${word}`, async (req, res) => {
    const body = parseBody(holdSchema, req);
    const change = await services.holds.set(kind, String(req.params['key']), body.reason, actorOf(res));
    res.json({ [kind]: change.subject.name, [word]: holdJson(change.hold), replaced: holdJson(change.previous) });
  });
  router.delete(`/:key/${word}`, async (req, res) => {
    const change = await services.holds.clear(kind, String(req.params['key']), actorOf(res));
    res.json({ [kind]: change.subject.name, [word]: null, removed: holdJson(change.hold) });
  });
};
