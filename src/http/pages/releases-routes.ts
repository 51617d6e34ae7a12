/**
 * The releases page and its Build actions: GET /distributions/<slug>/releases lists every matching tag with its
 * state; POST /distributions/<slug>/builds builds one (`ref`) or all listed (`refs`), then shows the page again.
 */
import express, { Router, type Request, type Response } from 'express';
import type { Services } from '../../services/services.js';
import { actorOf, allow, requireAdmin, type AdminAuth } from '../auth.js';
import type { SafeHtml } from '../html.js';
import { renderReleasesPage } from './releases-view.js';

const formBody = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 1100 });

const send = (res: Response, page: SafeHtml, status = 200): void => void res.status(status).type('html').send(page.value);

const listField = (req: Request, key: string): string[] => {
  const value = (req.body as Record<string, unknown> | undefined)?.[key];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string' && v !== '');
};

export const releasesRouter = (deps: { services: Services; auth: AdminAuth; publicUrl: string }): Router => {
  const { services } = deps;
  const router = Router();
  const admin = requireAdmin(deps.auth, deps.publicUrl);

  router.get('/distributions/:slug/releases', admin, allow('read'), async (req, res) => {
    const { distribution, releases } = await services.releases.releases(String(req.params['slug']));
    send(res, renderReleasesPage(distribution, releases));
  });

  router.post('/distributions/:slug/builds', admin, allow('distribution.build'), formBody, async (req, res) => {
    const slug = String(req.params['slug']);
    const one = listField(req, 'ref')[0];
    const refs = one ? [one] : listField(req, 'refs').slice(0, 200);
    const results = await services.releases.buildMany(slug, refs, actorOf(res));
    const said = results.map((r) =>
      r.error ? `${r.ref}: refused (${r.error})` : `${r.ref}: ${r.result!.outcome === 'queued' ? `queued as ${r.result!.platform.name}` : r.result!.outcome.replace('-', ' ')}`,
    );
    const { distribution, releases } = await services.releases.releases(slug);
    send(res, renderReleasesPage(distribution, releases, said.join(' · ') || 'Nothing to build.'), results.some((r) => r.error) ? 422 : 202);
  });

  return router;
};
