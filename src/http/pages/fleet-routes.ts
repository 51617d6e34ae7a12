/**
 * Pages that bring a fleet in. The releases page and its Build actions: GET /distributions/<slug>/releases lists
 * every matching tag with its state; POST /distributions/<slug>/builds builds one (`ref`) or all listed (`refs`),
 * then shows the page again. The import page: GET /import, POST /import (preview, or apply with `apply=yes`).
 */
import express, { Router, type Request, type Response } from 'express';
import type { Services } from '../../services/services.js';
import { actorOf, allow, requireAdmin, type AdminAuth } from '../auth.js';
import type { SafeHtml } from '../html.js';
import { DistroError, ValidationError } from '../../domain/errors.js';
import { IMPORT_FORMATS, type ImportFormat } from '../../domain/fleet-import.js';
import { API_BODY_LIMIT_BYTES } from '../api/api-limits.js';
import { mapError } from '../error-mapping.js';
import { renderImportPage } from './import-page.js';
import { renderReleasesPage } from './releases-view.js';

const formBody = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 1100 });

const send = (res: Response, page: SafeHtml, status = 200): void => void res.status(status).type('html').send(page.value);

const listField = (req: Request, key: string): string[] => {
  const value = (req.body as Record<string, unknown> | undefined)?.[key];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string' && v !== '');
};

const importBody = express.urlencoded({ extended: false, limit: API_BODY_LIMIT_BYTES, parameterLimit: 10 });

const field = (req: Request, key: string): string => listField(req, key)[0] ?? '';

export const fleetRouter = (deps: { services: Services; auth: AdminAuth; publicUrl: string }): Router => {
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

  router.get('/import', admin, allow('fleet.import'), (_req, res) => send(res, renderImportPage({ format: 'drush-json', content: '', distribution: '' })));
  router.post('/import', admin, allow('fleet.import'), importBody, async (req, res) => {
    const values = { format: field(req, 'format'), content: field(req, 'content'), distribution: field(req, 'distribution').trim() };
    const format: ImportFormat = (IMPORT_FORMATS as readonly string[]).includes(values.format) ? (values.format as ImportFormat) : 'drush-json';
    try {
      const result = await services.imports.run(
        { format, content: values.content, ...(values.distribution ? { distribution: values.distribution } : {}), apply: field(req, 'apply') === 'yes' },
        actorOf(res),
      );
      send(res, renderImportPage({ ...values, result }));
    } catch (error) {
      if (!(error instanceof DistroError)) throw error;
      const detail = error instanceof ValidationError && error.issues.length ? `${error.message} ${error.issues.join('; ')}` : error.message;
      send(res, renderImportPage({ ...values, alerts: [detail] }), mapError(error).status);
    }
  });

  return router;
};
