/**
 * What the pages can do: every action of the API as forms (distribution create / edit / delete / test upstream,
 * sites, target, poll, upgrade → plan → confirm / cancel, task cancel). Each route is guarded by the role table
 * (admin-roles.ts), goes through the services, and answers a POST with a redirect (303) to the page showing the
 * result, or re-renders its form with the problems next to their fields and the input kept.
 */
import express, { Router, type Request, type Response } from 'express';
import type { UpstreamSource } from '../../domain/distribution.js';
import { DistroError, ValidationError } from '../../domain/errors.js';
import { firstErrorLine } from '../../lib/first-error-line.js';
import { plural } from '../../lib/plural.js';
import { needsTargetConfirmation } from '../../services/upgrade-service.js';
import type { Services } from '../../services/services.js';
import { createDistributionSchema, distributionInput, patchDistributionSchema, upstreamSchema } from '../api/distributions.js';
import { createSiteSchema, patchSiteSchema } from '../api/sites.js';
import { actorOf, allow, requireAdmin, type AdminAuth } from '../auth.js';
import { mapError } from '../error-mapping.js';
import { html, type SafeHtml } from '../html.js';
import { parseWith } from '../validation.js';
import { renderConfirmPage } from './forms/confirm-page.js';
import { EMPTY_DISTRIBUTION, renderDistributionForm, valuesOf, type DistributionFormValues, type UpstreamTest } from './forms/distribution-form.js';
import { fieldErrorsOf } from './forms/form-parts.js';
import { policyFieldErrors, policyOf, policyValuesOf, POLICY_FIELDS, renderPolicyForm, type PolicyFormValues } from './forms/policy-form.js';
import { previewRollout, rolloutPolicyProblems } from '../../domain/rollout-policy.js';
import { securityPolicyProblems } from '../../domain/security-policy.js';
import { releaseAgeProblems } from '../../domain/release-age.js';
import { renderSiteForm, type SiteFormValues } from './forms/site-form.js';
import { redirectWithNote } from './result-note.js';
import { distributionHref, platformHref, siteHref, taskHref } from './links.js';

const formBody = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 100 });

const field = (req: Request, key: string): string => {
  const value = (req.body as Record<string, unknown> | undefined)?.[key];
  return typeof value === 'string' ? value : '';
};

const send = (res: Response, page: SafeHtml, status = 200): void => void res.status(status).type('html').send(page.value);

/** The form's problems: a ValidationError's fields inline, any other refusal (409, 422 …) as one sentence on top. */
const problemsOf = (error: unknown): { status: number; errors: Record<string, string>; alerts: string[] } => {
  if (!(error instanceof DistroError)) throw error;
  const mapped = mapError(error);
  if (error instanceof ValidationError) {
    const { fields, other } = fieldErrorsOf(error.issues);
    return { status: mapped.status, errors: fields, alerts: other.length || !Object.keys(fields).length ? [error.message, ...other] : [] };
  }
  return { status: mapped.status, errors: {}, alerts: [error.message] };
};

const distributionValues = (req: Request): DistributionFormValues => {
  const kind = field(req, 'kind');
  return {
    slug: field(req, 'slug').trim(),
    title: field(req, 'title'),
    description: field(req, 'description'),
    channel: field(req, 'channel').trim(),
    kind: kind === 'github' || kind === 'none' ? kind : 'git',
    url: field(req, 'upstream.url').trim(),
    owner: field(req, 'upstream.owner').trim(),
    repo: field(req, 'upstream.repo').trim(),
    branch: field(req, 'upstream.branch').trim(),
    tagPattern: field(req, 'upstream.tagPattern').trim(),
    manifestPath: field(req, 'upstream.manifestPath').trim(),
    initialBuilds: field(req, 'upstream.initialBuilds').trim(),
    pollIntervalMinutes: field(req, 'policy.pollIntervalMinutes').trim(),
    autoTarget: field(req, 'policy.autoTarget') === 'on',
  };
};

/** The form as an API body, so the API's schema (and then the service) judges it: one set of rules. */
const upstreamOf = (v: DistributionFormValues): unknown => {
  if (v.kind === 'none') return null;
  const initialBuilds = v.initialBuilds === '' ? undefined : v.initialBuilds === 'all' ? 'all' : Number(v.initialBuilds);
  const optional = {
    ...(v.branch ? { branch: v.branch } : {}),
    ...(v.tagPattern ? { tagPattern: v.tagPattern } : {}),
    manifestPath: v.manifestPath || undefined,
    ...(initialBuilds !== undefined ? { initialBuilds } : {}),
  };
  return v.kind === 'git' ? { kind: 'git', url: v.url, ...optional } : { kind: 'github', owner: v.owner, repo: v.repo, ...optional };
};

const distributionBody = (v: DistributionFormValues, creating: boolean): Record<string, unknown> => ({
  ...(creating ? { slug: v.slug } : {}),
  title: v.title,
  description: v.description,
  channel: v.channel || null,
  upstream: upstreamOf(v),
  policy: { pollIntervalMinutes: v.pollIntervalMinutes === '' ? undefined : Number(v.pollIntervalMinutes), autoTarget: v.autoTarget },
});

const moduleList = (text: string): string[] => text.split(/[\s,]+/).filter(Boolean);

export const actionsRouter = (deps: { services: Services; auth: AdminAuth; publicUrl: string }): Router => {
  const { services } = deps;
  const router = Router();
  const admin = requireAdmin(deps.auth, deps.publicUrl);
  const guard = (action: Parameters<typeof allow>[0]) => [admin, allow(action), formBody];

  // ------------------------------------------------------------ distributions

  const testUpstream = async (v: DistributionFormValues, mode: 'create' | 'edit'): Promise<UpstreamTest> => {
    if (v.kind === 'none') return { ok: false, message: 'choose a git URL or a GitHub repository first.' };
    if (!services.polls.testUpstream) return { ok: false, message: 'upstream checks are not available on this server.' };
    try {
      const upstream = parseWith(upstreamSchema, upstreamOf(v), 'upstream') as UpstreamSource;
      const refs = await services.polls.testUpstream(upstream);
      // Every matching tag with its state here; Build buttons once the distribution is saved (edit).
      const tags = await services.releases.upstreamTags(upstream);
      const saved = mode === 'edit' ? await services.distributions.get(v.slug) : null;
      const releases = saved ? await services.releases.statesOf(saved, tags) : tags.map((t) => ({ ...t, state: 'not built' as const, platform: null }));
      return { ok: true, refs, releases, slug: saved?.slug ?? null };
    } catch (error) {
      if (!(error instanceof DistroError)) throw error;
      const detail = error instanceof ValidationError ? error.issues.map((i) => (i.startsWith('upstream') ? i : `upstream.${i}`)).join('; ') : firstErrorLine(error.message);
      return { ok: false, message: detail };
    }
  };

  const saveDistribution = (mode: 'create' | 'edit') => async (req: Request, res: Response) => {
    const values = distributionValues(req);
    const slug = mode === 'edit' ? String(req.params['slug']) : values.slug;
    if (mode === 'edit') values.slug = slug;
    if (field(req, 'intent') === 'test') return send(res, renderDistributionForm({ mode, values, test: await testUpstream(values, mode) }));
    try {
      if (mode === 'create') {
        await services.distributions.create(distributionInput(parseWith(createDistributionSchema, distributionBody(values, true), 'body')), actorOf(res));
      } else {
        await services.distributions.update(slug, distributionInput(parseWith(patchDistributionSchema, distributionBody(values, false), 'body')), actorOf(res));
      }
      redirectWithNote(res, distributionHref(slug), mode === 'create' ? `Created ${slug}.` : `Saved ${slug}.`);
    } catch (error) {
      const p = problemsOf(error);
      send(res, renderDistributionForm({ mode, values, errors: p.errors, alerts: p.alerts }), p.status);
    }
  };

  router.get('/new-distribution', admin, allow('distribution.create'), (_req, res) => send(res, renderDistributionForm({ mode: 'create', values: EMPTY_DISTRIBUTION })));
  router.post('/new-distribution', ...guard('distribution.create'), saveDistribution('create'));

  router.get('/distributions/:slug/edit', admin, allow('distribution.edit'), async (req, res) => {
    send(res, renderDistributionForm({ mode: 'edit', values: valuesOf(await services.distributions.get(String(req.params['slug']))) }));
  });
  router.post('/distributions/:slug/edit', ...guard('distribution.edit'), saveDistribution('edit'));

  router.get('/distributions/:slug/delete', admin, allow('distribution.delete'), async (req, res) => {
    const d = await services.distributions.get(String(req.params['slug']));
    const href = distributionHref(d.slug);
    send(res, renderConfirmPage({ title: `Delete ${d.title}?`, question: html`This deletes the distribution <code>${d.slug}</code>. Only a distribution without platforms can be deleted.`, action: `${href}/delete`, button: 'Delete distribution', back: href }));
  });
  router.post('/distributions/:slug/delete', ...guard('distribution.delete'), async (req, res) => {
    const slug = String(req.params['slug']);
    await services.distributions.delete(slug, actorOf(res));
    redirectWithNote(res, '/', `Deleted ${slug}.`);
  });

  // ------------------------------------------------------------ the rollout policy

  const policyValues = (req: Request): PolicyFormValues => {
    const f = POLICY_FIELDS;
    return {
      canarySites: field(req, f.canarySites),
      canaries: field(req, f.canaries),
      batchSize: field(req, f.batchSize),
      failureThreshold: field(req, f.failureThreshold),
      bakeMinutes: field(req, f.bakeMinutes),
      windows: field(req, f.windows),
      siteWindows: field(req, f.siteWindows),
      httpUrl: field(req, f.httpUrl),
      expectStatus: field(req, f.expectStatus),
      bodyContains: field(req, f.bodyContains),
      timeoutMs: field(req, f.timeoutMs),
      retries: field(req, f.retries),
      command: field(req, f.command) === 'on',
      skipWindows: field(req, f.skipWindows) === 'on',
      autoUpgrade: field(req, f.autoUpgrade) === 'on',
      maxEventPackages: field(req, f.maxEventPackages),
      maxCoveredFraction: field(req, f.maxCoveredFraction),
      advisoryDigest: field(req, f.advisoryDigest),
      minReleaseAgeHours: field(req, f.minReleaseAgeHours),
      testSite: field(req, f.testSite).trim(),
    };
  };

  /** The waves and next window Confirm would use now for the outdated sites, under the policy as typed (when valid). */
  const policyPreview = async (slug: string, policy: ReturnType<typeof policyOf>): Promise<string | null> => {
    if (rolloutPolicyProblems(policy.rollout).length) return null;
    const [report] = await services.distributions.status(slug);
    const moves = (report?.groups ?? []).flatMap((g) => g.sites.map((site) => ({ siteId: site.id, siteName: site.name, fromPlatformId: g.platform.id })));
    return moves.length ? previewRollout(policy.rollout, moves, new Date()).text : null;
  };

  const renderPolicy = async (slug: string, values: PolicyFormValues, extra: Partial<Parameters<typeof renderPolicyForm>[0]> = {}): Promise<SafeHtml> => {
    const d = await services.distributions.get(slug);
    return renderPolicyForm({ distribution: d, values, now: new Date(), preview: await policyPreview(d.slug, policyOf(values)), ...extra });
  };

  router.get('/distributions/:slug/policy', admin, allow('distribution.edit'), async (req, res) => {
    const d = await services.distributions.get(String(req.params['slug']));
    send(res, await renderPolicy(d.slug, policyValuesOf(d), { saved: req.query['saved'] === '1' ? 'Policy saved. Running and waiting rollouts of this distribution use it now.' : null }));
  });

  router.post('/distributions/:slug/policy', ...guard('distribution.edit'), async (req, res) => {
    const slug = String(req.params['slug']);
    const values = policyValues(req);
    const policy = policyOf(values);
    const intent = field(req, 'intent');
    try {
      if (intent === 'test-health') {
        const test = await services.distributions.testHealthCheck(slug, values.testSite, policy.rollout?.healthCheck ?? null);
        return send(res, await renderPolicy(slug, values, { test }));
      }
      if (intent === 'preview') {
        const problems = [...rolloutPolicyProblems(policy.rollout), ...securityPolicyProblems(policy.security), ...releaseAgeProblems(policy.minReleaseAgeHours)];
        if (problems.length) throw new ValidationError('Invalid policy.', problems);
        return send(res, await renderPolicy(slug, values, { saved: 'The policy as typed is valid (not saved yet).' }));
      }
      await services.distributions.update(slug, { policy }, actorOf(res));
      res.redirect(303, `${distributionHref(slug)}/policy?saved=1`);
    } catch (error) {
      if (!(error instanceof DistroError)) throw error;
      const { status } = mapError(error);
      const { fields, other } = error instanceof ValidationError ? policyFieldErrors(error.issues) : { fields: {}, other: [error.message] };
      const alerts = other.length || !Object.keys(fields).length ? [error.message, ...other.filter((o) => o !== error.message)] : [];
      send(res, await renderPolicy(slug, values, { errors: fields, alerts }), status);
    }
  });

  router.post('/distributions/:slug/poll', ...guard('distribution.poll'), async (req, res) => {
    const d = await services.polls.pollNow(String(req.params['slug']), actorOf(res));
    // The check runs as a job; its outcome shows under "Last poll" (and new builds under Platforms) when done.
    redirectWithNote(res, distributionHref(d.slug), `Poll of ${d.slug} started; the result shows under Last poll when it is done.`);
  });

  router.post('/distributions/:slug/target', ...guard('distribution.target'), async (req, res) => {
    const slug = String(req.params['slug']);
    const platform = field(req, 'platform');
    if (field(req, 'force') !== 'yes') {
      const impact = await services.upgrades.targetImpact(slug, platform);
      if (needsTargetConfirmation(impact)) {
        const reasons = [
          impact.older && `${impact.target.name} is not newer than the current target ${impact.current?.name ?? ''}`,
          impact.downgrades > 0 && `${impact.downgrades} package${impact.downgrades === 1 ? '' : 's'} would go back a version`,
          ...impact.blocked.map((b) => `${b.sites} site${b.sites === 1 ? '' : 's'} on ${b.platform.name} could not be upgraded to it (${b.errors} errors)`),
        ].filter((r): r is string => Boolean(r));
        return send(res, renderConfirmPage({ title: `Make ${impact.target.name} the target anyway?`, question: `${reasons.join('; ')}.`, action: `${distributionHref(slug)}/target`, button: 'Move the target anyway', back: distributionHref(slug), hidden: { platform, force: 'yes' } }));
      }
    }
    await services.distributions.setTarget(slug, platform, actorOf(res));
    redirectWithNote(res, distributionHref(slug), `${platform} is the upgrade target now.`);
  });

  // ------------------------------------------------------------ sites

  const hostablePlatforms = async (req: Request): Promise<{ platforms: string[]; preferred: string }> => {
    const wanted = typeof req.query['platform'] === 'string' ? req.query['platform'] : '';
    const slug = typeof req.query['distribution'] === 'string' ? req.query['distribution'] : '';
    if (!slug) return { platforms: [], preferred: wanted };
    const detail = await services.distributions.show(slug);
    // Locked platforms too: existing sites are adopted where they are (a new install on one is refused with the reason).
    const open = detail.platforms.filter((p) => p.platform.status === 'ready' || p.platform.status === 'locked').map((p) => p.platform.name);
    return { platforms: open, preferred: wanted || detail.target?.name || open[0] || '' };
  };

  router.get('/new-site', admin, allow('site.create'), async (req, res) => {
    const { platforms, preferred } = await hostablePlatforms(req);
    send(res, renderSiteForm({ mode: 'create', values: { name: '', platform: preferred, status: 'enabled', modules: '' }, platforms }));
  });
  router.post('/new-site', ...guard('site.create'), async (req, res) => {
    const values: SiteFormValues = { name: field(req, 'name').trim(), platform: field(req, 'platform').trim(), status: 'enabled', modules: field(req, 'modules'), adopt: field(req, 'adopt') === 'on' };
    try {
      const body = parseWith(createSiteSchema, { name: values.name, platform: values.platform, modules: moduleList(values.modules) }, 'body');
      if (values.adopt) {
        const adopted = await services.sites.adopt(body, actorOf(res));
        return redirectWithNote(res, siteHref(adopted.name), `Adopted ${adopted.name}.`);
      }
      const { site, task } = await services.sites.create(body, actorOf(res));
      if (task) redirectWithNote(res, taskHref(task.id), `Installing ${site.name} (task #${task.number}).`);
      else redirectWithNote(res, siteHref(site.name), `Added ${site.name}.`);
    } catch (error) {
      const p = problemsOf(error);
      send(res, renderSiteForm({ mode: 'create', values, errors: p.errors, alerts: p.alerts }), p.status);
    }
  });

  router.get('/sites/:name/edit', admin, allow('site.edit'), async (req, res) => {
    const s = await services.sites.get(String(req.params['name']));
    send(res, renderSiteForm({ mode: 'edit', values: { name: s.name, platform: '', status: s.status, modules: s.modules.join(' ') } }));
  });
  router.post('/sites/:name/edit', ...guard('site.edit'), async (req, res) => {
    const name = String(req.params['name']);
    const values: SiteFormValues = { name, platform: '', status: field(req, 'status'), modules: field(req, 'modules') };
    try {
      const body = parseWith(patchSiteSchema, { status: values.status, modules: moduleList(values.modules) }, 'body');
      const site = await services.sites.update(name, body, actorOf(res));
      redirectWithNote(res, siteHref(site.name), `Saved ${site.name}.`);
    } catch (error) {
      const p = problemsOf(error);
      send(res, renderSiteForm({ mode: 'edit', values, errors: p.errors, alerts: p.alerts }), p.status);
    }
  });

  router.get('/sites/:name/delete', admin, allow('site.delete'), async (req, res) => {
    const s = await services.sites.get(String(req.params['name']));
    send(res, renderConfirmPage({ title: `Delete ${s.name}?`, question: html`This removes the site <code>${s.name}</code> from Distro's records.`, action: `${siteHref(s.name)}/delete`, button: 'Delete site', back: siteHref(s.name) }));
  });
  router.post('/sites/:name/delete', ...guard('site.delete'), async (req, res) => {
    const site = await services.sites.get(String(req.params['name']));
    await services.sites.delete(site.name, actorOf(res));
    redirectWithNote(res, platformHref((await services.platforms.get(site.platformId)).name), `Deleted ${site.name}.`);
  });

  // ------------------------------------------------------------ platforms

  router.get('/platforms/:name/delete', admin, allow('platform.delete'), async (req, res) => {
    const p = await services.platforms.get(String(req.params['name']));
    const href = platformHref(p.name);
    send(res, renderConfirmPage({ title: `Delete ${p.name}?`, question: html`This removes the platform <code>${p.name}</code> from Distro's records. Only a platform without sites that is not the upgrade target can be deleted.`, action: `${href}/delete`, button: 'Delete platform', back: href }));
  });
  router.post('/platforms/:name/delete', ...guard('platform.delete'), async (req, res) => {
    const p = await services.platforms.get(String(req.params['name']));
    const d = await services.distributions.get(p.distributionId);
    await services.platforms.delete(p.name, actorOf(res));
    redirectWithNote(res, distributionHref(d.slug), `Deleted ${p.name}.`);
  });

  // ------------------------------------------------------------ upgrades and tasks

  router.post('/upgrades', ...guard('upgrade.propose'), async (req, res) => {
    const kind = field(req, 'kind');
    const name = field(req, 'name');
    const scope = kind === 'distribution' ? { kind: 'distribution' as const, slug: name } : { kind: kind === 'platform' ? ('platform' as const) : ('site' as const), name };
    const view = await services.upgrades.propose(scope, actorOf(res));
    redirectWithNote(res, `/upgrades/${encodeURIComponent(view.plan.id)}`, `Upgrade to ${view.target.name} planned; check the Compare summary, then Confirm.`);
  });

  // Confirm and cancel answer with the plan page, which shows what happened (scheduled tasks, or cancelled).
  router.post('/upgrades/:id/confirm', ...guard('upgrade.confirm'), async (req, res) => {
    const id = String(req.params['id']);
    const { view, scheduled, skipped } = await services.upgrades.confirm(id, actorOf(res));
    const rollout = view.rollout ? `Rollout ${view.rollout.number}` : 'The rollout';
    const said = scheduled
      ? `Confirmed: ${rollout} moves ${plural(view.plan.moves.length - skipped.length, 'site')} to ${view.target.name}${skipped.length ? ` (${plural(skipped.length, 'site')} left out, see below)` : ''}.`
      : 'This upgrade was confirmed already; nothing new was scheduled.';
    redirectWithNote(res, `/upgrades/${encodeURIComponent(id)}`, said);
  });
  router.post('/upgrades/:id/cancel', ...guard('upgrade.cancel'), async (req, res) => {
    const id = String(req.params['id']);
    await services.upgrades.cancel(id, actorOf(res));
    redirectWithNote(res, `/upgrades/${encodeURIComponent(id)}`, 'Upgrade cancelled; nothing of it will be scheduled.');
  });

  router.get('/upgrades/:id/cancel', admin, allow('upgrade.cancel'), async (req, res) => {
    const view = await services.upgrades.view(String(req.params['id']));
    const href = `/upgrades/${encodeURIComponent(view.plan.id)}`;
    send(res, renderConfirmPage({ title: 'Cancel this upgrade?', question: `Nothing of this plan to ${view.target.name} will be scheduled; a new upgrade can be requested later.`, action: `${href}/cancel`, button: 'Cancel the upgrade', back: href }));
  });

  router.get('/tasks/:id/cancel', admin, allow('task.cancel'), async (req, res) => {
    const t = await services.tasks.get(String(req.params['id']));
    send(res, renderConfirmPage({ title: `Cancel task #${t.number}?`, question: `The queued ${t.type} of ${t.subject.name} will not run.`, action: `${taskHref(t.id)}/cancel`, button: 'Cancel task', back: taskHref(t.id) }));
  });
  router.post('/tasks/:id/cancel', ...guard('task.cancel'), async (req, res) => {
    const t = await services.tasks.cancel(String(req.params['id']), actorOf(res));
    redirectWithNote(res, taskHref(t.id), `Task #${t.number} cancelled.`);
  });

  // ------------------------------------------------------------ manual locks and pins (reason required)

  const holdRoutes = (kind: 'platform' | 'site' | 'distribution', base: string, word: 'lock' | 'pin', href: (name: string) => string) => {
    const action = kind === 'platform' ? 'platform.lock' : kind === 'site' ? 'site.pin' : 'distribution.pin';
    router.post(`/${base}/:key/${word}`, ...guard(action), async (req, res) => {
      const change = await services.holds.set(kind, String(req.params['key']), field(req, 'reason'), actorOf(res));
      redirectWithNote(res, href(change.subject.name), `${word === 'lock' ? 'Locked' : 'Pinned'} ${change.subject.name}.`);
    });
    router.post(`/${base}/:key/un${word}`, ...guard(action), async (req, res) => {
      const change = await services.holds.clear(kind, String(req.params['key']), actorOf(res));
      redirectWithNote(res, href(change.subject.name), `${word === 'lock' ? 'Unlocked' : 'Unpinned'} ${change.subject.name}.`);
    });
  };
  holdRoutes('platform', 'platforms', 'lock', platformHref);
  holdRoutes('site', 'sites', 'pin', siteHref);
  holdRoutes('distribution', 'distributions', 'pin', distributionHref);

  return router;
};
