import { Router } from 'express';
import { z } from 'zod';
import type { Services } from '../../services/services.js';
import { actorOf } from '../auth.js';
import { name, pageQuery, paged, parseBody, parseQuery, sliceToPage } from '../validation.js';
import { holdJson, holdRoutes } from './holds.js';
import { distributionOverview, targetChange } from './serialize.js';

const upstreamCommon = {
  branch: z.string().trim().min(1).optional(),
  tagPattern: z.string().trim().min(1).optional(),
  manifestPath: z.string().trim().min(1).default('composer.json'),
};

const upstreamSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('git'), url: z.string().trim().min(1), ...upstreamCommon }),
  z.strictObject({
    kind: z.literal('github'),
    owner: z.string().regex(/^[A-Za-z0-9-]{1,39}$/, 'a GitHub owner'),
    repo: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'a GitHub repository name'),
    ...upstreamCommon,
  }),
]);

const policySchema = z.strictObject({
  pollIntervalMinutes: z.number().int().min(0).max(7 * 24 * 60).optional(),
  autoTarget: z.boolean().optional(),
});

// Shapes only: size limits and the control-character rule live in the domain (field-limits.ts), for every surface.
const editable = {
  title: name(),
  description: z.string(),
  channel: z.string().trim().min(1).nullable(),
  upstream: upstreamSchema.nullable(),
  policy: policySchema,
};

const createSchema = z.strictObject({
  slug: z.string(),
  title: editable.title,
  description: editable.description.optional(),
  channel: editable.channel.optional(),
  upstream: editable.upstream.optional(),
  policy: editable.policy.optional(),
});

const patchSchema = z
  .strictObject({
    title: editable.title.optional(),
    description: editable.description.optional(),
    channel: editable.channel.optional(),
    upstream: editable.upstream.optional(),
    policy: editable.policy.optional(),
  })
  .refine((p) => Object.keys(p).length > 0, 'nothing to change: give title, description, channel, upstream or policy');

const targetSchema = z.strictObject({ platform: name() });

/** Drops keys whose value is undefined, so a patch never overwrites a field the client did not send. */
const defined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

export const distributionsApi = (services: Services): Router => {
  const router = Router();

  router.get('/', async (req, res) => {
    const page = parseQuery(z.object(pageQuery), req);
    res.json(paged(sliceToPage(await services.distributions.list(), page), page, distributionOverview));
  });

  router.post('/', async (req, res) => {
    const body = parseBody(createSchema, req);
    const { policy, ...rest } = defined(body) as typeof body;
    const created = await services.distributions.create({ ...rest, ...(policy ? { policy: defined(policy) } : {}) }, actorOf(res));
    res.status(201).location(`/api/distributions/${created.slug}`).json(created);
  });

  router.get('/:slug', async (req, res) => {
    const detail = await services.distributions.show(req.params.slug);
    res.json({
      ...distributionOverview(detail),
      pin: holdJson(detail.pin),
      platforms: detail.platforms.map((p) => ({
        id: p.platform.id,
        name: p.platform.name,
        status: p.platform.status,
        ref: p.platform.source.ref,
        siteCount: p.siteCount,
        isTarget: p.isTarget,
        lock: holdJson(p.lock),
      })),
    });
  });

  router.patch('/:slug', async (req, res) => {
    const body = parseBody(patchSchema, req);
    const { policy, ...rest } = defined(body) as typeof body;
    res.json(await services.distributions.update(req.params.slug, { ...rest, ...(policy ? { policy: defined(policy) } : {}) }, actorOf(res)));
  });

  router.delete('/:slug', async (req, res) => {
    await services.distributions.delete(req.params.slug, actorOf(res));
    res.status(204).end();
  });

  router.put('/:slug/target', async (req, res) => {
    const body = parseBody(targetSchema, req);
    res.json(targetChange(await services.distributions.setTarget(req.params.slug, body.platform, actorOf(res))));
  });

  router.post('/:slug/poll', async (req, res) => {
    const distribution = await services.distributions.get(req.params.slug);
    await services.polls.pollNow(distribution.slug, actorOf(res));
    res.status(202).json({ queued: true, distribution: distribution.slug });
  });

  holdRoutes(router, services, 'distribution', 'pin');

  return router;
};
