/** The health check after a migration: a real HTTP probe of a server on 127.0.0.1, and the command check. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Distribution } from '../../../src/domain/distribution.js';
import { HostingError } from '../../../src/domain/errors.js';
import type { HealthCheckPolicy } from '../../../src/domain/rollout-policy.js';
import { healthCommandProblems, MAX_PROBE_BODY_BYTES, SiteHealthChecker } from '../../../src/hosting/health-checker.js';
import { aDistribution, aPlatform, aSite } from '../../support/domain-builders.js';
import { makeTempDir } from '../../support/git-fixtures.js';

describe('health checker', () => {
  let server: Server;
  let other: Server;
  let base: string;
  const hits: string[] = [];
  let flaky = 0;

  beforeAll(async () => {
    other = createServer((_req, res) => res.end('elsewhere'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const otherPort = (other.address() as AddressInfo).port;
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      const path = req.url ?? '/';
      if (path.startsWith('/ok.example.org')) return void res.end('<title>Welcome</title>');
      if (path.startsWith('/broken.example.org')) return void res.writeHead(500).end('error');
      if (path.startsWith('/moved.example.org')) return void res.writeHead(302, { location: '/ok.example.org/' }).end();
      if (path.startsWith('/away.example.org')) return void res.writeHead(302, { location: `http://localhost:${otherPort}/` }).end();
      if (path.startsWith('/slow.example.org')) return; // never answers
      if (path.startsWith('/huge.example.org')) {
        res.write('x'.repeat(MAX_PROBE_BODY_BYTES + 10));
        return void res.end('needle');
      }
      if (path.startsWith('/flaky.example.org')) return void (flaky++ < 1 ? res.writeHead(503).end() : res.end('ok'));
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    other.closeAllConnections();
    await Promise.all([new Promise((r) => server.close(r)), new Promise((r) => other.close(r))]);
  });

  const checker = (healthCheck: HealthCheckPolicy | undefined, command: string | null = null) => {
    const distribution: Distribution = { ...aDistribution(null), policy: { pollIntervalMinutes: 0, autoTarget: false, rollout: healthCheck ? { healthCheck } : null } };
    return new SiteHealthChecker({ distributionOf: async () => distribution, command, retryDelayMs: 5, allowHosts: ['127.0.0.1', 'localhost'] });
  };
  const check = async (site: string, healthCheck: HealthCheckPolicy | undefined, command: string | null = null) => {
    const lines: string[] = [];
    await checker(healthCheck, command).check(aSite(site), aPlatform('social-12.4.2', { path: '/srv/p' }), (m) => lines.push(m));
    return lines;
  };
  const http = (over: Partial<NonNullable<HealthCheckPolicy['http']>> = {}) => ({ http: { url: `${base}/{site}/`, retries: 0, timeoutMs: 2000, ...over } });

  test('nothing configured: passes and says so', async () => {
    expect(await check('ok.example.org', undefined)).toEqual(['No health check configured']);
  });

  test('status and body text', async () => {
    expect(await check('ok.example.org', http({ bodyContains: 'Welcome' }))).toContain(`Health check passed: ${base}/ok.example.org/`);
    await expect(check('broken.example.org', http())).rejects.toThrow(`Health check failed: ${base}/broken.example.org/ answered 500, expected 200`);
    await expect(check('ok.example.org', http({ bodyContains: 'Goodbye' }))).rejects.toThrow('without the expected text');
    await expect(check('broken.example.org', http({ expectStatus: 500 }))).resolves.toBeDefined();
  });

  test('redirects: followed on the same host, refused to another host', async () => {
    await expect(check('moved.example.org', http())).resolves.toContain(`Health check passed: ${base}/moved.example.org/`);
    const before = hits.length;
    await expect(check('away.example.org', http())).rejects.toThrow(/redirects to another host \(localhost:\d+\); not followed/);
    expect(hits.length - before).toBe(1);
  });

  test('retries, then passes; bounded time and size', async () => {
    await expect(check('flaky.example.org', http({ retries: 2 }))).resolves.toContain(`Health check passed: ${base}/flaky.example.org/`);
    const started = Date.now();
    await expect(check('slow.example.org', http({ timeoutMs: 300 }))).rejects.toThrow('no answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(5000);
    // Text past the first 64 KB is not read.
    await expect(check('huge.example.org', http({ bodyContains: 'needle' }))).rejects.toThrow('without the expected text');
  });

  test('a failure is a HostingError (the migration rolls the site back)', async () => {
    await expect(check('broken.example.org', http())).rejects.toBeInstanceOf(HostingError);
  });

  test('command check: values are separate arguments, never shell text', async () => {
    const dir = await makeTempDir('distro-health-');
    const out = join(dir, 'out');
    // A value with shell syntax in it reaches the command as one literal argument.
    const template = `printf '%s|%s|%s\\n' {site} {platform} {platformPath} > ${out}`;
    expect(healthCommandProblems(template)).toEqual([]);
    const lines = await checker({ command: true }, template).check(aSite('ok.example.org'), aPlatform('p;touch${IFS}/tmp/pwned', { path: '/srv/$(id)' }), () => {});
    expect(lines).toBeUndefined();
    expect(await readFile(out, 'utf8')).toBe('ok.example.org|p;touch${IFS}/tmp/pwned|/srv/$(id)\n');
    await expect(checker({ command: true }, 'exit 3').check(aSite('ok.example.org'), aPlatform('p'), () => {})).rejects.toThrow('Health check command failed');
    await expect(checker({ command: true }, null).check(aSite('ok.example.org'), aPlatform('p'), () => {})).rejects.toThrow('HEALTH_CHECK_COMMAND is not set');
    expect(healthCommandProblems(`curl "{site}"`)[0]).toContain('placeholder {site} is inside double quotes');
    expect(healthCommandProblems('check {host}')[0]).toContain('unknown placeholder {host}');
  });
});
