/**
 * The guide printed at start while there is no distribution: its curl command, read back from the printed
 * text, creates a distribution on the real admin API; it names the Slack variables only while Slack is not set up.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { firstStartGuide, loopbackUrl } from '../../src/first-start-guide.js';
import { api, startHttpServer, type HttpTestServer } from '../support/http.js';

/** The URL and JSON body of the guide's curl command, and whether it sends the bearer token. */
const curlOf = (guide: string) => {
  const command = /curl (.*?) \\\n\s+-d '(.*)'/.exec(guide);
  if (!command) throw new Error(`no curl command in:\n${guide}`);
  const url = /(http:\/\/\S+)$/.exec(command[1]!)?.[1];
  return { url: url ?? '', body: JSON.parse(command[2]!) as unknown, bearer: command[1]!.includes('Authorization: Bearer $ADMIN_TOKEN') };
};

describe('first-start guide', () => {
  let server: HttpTestServer;
  beforeAll(async () => {
    server = await startHttpServer();
  });
  afterAll(async () => server.close());

  test('its curl command creates the example distribution on the admin API', async () => {
    const guide = firstStartGuide({ url: server.baseUrl, adminAuth: 'token', slackConfigured: false, command: '/distro' });
    expect(guide).toContain(`Admin backend: ${server.baseUrl}\n`);
    const curl = curlOf(guide);
    expect(curl.bearer).toBe(true);
    expect(curl.url).toBe(`${server.baseUrl}/api/distributions`);
    const created = await api(server.baseUrl, 'POST', curl.url.slice(server.baseUrl.length), curl.body);
    expect(created.status).toBe(201);
    const list = await api(server.baseUrl, 'GET', '/api/distributions');
    expect(list.body.items.map((d: { slug: string }) => d.slug)).toEqual(['social']);
  });

  test('without admin credentials it says the backend is open to this machine only, and sends none', () => {
    const guide = firstStartGuide({ url: 'http://127.0.0.1:3000', adminAuth: 'loopback', slackConfigured: false, command: '/distro' });
    expect(guide).toContain('open to this machine only until ADMIN_TOKEN');
    expect(curlOf(guide).bearer).toBe(false);
    expect(guide).not.toContain('-u "');
    const basic = firstStartGuide({ url: 'http://127.0.0.1:3000', adminAuth: 'basic', slackConfigured: false, command: '/distro' });
    expect(basic).toContain('-u "$ADMIN_USER:$ADMIN_PASSWORD"');
    expect(basic).not.toContain('open to this machine only');
  });

  test('with named users only, it sends them to the login page and the New distribution button', () => {
    const guide = firstStartGuide({ url: 'https://distro.example.org', adminAuth: 'users', slackConfigured: false, command: '/distro' });
    expect(guide).toContain('2. Sign in at https://distro.example.org/login (ADMIN_USERS) and press "New distribution" on the dashboard.');
    expect(guide).not.toContain('curl');
    expect(guide).not.toContain('open to this machine only');
  });

  test('names manifest.yml and the Slack variables until Slack is configured', () => {
    const unset = firstStartGuide({ url: 'http://127.0.0.1:3000', adminAuth: 'loopback', slackConfigured: false, command: '/distro' });
    for (const word of ['manifest.yml', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'PUBLIC_URL']) expect(unset).toContain(word);
    const set = firstStartGuide({ url: 'http://127.0.0.1:3000', adminAuth: 'loopback', slackConfigured: true, command: '/ops' });
    expect(set).not.toContain('SLACK_BOT_TOKEN');
    expect(set).toContain('/ops help');
  });

  test('points at loopback when the server listens on every address', () => {
    expect(loopbackUrl('http://0.0.0.0:3000')).toBe('http://127.0.0.1:3000');
    expect(loopbackUrl('http://:::3000')).toBe('http://127.0.0.1:3000');
    expect(loopbackUrl('http://[::]:3000')).toBe('http://127.0.0.1:3000');
    expect(loopbackUrl('http://10.0.0.5:3000')).toBe('http://10.0.0.5:3000');
    expect(loopbackUrl('http://127.0.0.1:3000')).toBe('http://127.0.0.1:3000');
  });
});
