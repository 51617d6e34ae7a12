import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Webhooks } from '@octokit/webhooks';
import type { WebhookDefinition } from '@octokit/webhooks-examples';
import express from 'express';
import { rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { Distribution } from '../../src/domain/distribution.js';
import { createGitHubWebhookRouter, GITHUB_WEBHOOK_PATH } from '../../src/http/github-webhooks.js';
import { addBranchCommit, addVersion, createOpenSocialRepo, makeTempDir, type GitFixtureRepo } from '../support/git-fixtures.js';
import { startGitHubStandIn, type GitHubStandIn } from '../support/github-stand-in.js';
import { POLLER, startPollingStack, type PollingStack } from './polling-harness.js';

// The package's entry point is a JSON file: real payloads GitHub sent, contributed to octokit.
const EXAMPLES = createRequire(import.meta.url)('@octokit/webhooks-examples') as WebhookDefinition[];
const SECRET = 'webhook-secret-for-tests';
const OWNER = 'goalgorilla';
const NAME = 'social_template';

type Payload = Record<string, unknown> & { repository: Record<string, unknown> };

/** A real example payload of `event` (first matching `pick`), re-pointed at our repository. */
const example = (event: string, pick: (p: Record<string, unknown>) => boolean, repoUrl: string): Payload => {
  const found = EXAMPLES.find((d) => d.name === event)?.examples.find((e) => pick(e as unknown as Record<string, unknown>));
  if (!found) throw new Error(`No ${event} example matches`);
  const payload = structuredClone(found) as unknown as Payload;
  Object.assign(payload.repository, {
    name: NAME,
    full_name: `${OWNER}/${NAME}`,
    clone_url: repoUrl,
    html_url: `https://github.com/${OWNER}/${NAME}`,
    ssh_url: `git@github.com:${OWNER}/${NAME}.git`,
    git_url: `git://github.com/${OWNER}/${NAME}.git`,
  });
  return payload;
};

describe('GitHub webhooks → queued poll → platform', () => {
  let dir: string;
  let repo: GitFixtureRepo;
  let gh: GitHubStandIn;
  let stack: PollingStack;
  let server: Server;
  let base: string;
  let social: Distribution;
  let delivery = 0;
  const signer = new Webhooks({ secret: SECRET });

  const post = async (event: string, body: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${GITHUB_WEBHOOK_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': `d-${++delivery}`, ...headers },
      body,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const signed = async (event: string, payload: unknown, headers: Record<string, string> = {}) => {
    const body = JSON.stringify(payload);
    return post(event, body, { 'x-hub-signature-256': await signer.sign(body), ...headers });
  };
  const jobCount = async () => (await stack.jobs.list()).length;

  beforeAll(async () => {
    dir = await makeTempDir('distro-webhooks-');
    repo = await createOpenSocialRepo(dir, ['12.3.3']);
    gh = await startGitHubStandIn();
    gh.addRepo(OWNER, NAME, repo.path);
    stack = await startPollingStack({ githubApiUrl: gh.url });
    social = await stack.services.distributions.create({
      slug: 'social',
      title: 'Open Social',
      upstream: { kind: 'git', url: repo.url, tagPattern: '12.*', manifestPath: 'composer.lock' },
      policy: { pollIntervalMinutes: 0, autoTarget: true },
    });
    await stack.services.distributions.create({
      slug: 'social-dev',
      title: 'Open Social (main branch)',
      upstream: { kind: 'github', owner: OWNER, repo: NAME, branch: 'main', manifestPath: 'composer.lock' },
      policy: { pollIntervalMinutes: 0, autoTarget: false },
    });
    // Bookkeeping as after earlier polls, so webhooks below report only what they announce.
    await stack.polls.checkDistribution(social.id, POLLER);
    await stack.idle();

    const app = express();
    app.use(createGitHubWebhookRouter({ secret: SECRET, onEvent: (e) => stack.polls.onUpstreamRef(e), redeliveries: stack.repos.redeliveries }));
    app.use(express.json()); // a global parser after the router must not matter
    server = await new Promise<Server>((r) => {
      const s = app.listen(0, '127.0.0.1', () => r(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await stack.close();
    await gh.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('ping answers pong', async () => {
    const ping = EXAMPLES.find((d) => d.name === 'ping')!.examples[0];
    expect(await signed('ping', ping)).toEqual({ status: 200, body: { message: 'pong', zen: (ping as { zen: string }).zen } });
  });

  test('form-encoded deliveries (payload=…) are verified over the raw body and understood', async () => {
    const body = new URLSearchParams({ payload: JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 }) }).toString();
    const res = await post('ping', body, { 'content-type': 'application/x-www-form-urlencoded', 'x-hub-signature-256': await signer.sign(body) });
    expect(res).toEqual({ status: 200, body: { message: 'pong', zen: 'Keep it logically awesome.' } });
  });

  test('a tag push for a git upstream (matched by clone URL) queues a poll that builds the release', async () => {
    await addVersion(repo, '12.4.1');
    const payload = example('push', (p) => p.deleted === false && String(p.ref).startsWith('refs/tags/'), repo.url);
    payload.ref = 'refs/tags/12.4.1';
    payload.after = repo.commits['12.4.1'];
    const res = await signed('push', payload, { 'x-github-delivery': 'push-tag-1' });
    expect(res).toEqual({ status: 202, body: { queued: ['social'] } });
    await stack.idle();
    const p = (await stack.repos.platforms.getByName('social-12.4.1'))!;
    expect(p).toMatchObject({ status: 'ready', createdBy: { kind: 'webhook', delivery: 'push-tag-1' } });
    expect((await stack.repos.distributions.get(social.id))!.targetPlatformId).toBe(p.id);

    const again = await signed('push', payload, { 'x-github-delivery': 'push-tag-1' });
    expect(again).toEqual({ status: 200, body: { ignored: 'duplicate delivery' } });
  });

  test('one delivery reaching two web processes at once is handled once; a failed handling can be redelivered', async () => {
    // The store's redeliveries, shared by both web processes as by two processes of one install.
    const shared = stack.repos.redeliveries;
    let handled = 0;
    let failNext = false;
    const webProcess = async () => {
      const app = express();
      app.use(
        createGitHubWebhookRouter({
          secret: SECRET,
          redeliveries: shared,
          onEvent: async () => {
            handled++;
            if (failNext) {
              failNext = false;
              throw new Error('queue down');
            }
            return [{ slug: 'social' }];
          },
        }),
      );
      return new Promise<Server>((r) => {
        const s = app.listen(0, '127.0.0.1', () => r(s));
      });
    };
    const servers = await Promise.all([webProcess(), webProcess()]);
    try {
      const payload = example('push', (p) => String(p.ref).startsWith('refs/heads/'), repo.url);
      const body = JSON.stringify(payload);
      const send = (s: Server, id: string) =>
        fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}${GITHUB_WEBHOOK_PATH}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': id, 'x-hub-signature-256': sign },
          body,
        }).then((r) => r.status);
      const sign = await signer.sign(body);
      // One handles it (202); the other finds it done (200) or still being handled (409, which GitHub may redeliver).
      const statuses = (await Promise.all(servers.map((s) => send(s, 'twice-1')))).sort();
      expect(statuses).toContain(202);
      expect([[200, 202], [202, 409]]).toContainEqual(statuses);
      expect(await send(servers[0]!, 'twice-1')).toBe(200);
      expect(handled).toBe(1);
      failNext = true;
      expect(await send(servers[0]!, 'fail-1')).toBe(500);
      expect(await send(servers[1]!, 'fail-1')).toBe(202);
      expect(handled).toBe(3);
    } finally {
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    }
  });

  test('a branch push for a GitHub upstream (matched by owner/repo) polls through the API', async () => {
    const sha = await addBranchCommit(repo, 'Fix on main');
    const payload = example('push', (p) => String(p.ref).startsWith('refs/heads/'), 'https://github.com/elsewhere.git');
    payload.ref = 'refs/heads/main';
    expect(await signed('push', payload)).toEqual({ status: 202, body: { queued: ['social-dev'] } });
    await stack.idle();
    const dev = await stack.services.distributions.get('social-dev');
    const platforms = (await stack.repos.platforms.list({ distributionId: dev.id })).items;
    expect(platforms.map((p) => [p.name, p.status])).toEqual([[`social-dev-${sha.slice(0, 7)}`, 'ready']]);
  });

  test('tag create and release published are handled; other release actions are ignored', async () => {
    await addVersion(repo, '12.4.2');
    const create = example('create', (p) => p.ref_type === 'tag', repo.url);
    create.ref = '12.4.2';
    expect(await signed('create', create)).toEqual({ status: 202, body: { queued: ['social'] } });
    const release = example('release', (p) => p.action === 'published', repo.url);
    (release.release as Record<string, unknown>).tag_name = '12.4.2';
    expect((await signed('release', release)).status).toBe(202);
    await stack.idle();
    expect((await stack.repos.platforms.list({ distributionId: social.id })).items.filter((p) => p.source.ref === '12.4.2')).toHaveLength(1);

    const edited = example('release', (p) => p.action === 'edited', repo.url);
    expect(await signed('release', edited)).toEqual({ status: 200, body: { ignored: 'release edited' } });
  });

  test('an unknown repository is acknowledged and ignored', async () => {
    const before = await jobCount();
    const payload = example('push', (p) => p.deleted === false, 'https://github.com/someone/else.git');
    Object.assign(payload.repository, { full_name: 'someone/else', html_url: 'https://github.com/someone/else', ssh_url: 'git@github.com:someone/else.git' });
    const res = await signed('push', payload);
    expect(res.status).toBe(202);
    expect(res.body.ignored).toMatch(/no distribution tracks someone\/else/);
    expect(await jobCount()).toBe(before);
  });

  test('missing, forged and stale signatures are refused with nothing queued; unparseable JSON is a 400', async () => {
    const before = await jobCount();
    const payload = example('push', (p) => p.deleted === false, repo.url);
    payload.ref = 'refs/tags/12.4.2';
    const body = JSON.stringify(payload);

    expect((await post('push', body)).status).toBe(401);
    const forged = await new Webhooks({ secret: 'not-the-secret' }).sign(body);
    expect((await post('push', body, { 'x-hub-signature-256': forged })).status).toBe(401);
    // Signed for one body, replayed with another (a tampered or stale delivery).
    const stale = await signer.sign(body);
    const tampered = JSON.stringify({ ...payload, ref: 'refs/tags/12.9.9' });
    expect((await post('push', tampered, { 'x-hub-signature-256': stale })).status).toBe(401);
    expect((await post('push', body, { 'x-hub-signature-256': 'sha256=zz' })).status).toBe(401);
    expect(await jobCount()).toBe(before);

    const garbage = '{"ref": ';
    const res = await post('push', garbage, { 'x-hub-signature-256': await signer.sign(garbage) });
    expect(res.status).toBe(400);
    expect(await jobCount()).toBe(before);
  });

  test('a webhook racing two pollers creates one platform', async () => {
    await addVersion(repo, '12.3.2');
    const payload = example('push', (p) => p.deleted === false && String(p.ref).startsWith('refs/tags/'), repo.url);
    payload.ref = 'refs/tags/12.3.2';
    const [res] = await Promise.all([
      signed('push', payload),
      stack.polls.checkDistribution(social.id, POLLER),
      stack.polls.checkDistribution(social.id, POLLER),
    ]);
    expect(res.status).toBe(202);
    await stack.idle();
    const found = (await stack.repos.platforms.list({ distributionId: social.id })).items.filter((p) => p.source.commit === repo.commits['12.3.2']);
    expect(found).toHaveLength(1);
  });

  test('behind a global JSON parser the route refuses instead of trusting a re-serialised body', async () => {
    const app = express();
    app.use(express.json());
    app.use(createGitHubWebhookRouter({ secret: SECRET, onEvent: async () => [], redeliveries: stack.repos.redeliveries }));
    const misplaced = await new Promise<Server>((r) => {
      const s = app.listen(0, '127.0.0.1', () => r(s));
    });
    try {
      const body = JSON.stringify({ zen: 'hi' });
      const res = await fetch(`http://127.0.0.1:${(misplaced.address() as AddressInfo).port}${GITHUB_WEBHOOK_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-hub-signature-256': await signer.sign(body) },
        body,
      });
      expect(res.status).toBe(500);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/before express.json/);
    } finally {
      await new Promise<void>((r) => misplaced.close(() => r()));
    }
  });
});
