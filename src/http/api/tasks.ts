import { apiRoutes, type ApiRoutes } from './route-table.js';
import { z } from 'zod';
import type { TaskFilter } from '../../domain/ports.js';
import type { TaskState } from '../../domain/task.js';
import type { Services } from '../../services/services.js';
import { actorOf } from '../auth.js';
import { csvOf, listHandler, name, pageQuery } from '../validation.js';
import { taskDetail, taskSummary } from './serialize.js';

const STATES: readonly [TaskState, ...TaskState[]] = ['queued', 'processing', 'succeeded', 'failed', 'cancelled'];

export const tasksQuery = z.object({ ...pageQuery, site: name().optional(), state: csvOf(STATES).optional() });

export const tasksApi = (services: Services): ApiRoutes => {
  const router = apiRoutes();

  router.get(
    '/',
    listHandler(
      tasksQuery,
      async (q): Promise<TaskFilter> => ({
        ...(q.site ? { subjectId: (await services.sites.get(q.site)).id } : {}),
        ...(q.state ? { state: q.state } : {}),
      }),
      (filter, page) => services.tasks.list(filter, page),
      taskSummary,
    ),
  );

  router.get('/:id', async (req, res) => {
    res.json(taskDetail(await services.tasks.get(req.params.id)));
  });

  router.post('/:id/cancel', async (req, res) => {
    const cancelled = await services.tasks.cancel(req.params.id, actorOf(res));
    // Re-read: the cancel note is appended to the log after the state change returned the task.
    res.json(taskDetail(await services.tasks.get(cancelled.id)));
  });

  return router;
};
