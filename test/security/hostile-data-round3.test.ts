/**
 * Issue 21, item 7 (the smaller holes): credentials in URL query strings and fragments are redacted wherever a URL
 * is shown or logged; the HTTP server caps connections in all and per address; a request has one audited surface
 * whatever credential it used; user text quoted in Slack replies never mentions anyone.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { ForbiddenError, RuleViolationError } from '../../src/domain/errors.js';
import { REDACTED, redactUrl } from '../../src/lib/redact.js';
import { errorMessage } from '../../src/slack/blocks/errors.js';
import { blockText } from '../support/slack-stand-in.js';
import { gitDistribution, startSecurityApp, type SecurityApp } from './security-app.js';

const TOKEN = 'qs-tok-5f1e9a2b7c';

describe('query-string and fragment credentials', () => {
  test.each([
    [`https://h.example/x?access_token=${TOKEN}&page=2`, `https://h.example/x?access_token=${REDACTED}&page=2`],
    [`https://h.example/x?page=2&token=${TOKEN}`, `https://h.example/x?page=2&token=${REDACTED}`],
    [`https://h.example/x?API_KEY=${TOKEN}#top`, `https://h.example/x?API_KEY=${REDACTED}#top`],
    [`https://h.example/cb#access_token=${TOKEN}&token_type=bearer`, `https://h.example/cb#access_token=${REDACTED}&token_type=bearer`],
    [`https://h.example/cb#eyJhbGciOiJIUzI1NiJ9.${TOKEN}`, `https://h.example/cb#${REDACTED}`],
    // HTML-escaped (pages) and Slack's <url|label> form.
    [`href="https://h.example/x?a=1&amp;password=${TOKEN}"`, `href="https://h.example/x?a=1&amp;password=${REDACTED}"`],
    [`<https://h.example/x?token=${TOKEN}|the site>`, `<https://h.example/x?token=${REDACTED}|the site>`],
  ])('%s', (given, shown) => {
    expect(redactUrl(given)).toBe(shown);
  });

  test('ordinary parameters, anchors and our signed links are kept', () => {
    for (const text of [
      'https://h.example/compare/a/b?filter=drupal&sort=name#section-2',
      'https://distro.example/upgrades/42?exp=1767225600&sig=Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Ng',
      'https://github.com/a/b/blob/main/x.php#L10-L20',
    ]) {
      expect(redactUrl(text)).toBe(text);
    }
  });
});

describe('the running app', () => {
  let sec: SecurityApp;
  beforeAll(async () => {
    sec = await startSecurityApp({ ALLOW_LOCAL_UPSTREAMS: 'true', HTTP_MAX_CONNECTIONS_PER_ADDRESS: '8' });
  });
  afterAll(() => sec?.close());

  test('a token in a health-check URL is shown redacted on the API and the pages, and kept when the URL is sent back', async () => {
    const url = `https://{site}/health?access_token=${TOKEN}`;
    const body = { ...gitDistribution('tokened', { url: 'https://git.example.org/x.git', tagPattern: '*' }), policy: { pollIntervalMinutes: 0, autoTarget: false, rollout: { healthCheck: { http: { url } } } } };
    const created = await sec.api('POST', '/api/distributions', body);
    expect(created.status).toBe(201);
    for (const text of [created.text, (await sec.api('GET', '/api/distributions/tokened')).text, (await sec.api('GET', '/distributions/tokened')).text, (await sec.api('GET', '/distributions/tokened/edit')).text]) {
      expect(text).not.toContain(TOKEN);
    }
    const shown = (await sec.api('GET', '/api/distributions/tokened')).json as { policy: { rollout: { healthCheck: { http: { url: string } } } } };
    expect(shown.policy.rollout.healthCheck.http.url).toBe(`https://{site}/health?access_token=${REDACTED}`);
    // A read-modify-write of the policy keeps the stored token instead of storing `***`.
    const patched = await sec.api('PATCH', '/api/distributions/tokened', { policy: { ...shown.policy, pollIntervalMinutes: 5 } });
    expect(patched.status).toBe(200);
    const stored = await sec.app.repos.distributions.getBySlug('tokened');
    expect(stored?.policy.rollout?.healthCheck?.http?.url).toBe(url);
    expect(stored?.policy.pollIntervalMinutes).toBe(5);
  });

  test('one client cannot hold more than HTTP_MAX_CONNECTIONS_PER_ADDRESS sockets; others are closed at once', async () => {
    const { port } = new URL(sec.app.url!);
    const sockets: Socket[] = [];
    const closed: Promise<boolean>[] = [];
    for (let i = 0; i < 20; i++) {
      const socket = connect(Number(port), '127.0.0.1');
      sockets.push(socket);
      closed.push(
        new Promise((resolve) => {
          socket.once('close', () => resolve(true));
          socket.on('error', () => undefined);
          // A socket the server kept answers a request.
          socket.once('connect', () => socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n'));
          socket.once('data', () => resolve(false));
        }),
      );
    }
    const outcomes = await Promise.all(closed);
    // At most 8 kept (fewer when earlier requests' keep-alive sockets from this address are still open).
    const kept = outcomes.filter((c) => !c).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(8);
    expect(outcomes.filter((c) => c).length).toBeGreaterThanOrEqual(12);
    for (const s of sockets) s.destroy();
    await Promise.all(sockets.map((s) => (s.closed ? null : new Promise((r) => s.once('close', r)))));
    // Once they are gone the client is served again.
    expect((await fetch(`${sec.app.url}/healthz`)).status).toBeLessThan(600);
  });

  test('one audited surface per request: a page form is `page` whatever the credential, the API is `api`', async () => {
    const form = new URLSearchParams({ slug: 'surface-page', title: 'Via page', kind: 'none', 'policy.pollIntervalMinutes': '0' });
    const page = await fetch(`${sec.app.url}/new-distribution`, {
      method: 'POST',
      redirect: 'manual',
      headers: { authorization: `Bearer ${(await import('./security-app.js')).SECRETS.ADMIN_TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    expect(page.status).toBe(303);
    expect((await sec.api('POST', '/api/distributions', { slug: 'surface-api', title: 'Via API' })).status).toBe(201);
    const sources = async (subject: string) =>
      (await sec.app.repos.audit.list({ action: ['distribution.create'], subject }, { limit: 5 })).items.map((e) => e.source);
    expect(await sources('surface-page')).toEqual(['page']);
    expect(await sources('surface-api')).toEqual(['api']);
  });
});

describe('Slack replies quoting user text', () => {
  const noLog = { error: () => undefined };

  test('mentions inside user text (a pin reason, a name) are escaped: nobody is notified', () => {
    const error = new RuleViolationError('Distribution `social` is pinned by U0ALICE: ask <@U0BOSS> or <!subteam^S0OPS> or <!channel>. `unpin social` first.');
    const reply = JSON.stringify(errorMessage(error, noLog));
    expect(reply).not.toContain('<@U0BOSS>');
    expect(reply).not.toContain('<!subteam^S0OPS>');
    expect(reply).not.toContain('<!channel>');
    expect(blockText(errorMessage(error, noLog).blocks)).toContain('&lt;@U0BOSS&gt;');
  });

  test('mentions Distro wrote from configuration (the confirmers) stay live, and only those', () => {
    const error = new ForbiddenError('Only <@U0BOB>, members of <!subteam^S0CONF> may do this. Not <@U0EVE>.', { mentions: ['<@U0BOB>', '<!subteam^S0CONF>'] });
    const text = blockText(errorMessage(error, noLog).blocks);
    expect(text).toContain('<@U0BOB>');
    expect(text).toContain('<!subteam^S0CONF>');
    expect(text).toContain('&lt;@U0EVE&gt;');
  });
});
