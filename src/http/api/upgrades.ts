import { apiRoutes, type ApiRoutes } from './route-table.js';
import { z } from 'zod';
import type { Services } from '../../services/services.js';
import { actorOf } from '../auth.js';
import type { PlanState } from '../../domain/upgrade-plan.js';
import { csvOf, listHandler, name, pageQuery, parseBody } from '../validation.js';
import { confirmOutcome, planSummary, planView } from './serialize.js';

const STATES: readonly [PlanState, ...PlanState[]] = ['pending', 'confirmed', 'cancelled', 'stale'];
export const upgradesQuery = z.object({ ...pageQuery, distribution: name().optional(), state: csvOf(STATES).optional() });

export const proposeSchema = z.strictObject({
  scope: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('site'), name: name() }),
    z.strictObject({ kind: z.literal('platform'), name: name() }),
    z.strictObject({ kind: z.literal('distribution'), slug: name() }),
  ]),
});

export const upgradesApi = (services: Services): ApiRoutes => {
  const router = apiRoutes();

  router.get(
    '/',
    listHandler(
      upgradesQuery,
      async (q) => ({ ...(q.distribution ? { distribution: q.distribution } : {}), ...(q.state ? { state: q.state } : {}) }),
      (filter, page) => services.upgrades.list(filter, page),
      planSummary,
    ),
  );

  router.post('/', async (req, res) => {
    const body = parseBody(proposeSchema, req);
    const view = await services.upgrades.propose(body.scope, actorOf(res));
    res.status(201).location(`/api/upgrades/${view.plan.id}`).json(planView(view));
  });

  router.get('/:id', async (req, res) => {
    res.json(planView(await services.upgrades.view(req.params.id)));
  });

  router.post('/:id/confirm', async (req, res) => {
    const outcome = await services.upgrades.confirm(req.params.id, actorOf(res));
    res.status(outcome.scheduled ? 202 : 200).json(confirmOutcome(outcome));
  });

  router.post('/:id/cancel', async (req, res) => {
    await services.upgrades.cancel(req.params.id, actorOf(res));
    res.json(planView(await services.upgrades.view(req.params.id)));
  });

  return router;
};
