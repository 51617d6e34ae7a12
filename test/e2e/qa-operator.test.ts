/**
 * The whole app (src/app.ts, embedded store, local driver, real git upstream) used the way operators and real
 * infrastructure misuse it: hostile names over HTTP, webhooks for refs nobody tracks, an unreachable upstream,
 * a platform deleted under a queued migration, and SIGTERM in the middle of a migration. Each has one outcome.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildApp, type DistroApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { SqliteJobQueue } from '../../src/jobs/sqlite-queue.js';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger.js';
import { POLL_JOB } from '../../src/domain/jobs.js';
import { runGit } from '../../src/upstream/git-exec.js';
import { addVersion, createOpenSocialRepo, makeTempDir, type GitFixtureRepo } from '../support/git-fixtures.js';
import { api as apiCall, gitDistributionBody, type JsonResponse } from '../support/http.js';
import { slackRequester, type SlackRequester } from '../support/slack-requests.js';
import { blockText, startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in.js';
import { waitFor } from '../support/wait.js';

const SECRET = 'qa-signing-secret-0123456789';
const TOKEN = 'qa-admin-token-0123456789';
const HOOK_SECRET = 'qa-webhook-secret-0123456789';
const CHANNEL = 'C0QA';
const ALICE = { id: 'U0ALICE', name: 'alice' };

let dir: string;
let repo: GitFixtureRepo;
let slack: SlackStandIn;
let app: DistroApp;
let requests: SlackRequester;
let config: Config;
let responses = 0;
/** Error lines the app logged (JSON), to check that every failure reaches the server log. */
const logged: Record<string, unknown>[] = [];
const errorLog = createLogger('error', 'distro', undefined, new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) logged.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
}));

const auth = { authorization: `Bearer ${TOKEN}` };
const api = (method: string, path: string, body?: unknown): Promise<JsonResponse> => apiCall(app.url!, method, path, body, auth);

const command = async (text: string): Promise<string> => {
  const id = `qa${++responses}`;
  await requests.command({ text, user: ALICE, channelId: CHANNEL, responseUrl: slack.responseUrl(id) });
  return blockText((await slack.waitFor((c) => c.responseId === id, `reply to "${text}"`)).args.blocks);
};

const platform = async (name: string) => (await app.repos.platforms.getByName(name))!;
const siteDir = async (site: string, platformName: string) => join((await platform(platformName)).path!, 'sites', site);
const pollJobs = () => (app.jobs as SqliteJobQueue).list(POLL_JOB);
const activeTasks = async () => (await app.repos.tasks.list({ state: ['queued', 'processing'] }, { limit: 100, offset: 0 })).items;

/** Post-migrate step that signals it started and waits for `<site>.go` (its content is the exit code). */
/** Written whole and renamed, so the gate never reads an empty file (an empty `exit` would be a success). */
const release = async (site: string, exitCode: string): Promise<void> => {
  await writeFile(join(dir, `${site}.go.tmp`), exitCode);
  await rename(join(dir, `${site}.go.tmp`), join(dir, `${site}.go`));
};
const gate = (gates: string) => `touch ${gates}/$SITE.started; while [ ! -f ${gates}/$SITE.go ]; do sleep 0.02; done; exit $(cat ${gates}/$SITE.go)`;

const start = async (): Promise<void> => {
  app = await buildApp(config, { logger: errorLog });
  await app.start();
  requests = slackRequester(`${app.url}/slack/events`, SECRET);
};

beforeAll(async () => {
  dir = await makeTempDir('distro-qa-');
  repo = await createOpenSocialRepo(join(dir, 'upstream'), ['12.3.3']);
  slack = await startSlackStandIn();
  config = loadConfig({
    PORT: '0',
    ALLOW_LOCAL_UPSTREAMS: 'true',
    DATA_DIR: join(dir, 'data'),
    LOG_LEVEL: 'silent',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_BOT_TOKEN: 'xoxb-qa',
    SLACK_API_URL: slack.apiUrl,
    ADMIN_TOKEN: TOKEN,
    LINK_SECRET: 'qa-link-secret-0123456789',
    GITHUB_WEBHOOK_SECRET: HOOK_SECRET,
    POST_MIGRATE_COMMANDS: gate(dir),
  });
  await start();
  const created = await api('POST', '/api/distributions', gitDistributionBody('social', 'Open Social 12', CHANNEL, { url: repo.url, branch: 'main', tagPattern: '12.*' }));
  expect(created.status).toBe(201);
  await command('poll social');
  await waitFor(async () => (await app.repos.platforms.getByName('social-12.3.3'))?.status === 'ready', 'the first build', 60_000);
  for (const name of ['a.example.org', 'b.example.org', 'c.example.org']) {
    expect((await api('POST', '/api/sites', { name, platform: 'social-12.3.3' })).status).toBe(202);
  }
  await waitFor(async () => (await app.repos.sites.list({ status: ['enabled'] })).total === 3, 'the three sites installed');
  await addVersion(repo, '12.4.1');
  await command('poll social');
  await waitFor(async () => (await app.services.distributions.get('social')).targetPlatformId === (await app.repos.platforms.getByName('social-12.4.1'))?.id, 'the new target', 60_000);
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await slack?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('hostile names and bodies over HTTP', () => {
  test('path traversal in site and platform names is refused and creates nothing on disk', async () => {
    const before = (await api('GET', '/api/sites')).body.total;
    for (const name of ['../evil', '..', 'a/../../b', '%2e%2e']) {
      expect((await api('POST', '/api/sites', { name, platform: 'social-12.4.1' })).status).toBe(400);
    }
    expect((await api('POST', '/api/platforms', { name: '../escape', distribution: 'social', ref: 'x', commit: 'a'.repeat(40) })).status).toBe(400);
    expect((await api('GET', '/api/sites')).body.total).toBe(before);
    expect(existsSync(join(dir, 'data', 'evil'))).toBe(false);
    expect(existsSync(join(dir, 'data', 'platforms', 'escape'))).toBe(false);
    for (const path of ['/api/sites/..%2F..%2Fdistro.json', '/api/platforms/..%2Fsocial-12.4.1']) {
      const res = await api('GET', path);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
  });

  test('an oversized JSON body is a 413 with a JSON error, and nothing is stored', async () => {
    const before = (await api('GET', '/api/sites')).body.total;
    const res = await api('POST', '/api/sites', { name: 'big.example.org', platform: 'social-12.4.1', modules: ['x'.repeat(9 * 1024 * 1024)] });
    expect(res.status).toBe(413);
    expect(res.body.error.message).toMatch(/too large/i);
    expect((await api('GET', '/api/sites')).body.total).toBe(before);
  });

  test('a page past the end is empty but tells the total', async () => {
    const res = await api('GET', '/api/sites?limit=2&offset=1000');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ items: [], total: 3, limit: 2, offset: 1000 });
  });
});

describe('webhooks for refs nobody tracks', () => {
  const deliver = (event: string, payload: unknown, delivery: string) => {
    const body = JSON.stringify(payload);
    const sig = `sha256=${createHmac('sha256', HOOK_SECRET).update(body).digest('hex')}`;
    return fetch(`${app.url}/webhooks/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': delivery, 'x-hub-signature-256': sig },
      body,
    });
  };
  const repository = () => ({ full_name: 'goalgorilla/open-social-distro', clone_url: repo.url });

  test('a push to an untracked branch and a tag outside the pattern are acknowledged, say why, and queue nothing', async () => {
    const polls = (await pollJobs()).length;
    const platforms = (await app.repos.platforms.list(undefined, { limit: 100, offset: 0 })).total;
    const branch = await deliver('push', { ref: 'refs/heads/feature/x', after: 'a'.repeat(40), repository: repository() }, 'qa-1');
    expect(branch.status).toBe(202);
    expect((await branch.json()) as object).toEqual({ ignored: `no distribution tracks goalgorilla/open-social-distro branch feature/x` });
    const tag = await deliver('push', { ref: 'refs/tags/11.9.0', after: 'b'.repeat(40), repository: repository() }, 'qa-2');
    expect((await tag.json()) as object).toEqual({ ignored: `no distribution tracks goalgorilla/open-social-distro tag 11.9.0` });
    expect(await pollJobs()).toHaveLength(polls);
    expect((await app.repos.platforms.list(undefined, { limit: 100, offset: 0 })).total).toBe(platforms);
  });

  test('a payload over the size limit is refused with 413 before anything is read', async () => {
    const res = await fetch(`${app.url}/webhooks/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` },
      body: '{"x":"' + 'y'.repeat(26 * 1024 * 1024) + '"}',
    });
    expect(res.status).toBe(413);
  });
});

describe('polls someone asked for', () => {
  test('the automatic target change is attributed to the poll, not to the person who asked for it', async () => {
    const announced = await slack.waitFor(
      (c) => c.method === 'chat.postMessage' && blockText(c.args.blocks).includes('`social-12.4.1` (ref `12.4.1`) is now the upgrade target'),
      'the announcement of 12.4.1',
    );
    expect(blockText(announced.args.blocks)).toContain('Set automatically: the update poll found this build.');
    expect(blockText(announced.args.blocks)).not.toContain('<@U0ALICE>');
  });

  test('a poll that finds nothing new tells the person who asked, and only them', async () => {
    const seen = new Set(slack.calls);
    expect(await command('poll social')).toContain('if there is none, I tell you there (only you see it)');
    const told = await slack.waitFor((c) => !seen.has(c) && c.method === 'chat.postEphemeral', 'the nothing-new reply', 30_000);
    expect(told.args).toMatchObject({ channel: CHANNEL, user: ALICE.id });
    expect(blockText(told.args.blocks)).toContain('Checked the upstream of `social`: no new build since the last check.');
    expect(slack.calls.filter((c) => !seen.has(c) && c.method === 'chat.postMessage')).toEqual([]);
  });
});

describe('jobs meeting broken infrastructure', () => {
  test('a requested poll of an unreachable upstream creates no platform, keeps what was known, and tells the requester in the channel', async () => {
    const created = await api('POST', '/api/distributions', gitDistributionBody('gone', 'Gone', CHANNEL, { url: `${repo.url}-moved-away`, tagPattern: '*' }));
    expect(created.status).toBe(201);
    expect(await command('poll gone')).toContain('Checking the upstream of `gone` now');
    const d = await app.services.distributions.get('gone');
    const ended = async () => (await pollJobs()).filter((j) => (j.data as { distributionId: string }).distributionId === d.id && ['done', 'failed'].includes(j.state));
    await waitFor(async () => (await ended()).length === 1, 'the poll to end', 30_000);
    expect((await ended())[0]!.lastError).toMatch(/moved-away/);
    // The person who asked is told in the channel, since the reply to the command went out before the check ran.
    const told = await slack.waitFor((c) => c.method === 'chat.postMessage' && blockText(c.args.blocks).includes('Checking the upstream of `gone`'), 'the poll failure');
    expect(told.args.channel).toBe(CHANNEL);
    expect(blockText(told.args.blocks)).toContain('(asked by <@U0ALICE>) failed');
    expect(blockText(told.args.blocks)).toContain('moved-away');
    // git's own cause, not its generic closing advice.
    expect(blockText(told.args.blocks)).toMatch(/fatal: .*(does not appear to be a git repository|not found|does not exist)/);
    expect(blockText(told.args.blocks)).not.toContain('and the repository exists');
    expect(d.pollState).toEqual({});
    // Without Slack: the failure, its time and git's cause are kept on the distribution and lead the dashboard.
    const after = await app.services.distributions.get('gone');
    expect(after.lastPoll?.error).toMatch(/fatal: .*moved-away/);
    const dashboard = await fetch(`${app.url}/`, { headers: auth });
    const attention = (await dashboard.text()).split('<h2>')[1]!;
    expect(attention).toMatch(/^Needs attention/);
    expect(attention).toContain('id="failed-polls"');
    expect(attention).toContain('Gone');
    expect((await app.repos.platforms.list({ distributionId: d.id }, { limit: 10, offset: 0 })).total).toBe(0);
  });

  test('a release whose build fails is failed with its log, never the target, and the channel is told', async () => {
    const broken = join(dir, 'broken-upstream');
    await mkdir(broken);
    await runGit(['init', '-q', '-b', 'main', broken]);
    await writeFile(join(broken, 'composer.lock'), '{"packages": [ this is not JSON');
    const identity = ['-c', 'user.name=QA', '-c', 'user.email=qa@example.test', '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false'];
    await runGit([...identity, 'add', 'composer.lock'], { cwd: broken });
    await runGit([...identity, 'commit', '-q', '-m', 'broken lock'], { cwd: broken });
    await runGit([...identity, 'tag', '1.0.0'], { cwd: broken });
    const created = await api('POST', '/api/distributions', gitDistributionBody('broken', 'Broken', CHANNEL, { url: pathToFileURL(broken).href, tagPattern: '*' }));
    expect(created.status).toBe(201);
    await command('poll broken');
    const told = await slack.waitFor((c) => c.method === 'chat.postMessage' && blockText(c.args.blocks).includes('The build of `broken-1.0.0`'), 'the build failure', 30_000);
    expect(told.args.channel).toBe(CHANNEL);
    const failed = await platform('broken-1.0.0');
    expect(failed.status).toBe('failed');
    expect(failed.buildLog.at(-1)).toMatch(/Build failed/);
    expect(blockText(told.args.blocks)).toContain('Build failed');
    expect((await app.services.distributions.get('broken')).targetPlatformId).toBeNull();
    // No half checkout is left behind.
    expect(existsSync(join(dir, 'data', 'platforms', 'broken-1.0.0'))).toBe(false);
    expect(failed.buildLog.join('\n')).toMatch(/Removed the incomplete checkout/);
    expect(logged).toContainEqual(expect.objectContaining({ level: 50, platform: 'broken-1.0.0', msg: expect.stringMatching(/^build of platform broken-1\.0\.0 failed: .+/) }));
  }, 60_000);

  test('a platform with a queued migration to it cannot be deleted; the migration then runs to it', async () => {
    // c.example.org moves to 12.4.1 (the target); it stays parked in post-migrate until released below.
    const plan = await app.services.upgrades.propose({ kind: 'site', name: 'c.example.org' }, { kind: 'system' });
    await app.services.upgrades.confirm(plan.plan.id, { kind: 'system' });
    await waitFor(() => existsSync(join(dir, 'c.example.org.started')), 'the migration to reach post-migrate', 30_000);
    // Another target is chosen meanwhile, so 12.4.1 is no longer protected as the target.
    await app.services.distributions.setTarget('social', 'social-12.3.3', { kind: 'system' });
    const refused = await api('DELETE', '/api/platforms/social-12.4.1');
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/migration/);
    expect(await app.repos.platforms.getByName('social-12.4.1')).not.toBeNull();
    await release('c.example.org', '0');
    await waitFor(async () => (await activeTasks()).length === 0, 'the migration to end', 30_000);
    const site = (await app.repos.sites.getByName('c.example.org'))!;
    expect(site).toMatchObject({ platformId: (await platform('social-12.4.1')).id, status: 'enabled' });
    expect(existsSync(await siteDir('c.example.org', 'social-12.4.1'))).toBe(true);
    await app.services.distributions.setTarget('social', 'social-12.4.1', { kind: 'system' });
  }, 60_000);
});

describe('SIGTERM during a migration (app.stop drains)', () => {
  const stopDuring = async (site: string, exitCode: string) => {
    const settings = readFileSync(join(await siteDir(site, 'social-12.3.3'), 'settings.php'), 'utf8');
    const plan = await app.services.upgrades.propose({ kind: 'site', name: site }, { kind: 'system' });
    await app.services.upgrades.confirm(plan.plan.id, { kind: 'system' });
    await waitFor(() => existsSync(join(dir, `${site}.started`)), 'the migration to reach post-migrate', 30_000);
    const stopped = app.stop();
    // New work is no longer taken while the running migration is allowed to end.
    await waitFor(async () => !(await app.jobs.stats()).started, 'the queue to stop taking jobs');
    await release(site, exitCode);
    await stopped;
    await start();
    return { settings, site: (await app.repos.sites.getByName(site))!, task: (await app.repos.tasks.list({ subjectId: (await app.repos.sites.getByName(site))!.id }, { limit: 1, offset: 0 })).items[0]! };
  };

  test('a migration running at SIGTERM finishes before the process stops; the restarted app sees it moved', async () => {
    const { settings, site, task } = await stopDuring('a.example.org', '0');
    expect(task.state).toBe('succeeded');
    expect(site).toMatchObject({ platformId: (await platform('social-12.4.1')).id, status: 'enabled' });
    expect(readFileSync(join(await siteDir('a.example.org', 'social-12.4.1'), 'settings.php'), 'utf8')).toBe(settings);
    expect(existsSync(await siteDir('a.example.org', 'social-12.3.3'))).toBe(false);
  }, 60_000);

  test('a migration failing after SIGTERM is rolled back before the process stops; never half moved', async () => {
    const { settings, site, task } = await stopDuring('b.example.org', '1');
    expect(task.state).toBe('failed');
    // One server log line: the error sentence, the task and the site.
    const line = logged.find((l) => l['taskId'] === task.id);
    expect(line).toMatchObject({ level: 50, task: task.number, type: 'migrate', site: 'b.example.org' });
    expect(line?.['msg']).toBe(`task #${task.number} (migrate site b.example.org) failed: ${String(line?.['error'])}`);
    expect(String(line?.['error']).length).toBeGreaterThan(0);
    expect(site).toMatchObject({ platformId: (await platform('social-12.3.3')).id, status: 'enabled' });
    expect(readFileSync(join(await siteDir('b.example.org', 'social-12.3.3'), 'settings.php'), 'utf8')).toBe(settings);
    expect(existsSync(await siteDir('b.example.org', 'social-12.4.1'))).toBe(false);
  }, 60_000);
});
