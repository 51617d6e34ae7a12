/** One ErrorHint, two renderings: Slack types a slash command, HTTP names the endpoint. Every action has both. */
import { describe, expect, test } from '@jest/globals';
import type { ErrorHint } from '../../src/domain/error-hints.js';
import { RuleViolationError } from '../../src/domain/errors.js';
import { endpointOf, mapError } from '../../src/http/error-mapping.js';
import { slackHint } from '../../src/slack/blocks/error-hints.js';
import { errorMessage } from '../../src/slack/blocks/errors.js';

const logger = { error: () => undefined };

const CASES: Array<[ErrorHint, string, string]> = [
  [{ action: 'set-target', distribution: 'social' }, 'Set one with `/distro target social &lt;platform&gt;`.', 'PUT /api/distributions/social/target'],
  [{ action: 'show-distribution', distribution: 'social' }, 'See `/distro show social`.', 'GET /api/distributions/social'],
  [{ action: 'set-upstream', distribution: 'social' }, 'Set an upstream (git URL or GitHub repository) in the admin backend first.', 'PATCH /api/distributions/social'],
  [{ action: 'propose-upgrade' }, 'Run `/distro upgrade …` again for a fresh summary.', 'POST /api/upgrades'],
  [{ action: 'cancel-task' }, 'Cancel single migrations with `/distro cancel &lt;task&gt;`.', 'POST /api/tasks/{task}/cancel'],
  [{ action: 'list-tasks' }, 'Use the number shown by `/distro tasks`, e.g. `/distro cancel 42`.', 'GET /api/tasks'],
  [{ action: 'list-tasks', site: 'a.example.org' }, 'See `/distro tasks a.example.org`.', 'GET /api/tasks?site=a.example.org'],
];

describe('error hints per transport', () => {
  test.each(CASES)('%j: Slack and HTTP each in their own terms', (hint, slack, endpoint) => {
    expect(slackHint(hint)).toBe(slack);
    expect(endpointOf(hint)).toBe(endpoint);
  });

  test('Slack uses the configured slash command and escapes names', () => {
    expect(slackHint({ action: 'show-distribution', distribution: 'a<b' }, '/ops')).toBe('See `/ops show a&lt;b`.');
  });

  test('HTTP URL-encodes names in the endpoint', () => {
    expect(endpointOf({ action: 'list-tasks', site: 'a b&c' })).toBe('GET /api/tasks?site=a%20b%26c');
  });

  test('one error, two renderings: the Slack reply and the HTTP body', () => {
    const error = new RuleViolationError('Distribution `social` has no upgrade target yet.', { next: { action: 'set-target', distribution: 'social' } });
    const slack = errorMessage(error, logger, { slashCommand: '/distro' });
    expect(slack.text).toBe('Distribution `social` has no upgrade target yet. Set one with `/distro target social &lt;platform&gt;`.');
    expect(JSON.stringify(slack.blocks)).toContain('Set one with `/distro target social &lt;platform&gt;`.');
    expect(JSON.stringify(slack.blocks)).not.toContain('/api/');
    expect(mapError(error)).toEqual({
      status: 422,
      body: {
        code: 'rule_violation',
        message: 'Distribution `social` has no upgrade target yet.',
        hint: { action: 'set-target', distribution: 'social', endpoint: 'PUT /api/distributions/social/target' },
      },
    });
  });

  test('plain advice stays text on both, beside a structured hint over HTTP', () => {
    const error = new RuleViolationError('Not now.', { hint: 'Wait a minute.', next: { action: 'propose-upgrade' } });
    expect(mapError(error).body.hint).toEqual({ action: 'propose-upgrade', endpoint: 'POST /api/upgrades', text: 'Wait a minute.' });
    expect(mapError(new RuleViolationError('Not now.', { hint: 'Wait a minute.' })).body.hint).toBe('Wait a minute.');
  });
});
