/** The access log and request ids over real HTTP: one line per request, the id echoed and carried into the jobs it starts. */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { POLL_JOB } from '../../src/domain/jobs.js';
import type { SqliteJobQueue } from '../../src/jobs/sqlite-queue.js';
import { createLogger } from '../../src/logger.js';
import { ADMIN_TOKEN, api, startHttpServer, type HttpTestServer } from '../support/http.js';

interface Line {
  log?: string;
  msg: string;
  requestId?: string;
  route?: string;
  user?: string | null;
  durationMs?: number;
  req?: { method: string; path: string };
  res?: { status: number };
  [key: string]: unknown;
}

describe('access log and request ids', () => {
  let server: HttpTestServer;
  const text: string[] = [];
  const lines = (): Line[] => text.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
  const accessLines = () => lines().filter((l) => l.log === 'access');

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        text.push(chunk.toString('utf8'));
        done();
      },
    });
    server = await startHttpServer({ logger: createLogger('info', 'distro', undefined, sink) });
    await api(server.baseUrl, 'POST', '/api/distributions', {
      slug: 'social',
      title: 'Open Social 12',
      upstream: { kind: 'github', owner: 'acme', repo: 'portal', branch: 'main', manifestPath: 'composer.lock' },
      policy: { pollIntervalMinutes: 0, autoTarget: false },
    });
  });
  afterAll(() => server.close());

  test('a given well-formed X-Request-Id is echoed and logged with the route pattern, status, duration and user', async () => {
    const res = await api(server.baseUrl, 'GET', '/api/distributions/social', undefined, {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      'x-request-id': 'lb-7f3a.42',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('lb-7f3a.42');
    const line = accessLines().find((l) => l.requestId === 'lb-7f3a.42');
    expect(line).toMatchObject({ route: '/api/distributions/:slug', user: 'admin', req: { method: 'GET', path: '/api/distributions/social' }, res: { status: 200 } });
    expect(typeof line!.durationMs).toBe('number');
    expect(line!.msg).toBe(`GET /api/distributions/:slug 200 ${line!.durationMs}ms`);
  });

  test('a malformed or oversized id is replaced by a generated one', async () => {
    for (const given of ['has space', 'x'.repeat(129), 'quote"d', '']) {
      const res = await fetch(`${server.baseUrl}/api/distributions`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-request-id': given } });
      const id = res.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(id).not.toBe(given);
    }
    const res = await fetch(`${server.baseUrl}/api/distributions`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('bodies, query strings, cookies and tokens are never written; 404s and refusals are logged too', async () => {
    const secret = 'body-secret-value-123';
    await api(server.baseUrl, 'POST', '/api/distributions', { slug: 'x', title: secret }, {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      cookie: 'distro_session=cookie-secret-456',
    });
    await fetch(`${server.baseUrl}/upgrades/abc?sig=query-secret-789&exp=1`, { headers: { 'x-request-id': 'sig-req' } });
    const missing = await api(server.baseUrl, 'GET', '/api/nothing-here', undefined, { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-request-id': 'nf-1' });
    expect(missing.status).toBe(404);
    const all = text.join('');
    for (const s of [secret, 'cookie-secret-456', 'query-secret-789', ADMIN_TOKEN]) expect(all).not.toContain(s);
    expect(accessLines().find((l) => l.requestId === 'nf-1')).toMatchObject({ route: '(unmatched)', res: { status: 404 } });
    const refused = accessLines().find((l) => l.requestId === 'sig-req');
    expect(refused).toMatchObject({ req: { path: '/upgrades/abc' }, res: { status: 403 }, user: null });
  });

  test('the id follows into the job the request queues and the actor it records', async () => {
    const res = await api(server.baseUrl, 'POST', '/api/distributions/social/poll', undefined, {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      'x-request-id': 'poll-req-1',
    });
    expect(res.status).toBeLessThan(300);
    const jobs = await (server.jobs as SqliteJobQueue).list(POLL_JOB);
    const job = jobs.find((j) => (j.data as { requestId?: string }).requestId === 'poll-req-1');
    expect(job).toBeDefined();
    expect((job!.data as { actor?: { requestId?: string } }).actor?.requestId).toBe('poll-req-1');
    expect(accessLines().find((l) => l.requestId === 'poll-req-1')).toMatchObject({ route: '/api/distributions/:slug/poll' });
  });
});
