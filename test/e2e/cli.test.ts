/**
 * The `distro` CLI (bin/distro → the compiled dist/src/cli/distro.js, as after `npm start`'s build) spawned against
 * the real product: login with a personal token (saved 0600), listings in table/json/csv, state changes audited as
 * the CLI, and the documented exit codes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ADMIN_TOKEN, api } from '../support/http.js';
import { startProduct, type ProductServer } from '../support/product-server.js';
import { adminUsersEnv, PASSWORDS, SessionClient } from '../support/sign-in.js';

const ROOT = join(import.meta.dirname, '..', '..');
let product: ProductServer;
let home: string;
let token: string;

const cli = (args: string[], extraEnv: Record<string, string> = {}, input?: string): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'distro'), ...args], {
      env: { PATH: process.env['PATH'] ?? '', HOME: home, XDG_CONFIG_HOME: join(home, 'config'), ...extraEnv },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });

beforeAll(async () => {
  // What `npm start` does before it runs: the swc build into dist/ (a no-op when nothing changed).
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, encoding: 'utf8' });
  expect(build.status).toBe(0);
  home = await mkdtemp(join(tmpdir(), 'distro-cli-'));
  product = await startProduct({ ADMIN_TOKEN, ADMIN_USERS: await adminUsersEnv() });
  expect((await api(product.url, 'POST', '/api/distributions', { slug: 'social', title: 'Open Social' })).status).toBe(201);
  expect((await api(product.url, 'POST', '/api/platforms', { name: 'social-1', distribution: 'social', ref: 'main', commit: 'abcdef1' })).status).toBe(201);
  const olivia = new SessionClient(product.url);
  await olivia.login('olivia', PASSWORDS.olivia);
  const created = await olivia.submit('/tokens', '/tokens', { name: 'laptop', role: 'operator', expiresInDays: '' });
  token = /<code id="new-token">(dst_[A-Za-z0-9_-]{43})<\/code>/.exec(created.text)![1]!;
}, 120_000);
afterAll(async () => {
  await product.stop();
  await rm(home, { recursive: true, force: true });
});

describe('distro CLI', () => {
  test('without a login it says how to log in (exit 3); usage errors exit 2', async () => {
    const res = await cli(['list']);
    expect(res.code).toBe(3);
    expect(res.stderr).toContain('distro login --url');
    expect((await cli(['frobnicate', '--url', product.url, '--token', token])).code).toBe(2);
    expect((await cli([])).code).toBe(2);
    expect((await cli(['help'])).stdout).toContain('Exit codes');
  });

  test('login checks the token and stores it with mode 0600; a wrong token is exit 3', async () => {
    // One character changed (never to itself: a token ending in A would otherwise stay right).
    const wrong = await cli(['login', '--url', product.url, '--token', `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`]);
    expect(wrong.code).toBe(3);
    // The token may come on stdin, so it is not in the shell history or the process list.
    const res = await cli(['login', '--url', product.url], {}, `${token}\n`);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('as olivia (operator, token "laptop")');
    const file = join(home, 'config', 'distro', 'config.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  test('listings in table, json and csv', async () => {
    const table = await cli(['list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^SLUG\s+TITLE\s+TARGET/m);
    expect(table.stdout).toMatch(/^social\s+Open Social/m);
    const json = await cli(['list', '--format', 'json']);
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ slug: 'social', platforms: 1, sites: 0 })]);
    const csv = await cli(['show', 'social', '--format', 'csv']);
    expect(csv.stdout.split('\n')[0]).toBe('platform,status,target,sites,locked');
    expect(csv.stdout).toContain('social-1,');
    expect((await cli(['rollouts', '--format', 'csv'])).stdout.trim()).toBe('number,state,waves,sites,created,reason');
    expect((await cli(['status', 'social'])).stdout).toMatch(/^social\s+\(none\)\s+0\s+0/m);
    expect((await cli(['list', '--format', 'xml'])).code).toBe(2);
  });

  test('lock and pin change state, audited as the CLI under the user and token', async () => {
    const lock = await cli(['lock', 'social-1', 'security', 'review']);
    expect(lock.code).toBe(0);
    expect(lock.stdout).toBe('Locked social-1.\n');
    expect((await cli(['pin', '--distro', 'social', 'client', 'freeze'])).code).toBe(0);
    expect((await cli(['unpin', '--distro', 'social'])).code).toBe(0);
    const audit = JSON.parse((await cli(['audit', '--format', 'json', '--limit', '10'])).stdout) as Array<Record<string, string>>;
    expect(audit.find((e) => e['action'] === 'platform.lock')).toMatchObject({ actor: 'olivia (token laptop)', source: 'cli', subject: 'social-1' });
    expect((await cli(['lock', 'social-1'])).code).toBe(2);
  });

  test('refusals map to exit codes: not found 4, refused 5, unreachable 6', async () => {
    const missing = await cli(['pause', '999']);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/^distro: /);
    const refused = await cli(['upgrade', '--distro', 'social']);
    expect(refused.code).toBe(5);
    // A site Distro does not know: not found, or refused with the reason.
    const res = await cli(['rollback', 'nowhere.example.org']);
    expect([4, 5]).toContain(res.code);
    const unreachable = await cli(['list', '--url', 'http://127.0.0.1:9']);
    expect(unreachable.code).toBe(6);
  });

  test('import previews a CSV fleet file from standard input, lists each row, and exits 5 when rows are refused; nothing is written', async () => {
    const csv = 'site,platform,server\nalpha.example.org,no-such-platform,\n';
    // Importing is an admin's action: olivia's operator token is refused (exit 3), the admin token goes on.
    expect((await cli(['import', '-', '--kind', 'csv', '--url', product.url, '--token', token], {}, csv)).code).toBe(3);
    const res = await cli(['import', '-', '--kind', 'csv', '--format', 'json', '--url', product.url, '--token', ADMIN_TOKEN], {}, csv);
    expect(res.code).toBe(5);
    const rows = JSON.parse(res.stdout) as { site: string; action: string; reason: string }[];
    expect(rows).toEqual([expect.objectContaining({ site: 'alpha.example.org', action: 'refused', reason: expect.stringContaining('no-such-platform') })]);
    expect(res.stderr).toContain('Preview: 0 to create');
    // Applying the same file writes nothing either: the refused row is refused again.
    const applied = await cli(['import', '-', '--kind', 'csv', '--apply', '--url', product.url, '--token', ADMIN_TOKEN], {}, csv);
    expect(applied.code).toBe(5);
    expect(applied.stderr).toContain('Applied: 0 created');
    const sites = await api(product.url, 'GET', '/api/sites?limit=200', undefined);
    expect(sites.body.items.map((s: { name: string }) => s.name)).not.toContain('alpha.example.org');
    expect((await cli(['import', '--url', product.url, '--token', ADMIN_TOKEN])).code).toBe(2);
  });
});
