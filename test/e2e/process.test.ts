/**
 * The real process: `npm start` builds (only when a source changed) and starts src/main.ts on the embedded
 * default with no environment but a port and a data folder; it answers /healthz, logs JSON when not on a
 * terminal, prints the first-start guide while there is no distribution, drains and exits 0 on SIGTERM, and keeps
 * its data across a restart, which does not rebuild. A bad variable stops it at once with a message naming it.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { logLines, startDistroProcess as start, untilUp, type DistroProcess as Running } from '../support/distro-process.js';
import { freePort } from '../support/free-port.js';
import { makeTempDir } from '../support/git-fixtures.js';
import { waitFor } from '../support/wait.js';

describe('the distro process', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir('distro-process-');
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  test('starts on the embedded default, answers /healthz, drains on SIGTERM, keeps data across restarts', async () => {
    const port = await freePort();
    const env = { PORT: String(port), DATA_DIR: join(dir, 'data') };
    const base = `http://127.0.0.1:${port}`;
    const up = (r: Running) => untilUp(r, base);

    const first = start(env, 'npm start');
    await up(first);
    expect(await (await fetch(`${base}/healthz`)).json()).toMatchObject({ status: 'ok', database: { ok: true }, queue: { started: true } });
    // No admin credentials configured: loopback clients may use the API; a state change says it is same-origin.
    const created = await fetch(`${base}/api/distributions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
      body: JSON.stringify({ slug: 'social', title: 'Open Social 12' }),
    });
    expect(created.status).toBe(201);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const messages = logLines(first).map((l) => l.msg);
    expect(messages).toEqual(expect.arrayContaining(['worker started', 'web started', 'shutting down: draining jobs', 'stopped']));
    expect(logLines(first).find((l) => l.msg === 'development defaults in use; set these for production')).toMatchObject({
      variables: ['SLACK_SIGNING_SECRET', 'LINK_SECRET'],
    });
    // An empty store: the guide, once, with this server's address.
    const guides = (r: Running) => logLines(r).filter((l) => String(l.msg).startsWith('Distro is running, with no distribution yet'));
    expect(guides(first)).toHaveLength(1);
    expect(guides(first)[0]!.msg).toContain(`Admin backend: ${base}`);
    expect(first.stdout.join('')).toMatch(/\[distro\] (built \d+ files|build up to date)/);

    const second = start(env, 'npm start');
    await up(second);
    const list = (await (await fetch(`${base}/api/distributions`)).json()) as { items: Array<{ slug: string }> };
    expect(list.items.map((d) => d.slug)).toEqual(['social']);
    second.child.kill('SIGTERM'); // to npm, which passes it on to the server (`exec` in the start script)
    expect(await second.exited).toBe(0);
    // Nothing changed since the first start: no rebuild; a distribution exists: no guide.
    expect(second.stdout.join('')).toContain('[distro] build up to date');
    expect(second.stdout.join('')).not.toContain('[distro] built');
    expect(logLines(second).map((l) => l.msg)).toContain('stopped');
    expect(guides(second)).toEqual([]);
  }, 120_000);

  test('LOG_FORMAT=pretty logs readable lines instead of JSON', async () => {
    const port = await freePort();
    const r = start({ PORT: String(port), DATA_DIR: join(dir, 'pretty'), LOG_FORMAT: 'pretty' });
    await waitFor(() => r.stdout.join('').includes('This note is shown') || r.child.exitCode !== null, 'the guide', 60_000);
    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
    const out = r.stdout.join('');
    expect(out).toMatch(/INFO.*: web started/);
    expect(out).toContain('Distro is running, with no distribution yet. Next steps:\n  1. Admin backend:');
    expect(logLines(r)).toEqual([]);
  }, 60_000);

  test('a bad variable stops the process at once, naming it', async () => {
    const r = start({ PORT: 'eighty', DATA_DIR: join(dir, 'bad') });
    expect(await r.exited).toBe(78);
    expect(r.stderr.join('')).toMatch(/Invalid configuration:\n\s+- PORT/);
  }, 60_000);

  test('production without secrets refuses to start', async () => {
    const r = start({ NODE_ENV: 'production', DATA_DIR: join(dir, 'prod') });
    expect(await r.exited).toBe(78);
    const err = r.stderr.join('');
    for (const name of ['SLACK_SIGNING_SECRET', 'LINK_SECRET', 'ADMIN_TOKEN']) expect(err).toContain(name);
  }, 60_000);
});
