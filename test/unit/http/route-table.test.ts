import { describe, expect, test } from '@jest/globals';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { endpointsOf } from '../../../src/http/api/api-index.js';
import { apiRoutes } from '../../../src/http/api/route-table.js';

describe('API route table', () => {
  const build = () => {
    const sites = apiRoutes();
    sites.get('/:name', (req, res) => void res.json({ site: req.params.name }));
    sites.post('/:name/rollback', (_req, res) => void res.json({ ok: true }));
    sites.post('/:name/unlisted', (_req, res) => void res.json({ ok: true }));
    const api = apiRoutes();
    api.get('/', (_req, res) => void res.json({}));
    api.mount('/sites', sites);
    return api;
  };

  test('records every route with its mount prefix, and the role each needs (a state change not in API_ACTIONS: admin)', () => {
    expect(endpointsOf(build())).toEqual([
      { method: 'GET', path: '/', role: 'viewer' },
      { method: 'GET', path: '/sites/:name', role: 'viewer' },
      { method: 'POST', path: '/sites/:name/rollback', role: 'operator' },
      { method: 'POST', path: '/sites/:name/unlisted', role: 'admin' },
    ]);
  });

  test('registers the same routes on the express router it serves', async () => {
    const app = express().use('/api', build().router);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
      expect(await (await fetch(`${base}/sites/a1`)).json()).toEqual({ site: 'a1' });
      expect((await fetch(`${base}/sites/a1/rollback`, { method: 'POST' })).status).toBe(200);
      expect((await fetch(`${base}/sites/a1/rollback`, { method: 'PUT' })).status).toBe(404);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
