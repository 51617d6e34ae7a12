/** Every `/distro` command and its refusals, through signed HTTP requests into the real Bolt app. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ADMIN } from '../support/seed.js';
import { openSocialBuild } from '../support/fixtures.js';
import { sendSigned } from '../support/slack-requests.js';
import { blockText, buttonsOf } from '../support/slack-stand-in.js';
import { ALICE, CHANNEL, planIdOf, startSlackHarness, type Harness } from './slack-harness.js';
import { WEB_API_SCOPES } from '../../src/slack/slack-surface.js';

let h: Harness;

beforeAll(async () => {
  h = await startSlackHarness({
    seed: { sites: { '12.3.3': ['a.example.org', 'b.example.org'], '12.4.1': ['c.example.org'], '12.4.2': ['new.example.org'] } },
  });
  // A second distribution that has no upgrade target yet.
  await h.services.distributions.create({ slug: 'intranet', title: 'Intranet', channel: null });
  const build = openSocialBuild('12.0.0');
  await h.services.platforms.register({ name: 'intranet-1', distribution: 'intranet', ref: '12.0.0', commit: build.commit, files: build.files }, ADMIN);
  await h.services.sites.create({ name: 'intra.example.org', platform: 'intranet-1' }, ADMIN);
  await h.settle();
});

afterAll(async () => {
  // Only methods whose scopes the manifest grants were called.
  for (const c of h.slack.calls) if (c.method !== 'response_url') expect(Object.keys(WEB_API_SCOPES)).toContain(c.method);
  await h.close();
});

const replyText = async (text: string): Promise<string> => {
  const { status, reply } = await h.command(text);
  expect(status).toBe(200);
  expect(reply.args.response_type).toBe('ephemeral');
  return blockText(reply.args.blocks);
};

describe('read-only commands', () => {
  test('help lists every form', async () => {
    const text = await replyText('help');
    for (const form of ['/distro upgrade --platform &lt;platform&gt;', '/distro compare &lt;platformA&gt; &lt;platformB&gt;', '/distro cancel &lt;task&gt;']) {
      expect(text).toContain(form);
    }
    expect(await replyText('')).toBe(text);
  });

  test('list shows targets and out-of-date counts', async () => {
    const text = await replyText('list');
    expect(text).toContain('*Open Social 12* (`social`) — target `social-12.4.2` · 3 platforms · 4 sites · :warning: 3 out of date');
    expect(text).toContain('*Intranet* (`intranet`) — _no target_');
  });

  test('show lists the platforms, newest first, with the target and locks', async () => {
    const text = await replyText('show social');
    expect(text).toContain('`social-12.4.2` — ready · *upgrade target* · 1 site ·');
    expect(text).toContain(':lock: `social-12.3.3` — locked · 2 sites');
    expect(text.indexOf('social-12.4.2')).toBeLessThan(text.indexOf('social-12.3.3'));
  });

  test('status groups out-of-date sites by platform', async () => {
    const text = await replyText('status social');
    expect(text).toContain(':warning: 3 sites on 2 platforms are behind `social-12.4.2`');
    expect(text).toContain('• `social-12.3.3` (2): `a.example.org`, `b.example.org`');
    expect(text).toContain('• `social-12.4.1` (1): `c.example.org`');
    const all = await replyText('status');
    expect(all).toContain('`intranet`): no upgrade target yet');
  });

  test('compare counts the changes and links a signed Compare page', async () => {
    const { reply } = await h.command('compare social-12.3.3 social-12.4.2');
    const text = blockText(reply.args.blocks);
    expect(text).toContain(':arrow_up: 40 upgrades · :arrow_down: 0 downgrades');
    const [link] = buttonsOf(reply.args.blocks);
    const from = h.seeded!.platforms['12.3.3']!.id;
    const to = h.seeded!.platforms['12.4.2']!.id;
    const url = new URL(link!.url!);
    expect(url.pathname).toBe(`/compare/${from}/${to}`);
    expect(h.services.links.verify(url.pathname, url.searchParams.get('exp'), url.searchParams.get('sig'))).toBe('ok');
  });

  test('poll queues an upstream check; a distribution without an upstream is refused', async () => {
    expect(await replyText('poll social')).toContain('has no upstream to poll');
    expect(await h.jobs.list('distribution.poll')).toHaveLength(0);
    await h.services.distributions.update('social', {
      upstream: { kind: 'git', url: 'https://example.org/social.git', branch: 'main', manifestPath: 'composer.lock' },
      policy: { pollIntervalMinutes: 0 },
    });
    const text = await replyText('poll social');
    expect(text).toContain(':satellite: Checking the upstream of `social` now');
    expect(await h.jobs.list('distribution.poll')).toHaveLength(1);
  });
});

describe('tasks and cancel', () => {
  test('tasks lists a site’s migrations; cancel cancels a queued one; refusals explain', async () => {
    expect(await replyText('tasks b.example.org')).toContain('Tasks for b.example.org: none yet.');
    const plan = await h.services.upgrades.propose({ kind: 'site', name: 'b.example.org' }, ADMIN);
    await h.services.upgrades.confirm(plan.plan.id, ADMIN);
    const [task] = await h.services.tasks.recent('b.example.org');
    const listed = await replyText('tasks b.example.org');
    expect(listed).toContain(`*#${task!.number}* migrate \`b.example.org\` — queued`);

    expect(await replyText(`cancel ${task!.number}`)).toContain(`Task #${task!.number} (\`b.example.org\`) is cancelled.`);
    expect((await h.repos.tasks.get(task!.id))!.state).toBe('cancelled');
    expect(await replyText('tasks')).toContain(`*#${task!.number}* migrate \`b.example.org\` — cancelled`);

    expect(await replyText(`cancel ${task!.number}`)).toContain(`Task #${task!.number} (\`b.example.org\`) is cancelled.`);
    expect(await replyText('cancel 9999')).toContain('No task named `9999`.');
    expect(await replyText('cancel abc')).toContain('`abc` is not a task number.');
  });
});

describe('refusals', () => {
  test('an unknown site gets the closest name and the corrected command; nothing is proposed or posted', async () => {
    const posted = h.slack.callsTo('chat.postMessage').length;
    const text = await replyText('upgrade a.exmple.org');
    expect(text).toContain('No site named `a.exmple.org`. Did you mean `a.example.org`?');
    expect(text).toContain('Try `/distro upgrade a.example.org`');
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(posted);
  });

  test('an unknown distribution in status/show suggests the right one', async () => {
    expect(await replyText('show socail')).toContain('Try `/distro show social`');
  });

  test('malformed commands get the usage of that subcommand', async () => {
    const text = await replyText('upgrade --platform');
    expect(text).toContain('`--platform` needs exactly one platform name.');
    expect(text).toContain('`/distro upgrade --distro &lt;distribution&gt;`');
    expect(await replyText('target social')).toContain('`target` needs a distribution and a platform.');
  });

  test('an unknown subcommand suggests the closest one', async () => {
    const text = await replyText('upgarde a.example.org');
    expect(text).toContain('Unknown command `upgarde`. Did you mean `upgrade`?');
    expect(text).toContain('Try `/distro upgrade a.example.org`');
  });

  test('no target, already on target, and the target platform itself are refused with the reason', async () => {
    // The service's neutral message, and its next step rendered as the slash command to type.
    const noTarget = await replyText('upgrade --distro intranet');
    expect(noTarget).toContain('Distribution `intranet` has no upgrade target yet.');
    expect(noTarget).toContain('Set one with `/distro target intranet &lt;platform&gt;`.');
    expect(noTarget).not.toContain('/api/');
    expect(await replyText('upgrade new.example.org')).toContain('`new.example.org` is already on the upgrade target `social-12.4.2`.');
    expect(await replyText('upgrade --platform social-12.4.2')).toContain('`social-12.4.2` is the upgrade target of `social`');
    expect(await replyText('target social intranet-1')).toContain('belongs to another distribution');
  });

  test('when Slack will not take the summary, the plan is cancelled and the user is told why', async () => {
    h.slack.failNext('chat.postMessage', 'not_in_channel');
    const text = await replyText('upgrade a.example.org');
    expect(text).toContain("I can't post the upgrade summary in this channel (not_in_channel).");
    expect(text).toContain('/invite @Distro');
    h.slack.failNext('chat.postMessage', 'fatal_error');
    const generic = await replyText('upgrade a.example.org');
    expect(generic).toMatch(/Something went wrong \(error id `[0-9a-f]{8}`\)/);
    // Both summaries that Slack refused were cancelled, so nobody can confirm a plan no one saw.
    const planIds = h.slack.callsTo('chat.postMessage').slice(-2).map((c) => planIdOf(c.args.blocks));
    expect(planIds).toHaveLength(2);
    for (const id of planIds) expect((await h.repos.plans.get(id!))!.state).toBe('cancelled');
  });
});

describe('request verification', () => {
  test('a forged signature gets 401 and nothing happens', async () => {
    const before = h.slack.calls.length;
    const res = await h.requests.command(
      { text: 'upgrade a.example.org', user: ALICE, channelId: CHANNEL, responseUrl: h.slack.responseUrl('forged') },
      { signature: 'v0=' + 'f'.repeat(64) },
    );
    expect(res.status).toBe(401);
    const wrongSecret = await sendSigned(
      h.url,
      'not-the-secret',
      'text=help',
      'application/x-www-form-urlencoded',
    );
    expect(wrongSecret.status).toBe(401);
    await h.command('help'); // a later valid request is answered, so the forged ones had their chance to act
    expect(h.slack.calls.slice(before).map((c) => c.method)).toEqual(['response_url']);
    expect(h.slack.calls.some((c) => c.responseId === 'forged')).toBe(false);
  });

  test('a correctly signed request older than 5 minutes is rejected', async () => {
    const old = Math.floor(Date.now() / 1000) - 6 * 60;
    const res = await h.requests.command(
      { text: 'help', user: ALICE, channelId: CHANNEL, responseUrl: h.slack.responseUrl('old') },
      { timestamp: old },
    );
    expect(res.status).toBe(401);
    await h.command('help');
    expect(h.slack.calls.some((c) => c.responseId === 'old')).toBe(false);
  });
});

describe('URL buttons', () => {
  test('a Compare link click is acknowledged (Slack sends an action for URL buttons too) and nothing else happens', async () => {
    const before = h.slack.calls.length;
    const { status } = await h.click('distro_link_0', '', { channel: CHANNEL, ts: '1.000001' });
    expect(status).toBe(200);
    await h.command('help');
    expect(h.slack.calls.slice(before).map((c) => c.method)).toEqual(['response_url']);
  });
});

describe('App Home', () => {
  test('opening the Home tab publishes the dashboard for that user', async () => {
    const res = await h.requests.event({ type: 'app_home_opened', user: ALICE.id, channel: 'D0ALICE', tab: 'home' });
    expect(res.status).toBe(200);
    const publish = await h.slack.waitFor((c) => c.method === 'views.publish' && c.args.user_id === ALICE.id, 'views.publish');
    expect(publish.args.view.type).toBe('home');
    const text = blockText(publish.args.view.blocks);
    expect(text).toContain('*2 distributions* · *3 sites* out of date');
    expect(text).toContain('target `social-12.4.2`');
    expect(publish.token).toBe('xoxb-test-token');
  });
});
