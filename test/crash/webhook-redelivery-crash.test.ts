/**
 * A GitHub delivery is done only once its work is committed: the real app is SIGKILLed after claiming a delivery
 * and before handling it (crash point `webhook:claimed`), restarted, and GitHub's redelivery of that id is
 * handled — once its claim's lease has run out — exactly once; a later redelivery is acknowledged as a duplicate.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'libsql';
import { POLL_JOB } from '../../src/domain/jobs.js';
import { DELIVERY_LEASE_MS } from '../../src/http/github-webhooks.js';
import { api, bundleApp, startApp, stopApp, untilReady, type AppProcess } from '../support/app-process.js';
import { freePort } from '../support/free-port.js';
import { makeTempDir } from '../support/git-fixtures.js';

const HOOK_SECRET = 'crash-webhook-secret-0123456789';
const REPO = 'acme/portal';

let dir: string;
let bundle: string;
let app: AppProcess | null = null;

const body = JSON.stringify({
  ref: 'refs/heads/main',
  after: 'a'.repeat(40),
  repository: { full_name: REPO, clone_url: `https://git.example.org/${REPO}.git` },
});

/** One delivery of the push; a connection cut by the kill gives status 0. */
const deliver = async (a: AppProcess, delivery: string): Promise<{ status: number; body: unknown }> => {
  try {
    const res = await fetch(`${a.base}/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': delivery,
        'x-hub-signature-256': `sha256=${createHmac('sha256', HOOK_SECRET).update(body).digest('hex')}`,
      },
      body,
    });
    return { status: res.status, body: await res.json() };
  } catch {
    return { status: 0, body: null };
  }
};

const start = async (env: Record<string, string> = {}): Promise<AppProcess> => {
  const a = startApp(bundle, await freePort(), {
    DATA_DIR: join(dir, 'data'),
    GITHUB_WEBHOOK_SECRET: HOOK_SECRET,
    // No worker may run the poll before the test has counted it: polls of this upstream fail anyway (no such host).
    POLL_DEFAULT_INTERVAL_MINUTES: '0',
    ...env,
  });
  await untilReady(a);
  return a;
};

beforeAll(async () => {
  dir = await makeTempDir('distro-webhook-crash-');
  bundle = bundleApp('webhook-crash');
});

afterAll(async () => {
  if (app) await stopApp(app);
  await rm(dir, { recursive: true, force: true });
});

describe('webhook redelivery after a crash between claim and completion', () => {
  test('the delivery is handled by the redelivery, exactly once', async () => {
    app = await start({ DISTRO_TEST_CRASH_AT: 'webhook:claimed' });
    const created = await api(app, 'POST', '/api/distributions', {
      slug: 'portal',
      title: 'Portal',
      upstream: { kind: 'github', owner: 'acme', repo: 'portal', branch: 'main', manifestPath: 'composer.lock' },
      policy: { pollIntervalMinutes: 0, autoTarget: true },
    });
    expect(created.status).toBe(201);

    // Claimed, then killed before the work: no answer, nothing queued. The claim is taken between these two instants.
    const claimSentAt = Date.now();
    expect((await deliver(app, 'delivery-cut')).status).toBe(0);
    expect(await app.exited).toBe('SIGKILL');
    const killedAt = Date.now();

    app = await start();
    // GitHub's redelivery. Whether the dead claim's lease still runs depends on how long the restart took (on a busy
    // machine it can outlive the lease), so both orders are checked, each against the instants that bound the lease:
    // it ends at most DELIVERY_LEASE_MS after the kill and at least DELIVERY_LEASE_MS after the claim was sent.
    const earlySentAt = Date.now();
    const early = await deliver(app, 'delivery-cut');
    let handled = early;
    if (early.status === 409) {
      expect(early).toMatchObject({ status: 409, body: { error: { code: 'in_progress' } } });
      expect(earlySentAt).toBeLessThan(killedAt + DELIVERY_LEASE_MS);
      // Sent once the lease has surely ended (the store compares lease_until > now), it must be handled.
      await new Promise((r) => setTimeout(r, Math.max(0, killedAt + DELIVERY_LEASE_MS - Date.now())));
      handled = await deliver(app, 'delivery-cut');
    }
    const handledAt = Date.now();
    expect(handled).toEqual({ status: 202, body: { queued: ['portal'] } });
    expect(handledAt).toBeGreaterThanOrEqual(claimSentAt + DELIVERY_LEASE_MS);
    expect(await deliver(app, 'delivery-cut')).toEqual({ status: 200, body: { ignored: 'duplicate delivery' } });
    await stopApp(app);
    app = null;

    // Exactly one poll was queued for that delivery, and the delivery is recorded as done.
    const db = new Database(join(dir, 'data', 'distro.db'), { readonly: true });
    try {
      const polls = (db.prepare('SELECT data FROM jobs WHERE name = ?').all(POLL_JOB) as Array<{ data: string }>).map(
        (row) => (JSON.parse(row.data) as { actor?: { delivery?: string } }).actor?.delivery,
      );
      expect(polls.filter((d) => d === 'delivery-cut')).toHaveLength(1);
      expect(db.prepare('SELECT state FROM redeliveries WHERE key = ?').get('github-delivery:delivery-cut')).toMatchObject({ state: 'done' });
    } finally {
      db.close();
    }
  }, 120_000);
});
