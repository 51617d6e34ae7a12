/**
 * Attacks on POST /webhooks/github of the product as `npm start` builds it: unsigned and oversized bodies must be
 * refused without being read (bounded memory), replays must have no second effect, and every answer is JSON.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHmac } from 'node:crypto';
import type { Distribution } from '../../src/domain/distribution.js';
import { GITHUB_WEBHOOK_PATH, WEBHOOK_BODY_LIMIT_BYTES } from '../../src/http/github-webhooks.js';
import { createPortalDistribution, startProduct, type ProductServer } from '../support/product-server.js';
import { rawRequest, streamingPost } from '../support/raw-http.js';
import { waitFor } from '../support/wait.js';

const HOOK_SECRET = 'security-webhook-secret-0123456789';
const MB = 1024 * 1024;
/** Well formed, but not the signature of anything sent. */
const FAKE_SIGNATURE = `sha256=${'0'.repeat(64)}`;

const sign = (body: string): string => `sha256=${createHmac('sha256', HOOK_SECRET).update(body).digest('hex')}`;

describe('GitHub webhook surface under attack', () => {
  let product: ProductServer;
  let hookUrl: string;
  let dist: Distribution;

  const pushTo = (branch: string) => JSON.stringify({ ref: `refs/heads/${branch}`, after: 'a'.repeat(40), repository: { full_name: 'acme/portal' } });
  const deliver = (body: string, delivery: string, headers: Record<string, string> = {}) =>
    rawRequest(hookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': delivery, 'x-hub-signature-256': sign(body), ...headers },
      body,
    });
  const stillServing = async () => {
    const health = await rawRequest(`${product.url}/healthz`);
    expect(health.status).toBe(200);
    const ping = JSON.stringify({ zen: 'still here' });
    const pong = await rawRequest(hookUrl, { method: 'POST', headers: { 'x-github-event': 'ping', 'x-hub-signature-256': sign(ping) }, body: ping });
    expect([pong.status, pong.json()]).toEqual([200, { message: 'pong', zen: 'still here' }]);
  };

  beforeAll(async () => {
    product = await startProduct({ GITHUB_WEBHOOK_SECRET: HOOK_SECRET, ADMIN_TOKEN: 'security-admin-token-0123456789' });
    hookUrl = `${product.url}${GITHUB_WEBHOOK_PATH}`;
    dist = await createPortalDistribution(product);
  });
  afterAll(() => product.stop());

  test('an unsigned 24 MB body is answered 401 JSON before the client has finished sending it', async () => {
    const total = 24 * MB;
    const { response, sentAtResponse } = await streamingPost(hookUrl, { 'content-type': 'application/json', 'x-github-event': 'push' }, total);
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json()).toEqual({ error: { code: 'missing_signature', message: expect.stringMatching(/X-Hub-Signature-256/) } });
    // The answer came while most of the body was still unsent (at most what socket buffers hold was sent).
    expect(sentAtResponse).toBeLessThan(total / 2);
    expect(await product.pollJobs()).toHaveLength(0);
    await stillServing();
  });

  test('memory stays bounded over concurrent unsigned and falsely signed 24 MB posts', async () => {
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    const answers: Array<[number, string]> = [];
    try {
      // Two rounds of 6 concurrent posts: 288 MB offered in all; an unguarded route would buffer every byte of each.
      for (let round = 0; round < 2; round++) {
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            streamingPost(hookUrl, { 'content-type': 'application/json', ...(i % 2 ? { 'x-hub-signature-256': FAKE_SIGNATURE } : {}) }, 24 * MB),
          ),
        );
        answers.push(...results.map((r): [number, string] => [r.response.status, (r.response.json() as { error?: { code?: string } }).error?.code ?? '']));
      }
    } finally {
      clearInterval(sampler);
    }
    // Unsigned posts are never read; falsely signed ones are held only within the shared 64 MB budget.
    if (process.env.SECURITY_FIGURES) console.log(`webhook attack: RSS grew ${Math.round((peak - before) / MB)} MB`);
    expect((peak - before) / MB).toBeLessThan(160);
    answers.forEach(([status, code], i) => {
      // Unsigned: 401 unread. Falsely signed: read within the budget (then 401), or refused 503 when it is full.
      if (i % 2 === 0) expect([status, code]).toEqual([401, 'missing_signature']);
      else expect([[401, 'bad_signature'], [503, 'busy']]).toContainEqual([status, code]);
    });
    expect(await product.pollJobs()).toHaveLength(0);
    await stillServing();
  });

  test('a body over 25 MB is a 413 JSON naming the limit: at once when declared, after 25 MB when chunked', async () => {
    const headers = { 'content-type': 'application/json', 'x-hub-signature-256': FAKE_SIGNATURE };
    const declared = await streamingPost(hookUrl, headers, 30 * MB);
    expect(declared.response.status).toBe(413);
    expect(declared.response.json()).toEqual({ error: { code: 'payload_too_large', message: expect.stringContaining(String(WEBHOOK_BODY_LIMIT_BYTES)) } });
    expect(declared.sentAtResponse).toBeLessThan(15 * MB);

    const chunked = await streamingPost(hookUrl, headers, 40 * MB, { contentLength: false });
    expect(chunked.response.status).toBe(413);
    expect(chunked.response.json().error.code).toBe('payload_too_large');
    expect(chunked.sentAtResponse).toBeLessThan(40 * MB);
    await stillServing();
  });

  test('a replayed delivery id is acknowledged and has no second effect, even when both copies arrive together', async () => {
    const body = pushTo('main');
    const first = await deliver(body, 'delivery-1');
    expect([first.status, first.json()]).toEqual([202, { queued: ['portal'] }]);
    expect(await product.pollJobs(dist.id)).toHaveLength(1);
    // Wait for the poll to end (the stand-in knows no such repository), so a second poll could not merge into it.
    await waitFor(async () => (await product.pollJobs(dist.id)).every((j) => j.state === 'done' || j.state === 'failed'), 'the first poll to end');

    const replay = await deliver(body, 'delivery-1');
    expect([replay.status, replay.json()]).toEqual([200, { ignored: 'duplicate delivery' }]);

    const [a, b] = await Promise.all([deliver(body, 'delivery-2'), deliver(body, 'delivery-2')]);
    // One handles it; the other finds it handled (200) or still being handled (409: not acknowledged, as it is not done yet).
    expect([[200, 202], [202, 409]]).toContainEqual([a.status, b.status].sort());
    await waitFor(async () => (await product.pollJobs(dist.id)).every((j) => j.state === 'done' || j.state === 'failed'), 'the second poll to end');
    const replay2 = await deliver(body, 'delivery-2');
    expect(replay2.status).toBe(200);
    // One poll per distinct delivery: delivery-1 and delivery-2.
    expect((await product.pollJobs(dist.id)).map((j) => (j.data as { actor: { delivery: string } }).actor.delivery)).toEqual(['delivery-1', 'delivery-2']);
  });

  test('every error is JSON: wrong signature, bad JSON, unknown method, malformed path', async () => {
    const body = pushTo('main');
    const forged = await deliver(body, 'delivery-x', { 'x-hub-signature-256': FAKE_SIGNATURE });
    expect([forged.status, forged.json().error.code]).toEqual([401, 'bad_signature']);
    const garbage = '{"ref": ';
    const bad = await deliver(garbage, 'delivery-y');
    expect([bad.status, bad.json().error.code]).toEqual([400, 'validation']);
    for (const [method, path] of [
      ['GET', GITHUB_WEBHOOK_PATH],
      ['PUT', GITHUB_WEBHOOK_PATH],
      ['GET', `${GITHUB_WEBHOOK_PATH}/%E0%A4%A`],
      ['POST', '/webhooks/gitlab'],
    ] as const) {
      const res = await rawRequest(`${product.url}${path}`, { method });
      expect([method, path, res.headers['content-type']]).toEqual([method, path, expect.stringMatching(/^application\/json/)]);
      expect(res.json().error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
    }
    expect((await product.pollJobs(dist.id)).map((j) => (j.data as { actor: { delivery: string } }).actor.delivery)).not.toContain('delivery-x');
  });
});
