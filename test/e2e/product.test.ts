/**
 * The whole product as `npm start` composes it (src/app.ts on the embedded store, local hosting driver):
 * a real git upstream on disk, the admin API over HTTP, signed Slack requests into the real Bolt receiver,
 * the real WebClient posting to the Slack stand-in, and real migrations on disk. One story, start to end:
 * register → poll → build → target → announce → new release → poll → announce → upgrade → Confirm → migrate.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildApp, type DistroApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger, silentLogger } from '../../src/logger.js';
import { addVersion, createOpenSocialRepo, makeTempDir, type GitFixtureRepo } from '../support/git-fixtures.js';
import { blockText, buttonsOf, startSlackStandIn, type LooseJson, type SlackCall, type SlackStandIn } from '../support/slack-stand-in.js';
import { slackRequester, type SlackRequester } from '../support/slack-requests.js';
import { gitDistributionBody } from '../support/http.js';
import { waitFor } from '../support/wait.js';

const SECRET = 'product-signing-secret-0123456789';
const TOKEN = 'product-admin-token-0123456789';
const CHANNEL = 'C0SOCIAL';
const ALICE = { id: 'U0ALICE', name: 'alice' };

describe('Distro end to end (embedded default)', () => {
  let dir: string;
  let repo: GitFixtureRepo;
  let slack: SlackStandIn;
  let app: DistroApp;
  let requests: SlackRequester;
  let responses = 0;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as LooseJson };
  };

  /** Sends `/distro <text>` and returns the reply posted to its response_url. */
  const command = async (text: string): Promise<SlackCall> => {
    const id = `r${++responses}`;
    const res = await requests.command({ text, user: ALICE, channelId: CHANNEL, responseUrl: slack.responseUrl(id) });
    expect(res.status).toBe(200);
    return slack.waitFor((c) => c.responseId === id, `reply to "${text}"`);
  };

  const announcement = (target: string) =>
    slack.waitFor(
      (c) => c.method === 'chat.postMessage' && c.args.channel === CHANNEL && blockText(c.args.blocks).includes(`New upgrade target`) && blockText(c.args.blocks).includes(target),
      `announcement of ${target}`,
      30_000,
    );

  beforeAll(async () => {
    dir = await makeTempDir('distro-product-');
    repo = await createOpenSocialRepo(join(dir, 'upstream'), ['12.3.3']);
    slack = await startSlackStandIn();
    const config = loadConfig({
      PORT: '0',
      ALLOW_LOCAL_UPSTREAMS: 'true',
      DATA_DIR: join(dir, 'data'),
      LOG_LEVEL: 'silent',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: 'xoxb-product-test',
      SLACK_API_URL: slack.apiUrl,
      ADMIN_TOKEN: TOKEN,
      LINK_SECRET: 'product-link-secret-0123456789',
      POST_MIGRATE_COMMANDS: 'test -f settings.php',
    });
    app = await buildApp(config, { logger: process.env.DEBUG_PRODUCT ? createLogger('debug') : silentLogger() });
    await app.start();
    requests = slackRequester(`${app.url}/slack/events`, SECRET);
  });

  afterAll(async () => {
    await app?.stop();
    await slack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('health is reported without auth', async () => {
    const res = await fetch(`${app.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', database: { ok: true }, queue: { ok: true, started: true } });
  });

  test('forged Slack requests are refused and leave no trace', async () => {
    const before = slack.calls.length;
    const res = await requests.command(
      { text: 'list', user: ALICE, channelId: CHANNEL, responseUrl: slack.responseUrl('forged') },
      { signature: 'v0=' + '0'.repeat(64) },
    );
    expect(res.status).toBe(401);
    expect(slack.calls.length).toBe(before);
  });

  test('register → poll → build → target → announce → release → upgrade → Confirm → migrated on disk', async () => {
    const created = await api('POST', '/api/distributions', gitDistributionBody('social', 'Open Social 12', CHANNEL, { url: repo.url, branch: 'main', tagPattern: '12.*' }));
    expect(created.status).toBe(201);

    // First poll: the current release becomes a platform, is built by a real checkout and becomes the target.
    const polled = await command('poll social');
    expect(blockText(polled.args.blocks) + (polled.args.text ?? '')).toMatch(/social/);
    await announcement('social-12.3.3');
    const first = await app.repos.platforms.getByName('social-12.3.3');
    expect(first).toMatchObject({ status: 'ready', source: { ref: '12.3.3', commit: repo.commits['12.3.3'] } });
    expect(first!.manifest.packages.find((p) => p.name === 'goalgorilla/open_social')?.version).toBe('12.3.3');
    expect(existsSync(join(first!.path!, 'composer.lock'))).toBe(true);

    // A site on the target.
    // Accepted at once; a worker job makes the files and enables the site.
    const site = await api('POST', '/api/sites', { name: 'community.example.org', platform: 'social-12.3.3' });
    expect(site.status).toBe(202);
    expect(site.body).toMatchObject({ site: { name: 'community.example.org', status: 'installing' }, task: { type: 'install' } });
    await waitFor(async () => (await api('GET', `/api/tasks/${site.body.task.number}`)).body.state === 'succeeded', 'the install task');
    expect((await api('GET', '/api/sites/community.example.org')).body.status).toBe('enabled');
    const siteDir = join(first!.path!, 'sites', 'community.example.org');
    expect(existsSync(join(siteDir, 'settings.php'))).toBe(true);
    const settingsBefore = readFileSync(join(siteDir, 'settings.php'), 'utf8');

    // Upstream releases 12.4.1: poll finds it, builds it, targets it, locks 12.3.3 and announces with counts.
    await addVersion(repo, '12.4.1');
    await command('poll social');
    const announced = await announcement('social-12.4.1');
    expect(blockText(announced.args.blocks)).toMatch(/1 site/);
    const { counts } = await app.services.compare.compareByName('social-12.3.3', 'social-12.4.1');
    expect(counts.upgrade).toBeGreaterThan(0);
    expect(blockText(announced.args.blocks)).toContain(`${counts.upgrade} upgrades`);
    expect(blockText(announced.args.blocks)).toContain('replacing `social-12.3.3`');
    expect((await app.repos.platforms.getByName('social-12.3.3'))!.status).toBe('locked');
    const locked = await api('POST', '/api/sites', { name: 'late.example.org', platform: 'social-12.3.3' });
    expect(locked.status).toBe(422);

    // "Review upgrades" on the announcement posts the upgrade summary with Confirm.
    const review = buttonsOf(announced.args.blocks).find((b) => b.action_id === 'distro_review_upgrades')!;
    const seen = new Set(slack.calls);
    await requests.blockAction({
      actionId: review.action_id,
      value: review.value!,
      user: ALICE,
      channelId: CHANNEL,
      messageTs: announced.response.ts,
      responseUrl: slack.responseUrl('review'),
    });
    const summary = await slack.waitFor(
      (c) => !seen.has(c) && c.method === 'chat.postMessage' && buttonsOf(c.args.blocks).some((b) => b.action_id === 'distro_plan_confirm'),
      'the upgrade summary',
    );
    const text = blockText(summary.args.blocks);
    expect(text).toContain('community.example.org');
    expect(text).toContain('social-12.3.3');
    const confirm = buttonsOf(summary.args.blocks).find((b) => b.action_id === 'distro_plan_confirm')!;
    expect(buttonsOf(summary.args.blocks).some((b) => b.url?.includes('/compare/') && b.url.includes('sig='))).toBe(true);

    // Confirm twice (double click): one migration, run by the worker on disk.
    const click = (id: string) =>
      requests.blockAction({
        actionId: confirm.action_id,
        value: confirm.value!,
        user: ALICE,
        channelId: CHANNEL,
        messageTs: summary.response.ts,
        responseUrl: slack.responseUrl(id),
      });
    const [a, b] = await Promise.all([click('c1'), click('c2')]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const siteId = (await app.repos.sites.getByName('community.example.org'))!.id;
    await waitFor(async () => (await app.repos.sites.get(siteId))!.platformId !== first!.id, 'the site to move', 60_000);
    // The task is marked succeeded in the write after the move.
    const ended = async () => (await app.repos.tasks.list({ subjectId: siteId })).items.every((t) => !['queued', 'processing'].includes(t.state));
    await waitFor(ended, 'the migration task to end', 60_000);
    const target = (await app.repos.platforms.getByName('social-12.4.1'))!;
    const moved = (await app.repos.sites.get(siteId))!;
    expect(moved).toMatchObject({ platformId: target.id, status: 'enabled' });
    expect(moved.history.map((h) => h.platformId)).toEqual([first!.id, target.id]);
    const tasks = (await app.repos.tasks.list({ subjectId: siteId, type: ['migrate'] })).items;
    expect(tasks).toHaveLength(1);
    expect(tasks[0]!.state).toBe('succeeded');
    expect(tasks[0]!.log.map((l) => l.message).join('\n')).toMatch(/backup/i);

    // The site's files now live on the target platform, unchanged; nothing is left on the old one.
    const newDir = join(target.path!, 'sites', 'community.example.org');
    expect(readFileSync(join(newDir, 'settings.php'), 'utf8')).toBe(settingsBefore);
    expect(existsSync(siteDir)).toBe(false);
    expect(existsSync(join(newDir, '.maintenance'))).toBe(false);

    // The summary message was updated in place to show the finished migration.
    await slack.waitFor(
      (c) => c.method === 'chat.update' && c.args.ts === summary.response.ts && /succeeded/i.test(blockText(c.args.blocks)),
      'the summary updated to succeeded',
      30_000,
    );

    // Status now shows nothing out of date, and the task is listed.
    expect(blockText((await command('status social')).args.blocks)).not.toContain('community.example.org');
    expect(blockText((await command('tasks community.example.org')).args.blocks)).toMatch(/succeeded/i);
  }, 180_000);
});
