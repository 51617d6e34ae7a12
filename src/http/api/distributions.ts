import { apiRoutes, type ApiRoutes } from './route-table.js';
import { z } from 'zod';
import type { HealthCheckPolicy, RolloutPolicy } from '../../domain/rollout-policy.js';
import type { SecurityPolicy } from '../../domain/security-policy.js';
import type { Services } from '../../services/services.js';
import { actorOf } from '../auth.js';
import { name, pageQuery, paged, parseBody, parseQuery, sliceToPage } from '../validation.js';
import { holdJson, holdRoutes } from './holds.js';
import { distributionOverview, targetChange } from './serialize.js';

const upstreamCommon = {
  branch: z.string().trim().min(1).optional(),
  tagPattern: z.string().trim().min(1).optional(),
  manifestPath: z.string().trim().min(1).default('composer.json'),
  // Range checked in the domain (initial-builds.ts), for every surface.
  initialBuilds: z.union([z.literal('all'), z.number()]).optional(),
};

export const upstreamSchema = z.discriminatedUnion('kind', [
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
  // Shape and limits checked in the domain (rollout-policy.ts), naming each field, for every surface.
  rollout: z.custom<RolloutPolicy | null>(() => true).optional(),
  security: z.custom<SecurityPolicy | null>(() => true).optional(),
  advisoryDigest: z.custom<string | null>(() => true).optional(),
  // Checked in the domain (release-age.ts), naming the field.
  minReleaseAgeHours: z.custom<number | null>(() => true).optional(),
});

// Shapes only: size limits and the control-character rule live in the domain (field-limits.ts), for every surface.
const editable = {
  title: name(),
  description: z.string(),
  channel: z.string().trim().min(1).nullable(),
  upstream: upstreamSchema.nullable(),
  policy: policySchema,
};

export const createDistributionSchema = z.strictObject({
  slug: z.string(),
  title: editable.title,
  description: editable.description.optional(),
  channel: editable.channel.optional(),
  upstream: editable.upstream.optional(),
  policy: editable.policy.optional(),
});

export const patchDistributionSchema = z
  .strictObject({
    title: editable.title.optional(),
    description: editable.description.optional(),
    channel: editable.channel.optional(),
    upstream: editable.upstream.optional(),
    policy: editable.policy.optional(),
  })
  .refine((p) => Object.keys(p).length > 0, 'nothing to change: give title, description, channel, upstream or policy');

export const targetSchema = z.strictObject({ platform: name() });

/** One ref, or several ("Build all listed"); names are checked as git refs in the service. */
export const buildsSchema = z.union([
  z.strictObject({ ref: z.string().max(255) }),
  z.strictObject({ refs: z.array(z.string().max(255)).min(1).max(200) }),
]);

// The check's shape and limits are the domain's (rollout-policy.ts), naming each field.
export const healthTestSchema = z.strictObject({ site: name(), healthCheck: z.custom<unknown>(() => true).optional() });

/** Drops keys whose value is undefined, so a patch never overwrites a field the client did not send. */
const defined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** A validated create/patch body as the service takes it: no undefined keys, a partial policy merged by the service. */
export const distributionInput = <B extends { policy?: z.infer<typeof policySchema> | undefined }>(body: B) => {
  const { policy, ...rest } = defined(body) as B;
  return { ...rest, ...(policy ? { policy: defined(policy) } : {}) };
};

export const distributionsQuery = z.object(pageQuery);

export const distributionsApi = (services: Services): ApiRoutes => {
  const router = apiRoutes();

  router.get('/', async (req, res) => {
    const page = parseQuery(distributionsQuery, req);
    res.json(paged(sliceToPage(await services.distributions.list(), page), page, distributionOverview));
  });

  router.post('/', async (req, res) => {
    const created = await services.distributions.create(distributionInput(parseBody(createDistributionSchema, req)), actorOf(res));
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
    res.json(await services.distributions.update(req.params.slug, distributionInput(parseBody(patchDistributionSchema, req)), actorOf(res)));
  });

  router.delete('/:slug', async (req, res) => {
    await services.distributions.delete(req.params.slug, actorOf(res));
    res.status(204).end();
  });

  // Tries a health check (as given, else the policy's) once on one site of the distribution; changes nothing.
  router.post('/:slug/health-check/test', async (req, res) => {
    const body = parseBody(healthTestSchema, req);
    res.json(await services.distributions.testHealthCheck(req.params.slug, body.site, (body.healthCheck ?? null) as HealthCheckPolicy | null));
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

  // Every tag matching the upstream's pattern, with its state here (built / not built / failed / queued …).
  router.get('/:slug/builds', async (req, res) => {
    const { distribution, releases } = await services.releases.releases(req.params.slug);
    res.json({ distribution: distribution.slug, releases });
  });

  // Build a chosen tag or branch (an older release, or a failed build again): 202 with what was queued.
  router.post('/:slug/builds', async (req, res) => {
    const body = parseBody(buildsSchema, req);
    const serialize = (r: { platform: { name: string; status: string; source: { ref: string; commit: string } }; outcome: string }) => ({
      outcome: r.outcome,
      platform: { name: r.platform.name, status: r.platform.status, ref: r.platform.source.ref, commit: r.platform.source.commit },
    });
    if ('ref' in body) {
      const result = await services.releases.build(req.params.slug, body.ref, actorOf(res));
      return void res.status(result.outcome === 'queued' ? 202 : 200).location(`/api/platforms/${result.platform.name}`).json(serialize(result));
    }
    const results = await services.releases.buildMany(req.params.slug, body.refs, actorOf(res));
    res.status(202).json({ results: results.map((r) => (r.result ? { ref: r.ref, ...serialize(r.result) } : { ref: r.ref, outcome: 'refused', reason: r.error })) });
  });

  holdRoutes(router, services, 'distribution', 'pin');

  return router;
};
