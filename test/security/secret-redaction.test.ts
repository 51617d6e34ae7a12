/**
 * Secrets never leave the process: credentials in upstream URLs (`https://deploy:token@host/repo`) and the
 * configured tokens are redacted in the logger, in build and task logs as stored, in Slack messages and in API and
 * page output. Replays the report: a failed build of a credentialed upstream put the URL into the build log and
 * into the failed-build tail posted to Slack.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Writable } from 'node:stream';
import { createRedactor, redactUrl, REDACTED } from '../../src/lib/redact.js';
import { createLogger } from '../../src/logger.js';
import { BUILD_JOB, buildKey } from '../../src/domain/jobs.js';
import { ADMIN } from '../support/seed.js';
import { slackRequester } from '../support/slack-requests.js';
import { blockText } from '../support/slack-stand-in.js';
import { gitDistribution, leakedSecrets, SECRETS, startSecurityApp, type SecurityApp } from './security-app.js';

const DEPLOY_TOKEN = 'dpl-tok-93ab51c7e2';

describe('the redactor', () => {
  const redact = createRedactor([SECRETS.ADMIN_TOKEN, 'p"a<s>s&w\\o rd', 'abc', null, undefined]);

  test('URL credentials, in any scheme, anywhere in a line', () => {
    expect(redactUrl(`fatal: unable to access 'https://deploy:${DEPLOY_TOKEN}@git.example.org/x.git/': 403`)).toBe(
      `fatal: unable to access 'https://***@git.example.org/x.git/': 403`,
    );
    expect(redact(`ssh://git:${DEPLOY_TOKEN}@h/x and http://u@h/y`)).toBe('ssh://***@h/x and http://***@h/y');
    expect(redact('git@github.com:a/b.git https://github.com/a/b')).toBe('git@github.com:a/b.git https://github.com/a/b');
  });

  test('configured secrets in their raw, JSON, HTML and URL spellings; short ones left alone', () => {
    const tricky = 'p"a<s>s&w\\o rd';
    for (const spelling of [tricky, JSON.stringify(tricky).slice(1, -1), 'p&quot;a&lt;s&gt;s&amp;w\\o rd', encodeURIComponent(tricky)]) {
      expect(redact(`x ${spelling} y`)).toBe(`x ${REDACTED} y`);
    }
    expect(redact(`Bearer ${SECRETS.ADMIN_TOKEN}.`)).toBe(`Bearer ${REDACTED}.`);
    expect(redact('abc stays')).toBe('abc stays');
  });

  test('the logger writes no secret, whether in a message, an object or an error stack', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger('info', 'distro', createRedactor([SECRETS.ADMIN_TOKEN, SECRETS.LINK_SECRET]), sink);
    const error = new Error(`clone of https://deploy:${DEPLOY_TOKEN}@git.example.org/x.git failed (token ${SECRETS.ADMIN_TOKEN})`);
    logger.error({ err: error, url: `https://deploy:${DEPLOY_TOKEN}@git.example.org/x.git`, secret: SECRETS.LINK_SECRET }, `request with ${SECRETS.ADMIN_TOKEN}`);
    const out = lines.join('');
    expect(out).toContain('https://***@git.example.org/x.git');
    expect(out).not.toContain(DEPLOY_TOKEN);
    expect(leakedSecrets(out)).toEqual([]);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: `request with ${REDACTED}`, secret: REDACTED });
  });
});

describe('sinks of the running app', () => {
  let sec: SecurityApp;
  beforeAll(async () => {
    sec = await startSecurityApp({ ALLOW_LOCAL_UPSTREAMS: 'true' });
  });
  afterAll(() => sec?.close());

  const noSecretsAnywhere = (text: string) => {
    expect(text).not.toContain(DEPLOY_TOKEN);
    expect(leakedSecrets(text)).toEqual([]);
  };

  test('a failed build of a credentialed upstream: build log, Slack tail and API show no credential', async () => {
    // Port 1 on loopback refuses connections: the clone fails and git names the URL.
    const url = `http://deploy:${DEPLOY_TOKEN}@127.0.0.1:1/social.git`;
    const created = await sec.api('POST', '/api/distributions', gitDistribution('private', { url, tagPattern: '*' }));
    expect(created.status).toBe(201);
    noSecretsAnywhere(created.text);
    const platform = await sec.app.repos.platforms.create({
      name: 'private-1.0.0',
      distributionId: created.json.id as string,
      source: { ref: '1.0.0', commit: 'd'.repeat(40) },
      createdBy: ADMIN,
      status: 'queued',
    });
    await sec.app.jobs.enqueue(BUILD_JOB, { platformId: platform.id }, { uniqueKey: buildKey(platform.id) });
    const notice = await sec.slack.waitFor((c) => c.method === 'chat.postMessage' && blockText(c.args.blocks).includes('private-1.0.0'), 'build failure notice', 30_000);

    const stored = (await sec.app.repos.platforms.get(platform.id))!;
    expect(stored.status).toBe('failed');
    expect(stored.buildLog.join('\n')).toContain('http://***@127.0.0.1:1/social.git');
    noSecretsAnywhere(stored.buildLog.join('\n'));
    expect(blockText(notice.args.blocks)).toContain('***@127.0.0.1');
    noSecretsAnywhere(JSON.stringify(sec.slack.calls.map((c) => c.args)));
    noSecretsAnywhere((await sec.api('GET', '/api/platforms/private-1.0.0')).text);
    noSecretsAnywhere((await sec.api('GET', '/api/distributions/private')).text);
    noSecretsAnywhere((await sec.api('GET', '/distributions/private')).text);
  });

  test('a poll failure posted to Slack names the upstream without its credentials', async () => {
    expect((await sec.api('POST', '/api/distributions/private/poll')).status).toBe(202);
    const notice = await sec.slack.waitFor((c) => c.method === 'chat.postMessage' && blockText(c.args.blocks).includes('Checking the upstream of `private`'), 'poll failure notice', 30_000);
    expect(blockText(notice.args.blocks)).toContain('http://***@127.0.0.1:1/social.git');
    noSecretsAnywhere(JSON.stringify(sec.slack.calls.map((c) => c.args)));
  });

  test('configured secrets are redacted in stored build and task logs, task errors, Slack posts and error responses', async () => {
    const platform = (await sec.app.repos.platforms.getByName('private-1.0.0'))!;
    await sec.app.repos.platforms.appendBuildLog(platform.id, [`echo ${SECRETS.GITHUB_TOKEN} ${SECRETS.SLACK_BOT_TOKEN}`]);
    noSecretsAnywhere((await sec.app.repos.platforms.get(platform.id))!.buildLog.join('\n'));

    const task = await sec.app.repos.tasks.create({ type: 'install', subject: { kind: 'platform', id: platform.id, name: platform.name }, requestedBy: ADMIN });
    await sec.app.repos.tasks.appendLog(task.id, [{ at: new Date(), level: 'error', message: `drush said ${SECRETS.LINK_SECRET}` }]);
    await sec.app.repos.tasks.transition(task.id, ['queued'], 'failed', { error: `failed with ${SECRETS.ADMIN_TOKEN}`, finishedAt: new Date() });
    const stored = (await sec.app.repos.tasks.get(task.id))!;
    expect(stored.log.map((l) => l.message)).toEqual([`drush said ${REDACTED}`]);
    expect(stored.error).toBe(`failed with ${REDACTED}`);

    // Anything the notifier posts goes through the redacting client.
    await sec.app.services.events.publish({ type: 'poll.failed', distributionId: platform.distributionId, actor: ADMIN, error: `remote said ${SECRETS.GITHUB_WEBHOOK_SECRET}` });
    await sec.app.notifier!.idle();
    noSecretsAnywhere(JSON.stringify(sec.slack.calls.map((c) => c.args)));

    // Error bodies and pages that echo input.
    const missing = await sec.api('GET', `/api/distributions/${SECRETS.LINK_SECRET}`);
    expect(missing.status).toBe(404);
    expect(missing.json.error.message).toBe(`No distribution named \`${REDACTED}\`.`);
    const page = await sec.api('GET', `/distributions/${SECRETS.SLACK_SIGNING_SECRET}`);
    expect(page.status).toBe(404);
    noSecretsAnywhere(page.text);
  });

  test('Slack command replies (response_url posts, outside the WebClient) are redacted too', async () => {
    // The "not found" reply echoes what was typed: here, a configured secret.
    const slack = slackRequester(`${sec.app.url}/slack/events`, SECRETS.SLACK_SIGNING_SECRET);
    const responseUrl = sec.slack.responseUrl('redaction');
    const res = await slack.command({ text: `show ${SECRETS.ADMIN_TOKEN}`, user: { id: 'U0SEC', name: 'sec' }, channelId: 'C0SECURITY', responseUrl });
    expect(res.status).toBe(200);
    const reply = await sec.slack.waitFor((c) => c.method === 'response_url' && c.responseId === 'redaction', 'the ephemeral reply');
    const text = JSON.stringify(reply.args);
    expect(text).toContain(REDACTED);
    noSecretsAnywhere(text);
  });
});
