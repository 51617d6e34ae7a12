/** `/api/rollouts`: list, one rollout with its waves and tasks, and pause / resume / cancel (409 naming the state). */
import { apiRoutes, type ApiRoutes } from './route-table.js';
import { z } from 'zod';
import { ROLLOUT_STATES, type Rollout, type RolloutState } from '../../domain/rollout.js';
import type { Services } from '../../services/services.js';
import { actorOf } from '../auth.js';
import { csvOf, listHandler, name, pageQuery } from '../validation.js';
import { taskSummary } from './serialize.js';

export const rolloutsQuery = z.object({
  ...pageQuery,
  distribution: name().optional(),
  state: csvOf(ROLLOUT_STATES as readonly RolloutState[] as [RolloutState, ...RolloutState[]]).optional(),
});

/** The rollout with each wave site's task state (the detail view). */
const rolloutDetail = async (services: Services, r: Rollout) => {
  const tasks = await services.rollouts.tasksOf(r);
  return {
    ...r,
    waves: r.waves.map((w) => ({
      ...w,
      sites: w.sites.map((s) => {
        const task = s.taskId ? tasks.get(s.taskId) : undefined;
        return { ...s, task: task ? taskSummary(task) : null };
      }),
    })),
  };
};

export const rolloutsApi = (services: Services): ApiRoutes => {
  const router = apiRoutes();

  router.get(
    '/',
    listHandler(
      rolloutsQuery,
      async (q) => ({
        ...(q.distribution ? { distributionId: (await services.distributions.get(q.distribution)).id } : {}),
        ...(q.state ? { state: q.state } : {}),
      }),
      (filter, page) => services.rollouts.list(filter, page),
      (r: Rollout) => r,
    ),
  );

  router.get('/:id', async (req, res) => {
    res.json(await rolloutDetail(services, await services.rollouts.get(req.params.id)));
  });

  for (const action of ['pause', 'resume', 'cancel'] as const) {
    router.post(`/:id/${action}`, async (req, res) => {
      const done = await services.rollouts[action](req.params.id, actorOf(res));
      res.json(await rolloutDetail(services, done));
    });
  }

  return router;
};
