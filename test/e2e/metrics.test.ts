/**
 * /livez, /readyz and /metrics on the product as composed by src/app.ts: Prometheus text with request latency by
 * route pattern, the job backlog by job name, rollouts by state, store health; loopback-only without METRICS_TOKEN,
 * bearer-only with it.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { api } from '../support/http.js';
import { createPortalDistribution, startProduct, type ProductServer } from '../support/product-server.js';

const sample = (text: string, name: string, labels: Record<string, string> = {}): number | null => {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return null;
};

describe('without METRICS_TOKEN', () => {
  let product: ProductServer;
  beforeAll(async () => {
    product = await startProduct();
    await createPortalDistribution(product);
  });
  afterAll(() => product.stop());

  test('/livez and /readyz', async () => {
    const live = await api(product.url, 'GET', '/livez', undefined, {});
    expect(live.status).toBe(200);
    expect(live.body.status).toBe('ok');
    const ready = await api(product.url, 'GET', '/readyz', undefined, {});
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { store: { ok: true }, queue: { ok: true } }, problems: [] });
  });

  test('/metrics from loopback: latency by route pattern, job backlog and age, rollouts, store health', async () => {
    expect((await api(product.url, 'GET', '/api/distributions/portal', undefined, {})).status).toBe(200);
    // A job no worker of this process handles stays due: the backlog and its age.
    await product.app.jobs.enqueue('test.unhandled', {}, { runAt: new Date(Date.now() - 5000) });
    const res = await fetch(`${product.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(sample(text, 'distro_http_request_duration_seconds_count', { method: 'GET', route: '/api/distributions/:slug', status: '200' })).toBe(1);
    expect(text).not.toContain('route="/api/distributions/portal"');
    expect(sample(text, 'distro_jobs_due', { job: 'test.unhandled' })).toBe(1);
    expect(sample(text, 'distro_jobs_oldest_due_age_seconds', { job: 'test.unhandled' })).toBeGreaterThanOrEqual(5);
    expect(sample(text, 'distro_rollouts', { state: 'running' })).toBe(0);
    expect(sample(text, 'distro_store_up')).toBe(1);
    expect(text).toContain('# TYPE distro_migrations_total counter');
    expect(text).toContain('# TYPE distro_slack_api_calls_total counter');
    expect(text).toContain('# TYPE distro_exposed_sites gauge');
  });

  test('a request that came through a proxy is refused', async () => {
    const res = await fetch(`${product.url}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(res.status).toBe(403);
  });
});

describe('with METRICS_TOKEN', () => {
  const METRICS_TOKEN = 'metrics-token-0123456789';
  let product: ProductServer;
  beforeAll(async () => {
    product = await startProduct({ METRICS_TOKEN });
  });
  afterAll(() => product.stop());

  test('only a bearer of the token reads it, even from loopback', async () => {
    expect((await fetch(`${product.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${product.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } })).status).toBe(401);
    const ok = await fetch(`${product.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('distro_store_up 1');
  });
});
