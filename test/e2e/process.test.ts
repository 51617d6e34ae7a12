/**
 * The real process (src/main.ts): starts on the embedded default with no environment but a port and a data
 * folder, answers /healthz, logs JSON, drains and exits 0 on SIGTERM, and keeps its data across a restart.
 * A bad variable stops it at once with a message naming the variable.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '../support/git-fixtures.js';
import { freePort, logLines, startProcess as start, untilUp, type Running } from '../support/process.js';

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

    const first = start(env);
    await up(first);
    expect(await (await fetch(`${base}/healthz`)).json()).toMatchObject({ status: 'ok', database: { ok: true }, queue: { started: true } });
    // No admin credentials configured: loopback clients may use the API.
    const created = await fetch(`${base}/api/distributions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
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

    const second = start(env);
    await up(second);
    const list = (await (await fetch(`${base}/api/distributions`)).json()) as { items: Array<{ slug: string }> };
    expect(list.items.map((d) => d.slug)).toEqual(['social']);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 120_000);

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
