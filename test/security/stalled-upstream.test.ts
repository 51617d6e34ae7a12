/**
 * An upstream that accepts connections and never answers cannot stall a poll or a build: git is killed, with every
 * process it started, after GIT_TIMEOUT_SECONDS of silence, and the poll fails saying so. The upstream here is a
 * real TCP server on 127.0.0.1 that holds every connection open without a byte; the poll runs through the whole
 * app (Slack command → job → git ls-remote → poll.failed → channel message).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { buildApp, type DistroApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { POLL_JOB } from '../../src/domain/jobs.js';
import { TransientError } from '../../src/domain/errors.js';
import { GitCheckouts } from '../../src/hosting/git-checkout.js';
import type { SqliteJobQueue } from '../../src/jobs/sqlite-queue.js';
import { silentLogger } from '../../src/logger.js';
import { UpstreamGuard } from '../../src/upstream/upstream-guard.js';
import { makeTempDir } from '../support/git-fixtures.js';
import { api as apiCall, gitDistributionBody } from '../support/http.js';
import { slackRequester } from '../support/slack-requests.js';
import { blockText, startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in.js';
import { waitFor } from '../support/wait.js';

const SECRET = 'stall-signing-secret-0123456789';
const TOKEN = 'stall-admin-token-0123456789';
const CHANNEL = 'C0STALL';

let dir: string;
let slack: SlackStandIn;
let app: DistroApp;
let stalled: Server;
let port: number;
const open = new Set<Socket>();
let accepted = 0;

/** Processes on this machine whose command line names the stalled server (git, git-remote-http, …). */
const gitProcessesTalkingToStall = (): string[] =>
  execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(`127.0.0.1:${port}`) && !line.includes(' ps '));

beforeAll(async () => {
  dir = await makeTempDir('distro-stall-');
  stalled = createServer((socket) => {
    // Accept, answer nothing: a dead or hostile upstream. (Read and drop what comes, so the close is seen.)
    accepted += 1;
    open.add(socket);
    socket.resume();
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
  port = (stalled.address() as { port: number }).port;
  slack = await startSlackStandIn();
  app = await buildApp(
    loadConfig({
      PORT: '0',
      ALLOW_LOCAL_UPSTREAMS: 'true',
      GIT_TIMEOUT_SECONDS: '1',
      JOB_MAX_ATTEMPTS: '1',
      DATA_DIR: join(dir, 'data'),
      LOG_LEVEL: 'silent',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: 'xoxb-stall',
      SLACK_API_URL: slack.apiUrl,
      ADMIN_TOKEN: TOKEN,
      LINK_SECRET: 'stall-link-secret-0123456789',
    }),
    { logger: silentLogger() },
  );
  await app.start();
});

afterAll(async () => {
  await app?.stop();
  await slack?.close();
  for (const s of open) s.destroy();
  await new Promise((resolve) => stalled?.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('an upstream that never answers', () => {
  test('a requested poll fails within bounds saying the upstream did not answer, and leaves no git process behind', async () => {
    const url = `http://127.0.0.1:${port}/social.git`;
    const created = await apiCall(app.url!, 'POST', '/api/distributions', gitDistributionBody('stalled', 'Stalled', CHANNEL, { url, branch: 'main', tagPattern: '*' }), {
      authorization: `Bearer ${TOKEN}`,
    });
    expect(created.status).toBe(201);
    const requests = slackRequester(`${app.url}/slack/events`, SECRET);
    await requests.command({ text: 'poll stalled', user: { id: 'U0ALICE', name: 'alice' }, channelId: CHANNEL, responseUrl: slack.responseUrl('stall1') });
    await slack.waitFor((c) => c.responseId === 'stall1', 'the reply to the poll command');

    // The person who asked is told in the channel, with the sentence that says what happened.
    const told = await slack.waitFor(
      (c) => c.method === 'chat.postMessage' && blockText(c.args.blocks).includes('(asked by <@U0ALICE>) failed'),
      'the poll failure in the channel',
      60_000,
    );
    expect(blockText(told.args.blocks)).toContain(`The upstream ${url} did not answer within 1 s.`);
    const d = await app.services.distributions.get('stalled');
    const jobs = async () => (await (app.jobs as SqliteJobQueue).list(POLL_JOB)).filter((j) => (j.data as { distributionId: string }).distributionId === d.id);
    await waitFor(async () => (await jobs()).every((j) => j.state === 'failed'), 'the poll job to fail');
    expect((await jobs()).map((j) => [j.state, j.lastError])).toEqual([['failed', `The upstream ${url} did not answer within 1 s.`]]);

    // git did reach the server, and nothing it started is left: no process names the server, every connection is closed.
    expect(accepted).toBeGreaterThanOrEqual(1);
    await waitFor(() => open.size === 0, 'the killed git connections to close', 10_000);
    expect(gitProcessesTalkingToStall()).toEqual([]);
  }, 90_000);

  test('a build clone from it ends the same way (TransientError, retried by the build job), with no git process left', async () => {
    const checkouts = new GitCheckouts(join(dir, 'cache'), new UpstreamGuard({ allowLocal: true }), 1000);
    const url = `http://127.0.0.1:${port}/build.git`;
    const before = accepted;
    const lines: string[] = [];
    const failure = await checkouts.mirror(url, 'a'.repeat(40), (line) => void lines.push(line)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TransientError);
    expect((failure as Error).message).toBe(`The upstream ${url} did not answer within 1 s.`);
    expect(accepted).toBeGreaterThan(before);
    await waitFor(() => open.size === 0, 'the killed clone connections to close', 10_000);
    expect(gitProcessesTalkingToStall()).toEqual([]);
    expect(lines).toEqual([`Mirroring ${url}`]);
  }, 60_000);
});
