/**
 * Rollouts through every surface, on the product as `npm start` composes it (embedded store, SQLite queue, local
 * driver migrating real site directories), with a real git upstream, signed Slack requests into the real Bolt
 * receiver, the real WebClient against the Slack stand-in, and the health check probing a real HTTP server here.
 *
 * Story: 5 sites, canary 1 then batches of 2 (3 waves). The canary's health check fails: the canary is rolled back
 * byte-identical, the rollout pauses and says so in the summary's thread and the channel, and nothing else is
 * touched. After the fix, Resume (a Slack button, confirmers only) finishes all three waves, each site migrated once.
 * Then a maintenance window (strictly validated: a bad one is a 400 naming the field) defers the next rollout until
 * the injected clock reaches it; the API and the admin page show and change rollouts.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { buildApp, type DistroApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Rollout } from '../../src/domain/rollout.js';
import { silentLogger } from '../../src/logger.js';
import { readTree } from '../support/file-tree.js';
import { addVersion, createOpenSocialRepo, makeTempDir, type GitFixtureRepo } from '../support/git-fixtures.js';
import { slackRequester, type SlackRequester } from '../support/slack-requests.js';
import { blockText, buttonsOf, startSlackStandIn, type LooseJson, type SlackCall, type SlackStandIn } from '../support/slack-stand-in.js';
import { waitFor } from '../support/wait.js';

const SECRET = 'rollout-signing-secret-0123456789';
const TOKEN = 'rollout-admin-token-0123456789';
const CHANNEL = 'C0SOCIAL';
const ALICE = { id: 'U0ALICE', name: 'alice' };
const MALLORY = { id: 'U0MALLORY', name: 'mallory' };
const SITES = ['a.example.org', 'b.example.org', 'c.example.org', 'd.example.org', 'e.example.org'];

describe('rollouts end to end (Slack, API, pages)', () => {
  let dir: string;
  let repo: GitFixtureRepo;
  let slack: SlackStandIn;
  let app: DistroApp;
  let requests: SlackRequester;
  let probes: Server;
  let probeBase: string;
  const broken = new Set<string>();
  let responses = 0;
  /** The injected clock of rollouts (maintenance windows); real time until a test sets it. */
  let fakeNow: Date | null = null;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text) as LooseJson };
  };
  const command = async (text: string, user = ALICE): Promise<SlackCall> => {
    const id = `r${++responses}`;
    expect((await requests.command({ text, user, channelId: CHANNEL, responseUrl: slack.responseUrl(id) })).status).toBe(200);
    return slack.waitFor((c) => c.responseId === id, `reply to "${text}"`, 30_000);
  };
  const click = async (actionId: string, value: string, at: string, user = ALICE): Promise<SlackCall> => {
    const id = `r${++responses}`;
    const res = await requests.blockAction({ actionId, value, user, channelId: CHANNEL, messageTs: at, responseUrl: slack.responseUrl(id) });
    expect(res.status).toBe(200);
    return slack.waitFor((c) => c.responseId === id, `reply to ${actionId}`, 30_000);
  };
  /** Posts an upgrade summary with `/distro upgrade …` and returns the posted message. */
  const summary = async (text: string): Promise<SlackCall> => {
    const seen = new Set(slack.calls);
    const id = `r${++responses}`;
    await requests.command({ text, user: ALICE, channelId: CHANNEL, responseUrl: slack.responseUrl(id) });
    return slack.waitFor((c) => !seen.has(c) && c.method === 'chat.postMessage' && !c.args.thread_ts && buttonsOf(c.args.blocks).some((b) => b.action_id === 'distro_plan_confirm'), 'an upgrade summary', 30_000);
  };
  const platform = async (name: string) => (await app.repos.platforms.getByName(name))!;
  const siteOn = async (site: string) => (await app.repos.sites.getByName(site))!.platformId;
  const rolloutOf = async (n: number): Promise<Rollout> => (await app.repos.rollouts.getByNumber(n))!;
  const siteTasks = async (site: string) => (await app.repos.tasks.list({ subjectId: (await app.repos.sites.getByName(site))!.id, type: ['migrate'] })).items;
  const platformReady = (name: string) =>
    waitFor(async () => (await app.repos.platforms.getByName(name))?.status === 'ready' || (await app.repos.platforms.getByName(name))?.status === 'locked', `${name} to be built`, 120_000);
  const targetIs = (name: string) =>
    waitFor(async () => (await app.repos.distributions.getBySlug('social'))?.targetPlatformId === (await app.repos.platforms.getByName(name))?.id, `${name} to be the target`, 120_000);

  beforeAll(async () => {
    probes = createServer((req, res) => {
      const site = (req.url ?? '/').split('/')[1] ?? '';
      if (broken.has(site)) return void res.writeHead(500).end('The website encountered an unexpected error.');
      res.end('<html><body>Welcome to Open Social</body></html>');
    });
    await new Promise<void>((resolve) => probes.listen(0, '127.0.0.1', resolve));
    probeBase = `http://127.0.0.1:${(probes.address() as AddressInfo).port}`;
    dir = await makeTempDir('distro-rollouts-');
    repo = await createOpenSocialRepo(join(dir, 'upstream'), ['12.3.2']);
    slack = await startSlackStandIn();
    const config = loadConfig({
      PORT: '0',
      ALLOW_LOCAL_UPSTREAMS: 'true',
      HEALTH_CHECK_ALLOW_HOSTS: '127.0.0.1',
      DATA_DIR: join(dir, 'data'),
      LOG_LEVEL: 'silent',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: 'xoxb-rollout-test',
      SLACK_API_URL: slack.apiUrl,
      SLACK_CONFIRMERS: ALICE.id,
      ADMIN_TOKEN: TOKEN,
      LINK_SECRET: 'rollout-link-secret-0123456789',
      JOB_MAX_ATTEMPTS: '1',
    });
    app = await buildApp(config, { logger: silentLogger(), clock: { now: () => fakeNow ?? new Date() } });
    await app.start();
    requests = slackRequester(`${app.url}/slack/events`, SECRET);

    const created = await api('POST', '/api/distributions', {
      slug: 'social',
      title: 'Open Social 12',
      channel: CHANNEL,
      upstream: { kind: 'git', url: repo.url, tagPattern: '12.*', manifestPath: 'composer.lock' },
      policy: {
        pollIntervalMinutes: 0,
        autoTarget: true,
        rollout: { waves: { canaries: 1, batchSize: 2 }, healthCheck: { http: { url: `${probeBase}/{site}/`, bodyContains: 'Welcome', retries: 0, timeoutMs: 5000 } } },
      },
    });
    expect(created.status).toBe(201);
    await api('POST', '/api/distributions/social/poll');
    await platformReady('social-12.3.2');
    for (const name of SITES) expect((await api('POST', '/api/sites', { name, platform: 'social-12.3.2' })).status).toBe(202);
    await waitFor(async () => (await Promise.all(SITES.map((s) => app.repos.sites.getByName(s)))).every((s) => s?.status === 'enabled'), 'the sites to be installed', 60_000);
    await addVersion(repo, '12.3.3');
    await api('POST', '/api/distributions/social/poll');
    await targetIs('social-12.3.3');
  }, 240_000);

  afterAll(async () => {
    await app?.stop();
    await slack?.close();
    probes?.closeAllConnections();
    probes?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('a failing canary pauses the rollout (rolled back, nothing else touched); Resume after the fix finishes 3 waves', async () => {
    const old = await platform('social-12.3.2');
    const target = await platform('social-12.3.3');
    const before = Object.fromEntries(await Promise.all(SITES.map(async (s) => [s, await readTree(join(old.path!, 'sites', s))] as const)));
    broken.add('a.example.org');

    const posted = await summary('upgrade --platform social-12.3.2');
    const ts = String(posted.response.ts);
    const confirm = buttonsOf(posted.args.blocks).find((b) => b.action_id === 'distro_plan_confirm')!;
    const confirmed = await click(confirm.action_id, confirm.value!, ts);
    expect(blockText(confirmed.args.blocks)).toMatch(/1 migration scheduled in wave 1 of 3 of rollout 1/);

    await waitFor(async () => (await rolloutOf(1))?.state === 'paused', 'the rollout to pause', 60_000);
    const paused = await rolloutOf(1);
    expect(paused.pausedBy).toEqual({ kind: 'system' });
    expect(paused.reason).toContain('Wave 1 (canary): 1 of 1 site failed');
    expect(paused.reason).toContain('answered 500, expected 200');
    // The canary was rolled back, byte-identical, and is enabled on its old platform; nothing else was touched.
    const [canaryTask] = await siteTasks('a.example.org');
    expect(canaryTask).toMatchObject({ state: 'failed' });
    expect(canaryTask!.log.map((l) => l.message).join('\n')).toContain('Rolled back: a.example.org is on social-12.3.2 as before');
    expect(await siteOn('a.example.org')).toBe(old.id);
    expect((await app.repos.sites.getByName('a.example.org'))!.status).toBe('enabled');
    expect(await readTree(join(old.path!, 'sites', 'a.example.org'))).toEqual(before['a.example.org']);
    for (const s of SITES.slice(1)) {
      expect(await siteTasks(s)).toEqual([]);
      expect(await siteOn(s)).toBe(old.id);
    }
    // Said once in the summary's thread, also sent to the channel (reply_broadcast).
    const notice = await slack.waitFor((c) => c.method === 'chat.postMessage' && c.args.thread_ts === ts && blockText(c.args.blocks).includes('Rollout 1 paused'), 'the paused notice', 30_000);
    expect(String(notice.args.reply_broadcast)).toBe('true');
    expect(notice.args.channel).toBe(CHANNEL);
    expect(blockText(notice.args.blocks)).toContain('/distro resume 1');
    // The summary shows the paused rollout with Resume and Cancel.
    const update = await slack.waitFor(
      (c) => c.method === 'chat.update' && c.args.ts === ts && blockText(c.args.blocks).includes('*Rollout 1* · paused'),
      'the summary showing the pause',
      30_000,
    );
    const buttons = buttonsOf(update.args.blocks).filter((b) => !b.url);
    expect(buttons.map((b) => b.action_id)).toEqual(['distro_rollout_resume', 'distro_rollout_cancel']);
    const resume = buttons[0]!;

    // Only confirmers may resume; the rollout stays paused.
    const refused = await click(resume.action_id, resume.value!, ts, MALLORY);
    expect(blockText(refused.args.blocks)).toMatch(/not allowed|only|may/i);
    expect((await rolloutOf(1)).state).toBe('paused');

    // Fixed: Resume tries the canary again, then the two other waves run, one after the other.
    broken.clear();
    expect(blockText((await click(resume.action_id, resume.value!, ts)).args.blocks)).toContain('*Rollout 1* · running');
    await waitFor(async () => (await rolloutOf(1))?.state === 'done', 'the rollout to finish', 120_000);
    const done = await rolloutOf(1);
    expect(done.resumedBy).toMatchObject({ kind: 'user', id: ALICE.id });
    expect(done.waves.map((w) => w.state)).toEqual(['done', 'done', 'done']);
    for (const s of SITES) {
      expect(await siteOn(s)).toBe(target.id);
      const tasks = await siteTasks(s);
      // Each site migrated exactly once; the canary's first try failed and was rolled back.
      expect(tasks.filter((t) => t.state === 'succeeded')).toHaveLength(1);
      expect(tasks).toHaveLength(s === 'a.example.org' ? 2 : 1);
    }
    // Waves ran in order: every task of a wave started after the previous wave's last one finished.
    const waveTimes = await Promise.all(
      done.waves.map(async (w) => {
        const tasks = await app.repos.tasks.getMany(w.sites.map((s) => s.taskId!));
        return { first: Math.min(...tasks.map((t) => t.startedAt!.getTime())), last: Math.max(...tasks.map((t) => t.finishedAt!.getTime())) };
      }),
    );
    expect(waveTimes[1]!.first).toBeGreaterThanOrEqual(waveTimes[0]!.last);
    expect(waveTimes[2]!.first).toBeGreaterThanOrEqual(waveTimes[1]!.last);
    await slack.waitFor((c) => c.method === 'chat.update' && c.args.ts === ts && blockText(c.args.blocks).includes('*Rollout 1* · done'), 'the summary showing done', 30_000);

    // API: the rollout with its waves and tasks; a resume of a finished rollout is a 409 naming its state.
    const detail = await api('GET', '/api/rollouts/1');
    expect(detail.status).toBe(200);
    expect(detail.body.waves.map((w: LooseJson) => w.sites.map((s: LooseJson) => s.siteName))).toEqual([['a.example.org'], ['b.example.org', 'c.example.org'], ['d.example.org', 'e.example.org']]);
    expect(detail.body.waves[0].sites[0].task.state).toBe('succeeded');
    const again = await api('POST', '/api/rollouts/1/resume');
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain('Rollout 1 is done');
    expect((await api('GET', '/api/rollouts?state=done')).body.items.map((r: LooseJson) => r.number)).toEqual([1]);
    // Progress counts sites by their latest attempt: the canary failed once, then succeeded — 5 of 5, none failed,
    // the same in the API and on the upgrade page; the finished upgrade has left the dashboard's "in progress".
    const plan = await api('GET', `/api/upgrades/${done.planId}`);
    expect(plan.body.progress).toEqual({ succeeded: 5, failed: 0, running: 0, waiting: 0 });
    const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
    const upgradePage = await (await fetch(`${app.url}/upgrades/${done.planId}`, auth)).text();
    expect(upgradePage).toContain('5 succeeded');
    expect(upgradePage).not.toMatch(/[1-9]\d* failed/);
    expect(await (await fetch(`${app.url}/`, auth)).text()).not.toContain('Upgrades in progress');
    // The rollout page lists what happened in time order.
    const rolloutPage = await (await fetch(`${app.url}/rollouts/1`, auth)).text();
    const events = [...(/<ol id="rollout-events">([\s\S]*?)<\/ol>/.exec(rolloutPage)?.[1] ?? '').matchAll(/<li>([^<]*?) UTC: /g)].map((m) => m[1]!);
    expect(events.length).toBeGreaterThanOrEqual(8);
    expect([...events].sort()).toEqual(events);
    expect((await api('GET', '/api/rollouts?state=sideways')).status).toBe(400);
    expect((await api('GET', '/api/rollouts/99')).status).toBe(404);
  }, 240_000);

  test('a maintenance window defers the next rollout until it opens; pause and cancel from Slack, the API and the page', async () => {
    // Strict validation: a bad window is a 400 naming the field, and nothing changes.
    const bad = await api('PATCH', '/api/distributions/social', { policy: { rollout: { windows: ['Mon 01:00-02:00 Europe/Amsterdam', 'Someday 25:00-26:00 UTC'] } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues).toEqual(['policy.rollout.windows.1: "Someday" is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun) or a range like Mon-Fri']);
    const unknown = await api('PATCH', '/api/distributions/social', { policy: { paused: true } });
    expect(unknown.status).toBe(400);
    const security = await api('PATCH', '/api/distributions/social', { policy: { security: { skipWindows: 'yes' } } });
    expect(security.status).toBe(400);
    expect(security.body.error.issues).toEqual(['policy.security.skipWindows: true or false']);
    const ok = await api('PATCH', '/api/distributions/social', { policy: { rollout: { windows: ['Mon 01:00-02:00 Europe/Amsterdam'] } } });
    expect(ok.status).toBe(200);

    fakeNow = new Date('2026-03-29T12:00:00Z'); // Sunday; Amsterdam is on summer time from this night
    await addVersion(repo, '12.4.2');
    await api('POST', '/api/distributions/social/poll');
    await targetIs('social-12.4.2');
    const from = await platform('social-12.3.3');
    const posted = await summary('upgrade --platform social-12.3.3');
    const ts = String(posted.response.ts);
    const confirm = buttonsOf(posted.args.blocks).find((b) => b.action_id === 'distro_plan_confirm')!;
    const reply = await click(confirm.action_id, confirm.value!, ts);
    expect(blockText(reply.args.blocks)).toContain('Rollout 2 waits for a maintenance window.');
    const waiting = await rolloutOf(2);
    expect(waiting).toMatchObject({ state: 'running', waitingUntil: new Date('2026-03-29T23:00:00Z') });
    await slack.waitFor((c) => c.method === 'chat.update' && c.args.ts === ts && blockText(c.args.blocks).includes('Waiting for a maintenance window; continues'), 'the summary saying when', 30_000);
    for (const s of SITES) expect(await siteOn(s)).toBe(from.id);
    expect((await app.repos.tasks.list({ planId: waiting.planId })).total).toBe(0);

    // The admin page says when it continues and offers Pause / Cancel.
    const page = await fetch(`${app.url}/rollouts/2`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const html = await page.text();
    expect(page.status).toBe(200);
    // Informational, not an alert: the time in the window's zone and in UTC.
    expect(html).toContain(
      '<div class="wait-note" id="rollout-waiting" role="status">Waiting for a maintenance window (Mon 01:00-02:00 Europe/Amsterdam); continues Mon 01:00 Europe/Amsterdam (Sun 23:00 UTC, 2026-03-29T23:00:00.000Z).</div>',
    );
    expect(html).not.toContain('class="alert"');
    // It updates itself in place like the upgrade page.
    expect(html).toContain('data-refresh="10"');
    expect(html).toContain('id="rollout-live" data-live');
    expect(html).toContain('action="/rollouts/2/pause"');
    expect(html).toContain('Wave 1');
    expect((await fetch(`${app.url}/rollouts`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    // The upgrade's page leads to its rollout's controls.
    const upgradePage = await (await fetch(`${app.url}/upgrades/${waiting.planId}`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(upgradePage).toContain('Moved by <a href="/rollouts/2">rollout 2</a>');

    // Pause from Slack, resume from the page (a same-origin form post), as the people who did it.
    expect(blockText((await command('pause 2')).args.blocks)).toContain('*Rollout 2* · paused');
    expect((await rolloutOf(2)).pausedBy).toMatchObject({ kind: 'user', id: ALICE.id, via: 'slack' });
    expect(blockText((await command('pause 2', MALLORY)).args.blocks)).not.toContain('*Rollout 2*');
    const form = await fetch(`${app.url}/rollouts/2/resume`, { method: 'POST', redirect: 'manual', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(form.status).toBe(303);
    expect(form.headers.get('location')).toMatch(/^\/rollouts\/2\?note=/);
    const resumedPage = await (await fetch(`${app.url}${form.headers.get('location')}`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(resumedPage).toContain('<p class="ok-note" id="result-note" role="status">Rollout 2 resumed.</p>');
    expect(await rolloutOf(2)).toMatchObject({ state: 'running', resumedBy: { via: 'page' } });

    // A policy change takes effect at once: widening the window to contain the present starts the waiting wave
    // within seconds (no pause + resume), and the rollout says what changed.
    const widened = Date.now();
    expect((await api('PATCH', '/api/distributions/social', { policy: { rollout: { windows: ['Sun 11:00-13:00 UTC'] } } })).status).toBe(200);
    await waitFor(async () => (await app.repos.tasks.list({ planId: waiting.planId })).total > 0, 'the wave to start after the window changed', 30_000);
    const startedAfterMs = Date.now() - widened;
    expect(startedAfterMs).toBeLessThan(10_000);
    const noted = await rolloutOf(2);
    expect(noted.notes?.at(-1)?.text).toContain('windows ["Mon 01:00-02:00 Europe/Amsterdam"] → ["Sun 11:00-13:00 UTC"]');
    const notedPage = await (await fetch(`${app.url}/rollouts/2`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(notedPage).toContain('Policy changed by');
    await waitFor(async () => (await rolloutOf(2)).state === 'done', 'the deferred rollout to finish', 120_000);
    const target = await platform('social-12.4.2');
    for (const s of SITES) expect(await siteOn(s)).toBe(target.id);
    const started = (await app.repos.tasks.list({ planId: waiting.planId })).items;
    expect(started).toHaveLength(SITES.length);

    // Cancel through the API on a finished rollout is refused with its state.
    const cancel = await api('POST', '/api/rollouts/2/cancel');
    expect(cancel.status).toBe(409);
    expect(cancel.body.error.message).toContain('Rollout 2 is done; it can be cancelled only when scheduled or running or paused.');
    expect(blockText((await command('rollouts')).args.blocks)).toContain('*Rollout 2* · done');
  }, 240_000);
});
