/**
 * Health-check URLs come from admin-role users: they go through the same private-address guard as upstreams
 * (issue 21 item 5), every resolved address and every hop, with the operator's HEALTH_CHECK_ALLOW_HOSTS for
 * internal probes; task logs keep the status line, never the response body or the internal address of an error.
 * Also the guard's IPv6 forms (item 7).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config.js';
import type { Distribution } from '../../src/domain/distribution.js';
import type { HealthCheckPolicy } from '../../src/domain/rollout-policy.js';
import { SiteHealthChecker, type HostLookup } from '../../src/hosting/health-checker.js';
import { isPrivateAddress } from '../../src/lib/private-address.js';
import { aDistribution, aPlatform, aSite } from '../support/domain-builders.js';

let server: Server;
let port: number;
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url?.startsWith('/metadata')) return void res.end('ami-id instance-secret-credentials');
    if (req.url?.startsWith('/redirect')) return void res.writeHead(302, { location: '/metadata/' }).end();
    res.writeHead(500).end('internal-body-text');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const run = async (url: string, o: { allowHosts?: string[]; lookup?: HostLookup; bodyContains?: string } = {}) => {
  const healthCheck: HealthCheckPolicy = { http: { url, retries: 1, timeoutMs: 2000, ...(o.bodyContains ? { bodyContains: o.bodyContains } : {}) } };
  const distribution: Distribution = { ...aDistribution(null), policy: { pollIntervalMinutes: 0, autoTarget: false, rollout: { healthCheck } } };
  const checker = new SiteHealthChecker({
    distributionOf: async () => distribution,
    command: null,
    retryDelayMs: 1,
    ...(o.allowHosts ? { allowHosts: o.allowHosts } : {}),
    ...(o.lookup ? { lookup: o.lookup } : {}),
  });
  const lines: string[] = [];
  let error: Error | null = null;
  try {
    await checker.check(aSite('a.example.org'), aPlatform('p-1'), (m) => lines.push(m));
  } catch (e) {
    error = e as Error;
  }
  return { lines, error };
};

describe('health checks go through the address guard', () => {
  test.each([
    ['the cloud metadata address', 'http://169.254.169.254/latest/meta-data/'],
    ['a hex loopback', `http://0x7f000001:PORT/metadata/`],
    ['a short loopback', `http://127.1:PORT/metadata/`],
    ['an IPv4-mapped loopback', `http://[::ffff:127.0.0.1]:PORT/metadata/`],
    ['an IPv4-compatible loopback', `http://[::7f00:1]:PORT/metadata/`],
    ['a 6to4 loopback', `http://[2002:7f00:1::]:PORT/metadata/`],
    ['the admin port itself', `http://127.0.0.1:PORT/api/distributions`],
    ['localhost by name', `http://localhost:PORT/metadata/`],
  ])('%s is refused without a request, and not retried', async (_what, template) => {
    const before = hits.length;
    const { lines, error } = await run(template.replace('PORT', String(port)));
    expect(error?.message).toMatch(/Health check failed: .*not probed: .* local or private address .*HEALTH_CHECK_ALLOW_HOSTS/);
    expect(lines).toHaveLength(1);
    expect(hits.length).toBe(before);
  });

  test('every address a name resolves to must be public', async () => {
    const lookup: HostLookup = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.1.2.3', family: 4 },
    ];
    const { error } = await run('https://{site}/', { lookup });
    expect(error?.message).toContain('a.example.org is or resolves to a local or private address (10.1.2.3)');
  });

  test('the connection goes to the address that was checked (a second DNS answer cannot swap in another)', async () => {
    const asked: string[] = [];
    // The name resolves to a public (unroutable test) address; were the probe to look the name up again it would
    // reach the local server instead.
    const lookup: HostLookup = async (host) => {
      asked.push(host);
      return [{ address: '192.0.2.10', family: 4 }];
    };
    const before = hits.length;
    const { error } = await run(`http://a.example.org.localhost:${port}/metadata/`, { lookup });
    expect(error).not.toBeNull();
    expect(asked.length).toBeGreaterThan(0);
    expect(hits.length).toBe(before);
  }, 15_000);

  test('HEALTH_CHECK_ALLOW_HOSTS lets the operator probe an internal host; every redirect hop is checked again', async () => {
    const { lines, error } = await run(`http://127.0.0.1:${port}/redirect/`, { allowHosts: ['127.0.0.1'], bodyContains: 'ami-id' });
    expect(error).toBeNull();
    expect(lines).toEqual([`Health check passed: http://127.0.0.1:${port}/redirect/`]);
    const config = loadConfig({ HEALTH_CHECK_ALLOW_HOSTS: 'Intranet.Example, 10.0.0.5,[fd00::1]' });
    expect(config.hosting.healthCheckAllowHosts).toEqual(['intranet.example', '10.0.0.5', 'fd00::1']);
    expect(() => loadConfig({ HEALTH_CHECK_ALLOW_HOSTS: 'http://x/' })).toThrow(/HEALTH_CHECK_ALLOW_HOSTS: `http:\/\/x\/` is not a host name/);
  });

  test('task logs keep the status line, never the body or the internal address of a failed connection', async () => {
    const failed = await run(`http://127.0.0.1:${port}/other/`, { allowHosts: ['127.0.0.1'] });
    const text = [...failed.lines, failed.error?.message].join('\n');
    expect(text).toContain('answered 500, expected 200');
    expect(text).not.toContain('internal-body-text');
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const refused = await run(`http://127.0.0.1:${closedPort}/`, { allowHosts: ['127.0.0.1'] });
    expect(refused.error?.message).toContain('connection failed (ECONNREFUSED)');
    expect(refused.error?.message).not.toContain('connect ECONNREFUSED');
  });
});

describe('the private-address guard', () => {
  test.each([
    '127.0.0.1', '10.0.0.1', '169.254.169.254', '::1', '::', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1',
    '::7f00:1', '::127.0.0.1', '::a9fe:a9fe', '2002:7f00:1::', '2002:a9fe:a9fe::1', '2002:0a00:0001::', '64:ff9b::7f00:1',
    '64:ff9b::808:808', '64:ff9b:1::1', 'fec0::1', 'feff::1', 'fe80::1', 'fd00::1', 'ff02::1',
  ])('%s is local or private', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  test.each(['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8', '2002:808:808::1', '2001:db8::1'])('%s is public', (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });
});
