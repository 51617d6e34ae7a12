import { describe, expect, test } from '@jest/globals';
import { ValidationError } from '../../../src/domain/errors.js';
import { COMMAND_USAGE, parseCommand, tokenize, usageOf } from '../../../src/slack/command-parser.js';

const refusal = (text: string): ValidationError => {
  try {
    parseCommand(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error(`"${text}" was accepted`);
};

describe('parseCommand', () => {
  test.each([
    ['', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['  LIST ', { kind: 'list' }],
    ['show social', { kind: 'show', distribution: 'social' }],
    ['status', { kind: 'status' }],
    ['status social', { kind: 'status', distribution: 'social' }],
    ['target social social-12.4.2', { kind: 'target', distribution: 'social', platform: 'social-12.4.2' }],
    ['upgrade community.example.org', { kind: 'upgrade', scope: { kind: 'site', name: 'community.example.org' } }],
    ['upgrade --platform social-12.3.3', { kind: 'upgrade', scope: { kind: 'platform', name: 'social-12.3.3' } }],
    ['upgrade --platform=social-12.3.3', { kind: 'upgrade', scope: { kind: 'platform', name: 'social-12.3.3' } }],
    ['upgrade --distro social', { kind: 'upgrade', scope: { kind: 'distribution', slug: 'social' } }],
    ['upgrade —distro social', { kind: 'upgrade', scope: { kind: 'distribution', slug: 'social' } }],
    ['compare social-12.3.3 social-12.4.2', { kind: 'compare', from: 'social-12.3.3', to: 'social-12.4.2' }],
    ['poll social', { kind: 'poll', distribution: 'social' }],
    ['tasks', { kind: 'tasks' }],
    ['tasks a.example.org', { kind: 'tasks', site: 'a.example.org' }],
    ['cancel 42', { kind: 'cancel', task: '42' }],
  ])('%j', (text, expected) => {
    expect(parseCommand(text)).toEqual(expected);
  });

  test('Slack auto-links are unwrapped to what the user typed', () => {
    expect(parseCommand('upgrade <http://community.example.org|community.example.org>')).toEqual({
      kind: 'upgrade',
      scope: { kind: 'site', name: 'community.example.org' },
    });
    expect(tokenize('tasks <https://a.example.org>')).toEqual(['tasks', 'https://a.example.org']);
  });

  test('an unknown subcommand suggests the closest one, as a corrected command', () => {
    const e = refusal('upgarde a.example.org');
    expect(e.message).toBe('Unknown command `upgarde`. Did you mean `upgrade`?');
    expect(e.hint).toBe('/distro upgrade a.example.org');
  });

  test('an unknown subcommand with nothing close points at help', () => {
    const e = refusal('xyzzyplugh');
    expect(e.message).toBe('Unknown command `xyzzyplugh`.');
    expect(e.hint).toBe('/distro help');
  });

  test.each([
    ['show', 'show'],
    ['show a b', 'show'],
    ['target social', 'target'],
    ['target a b c', 'target'],
    ['upgrade', 'upgrade'],
    ['upgrade a.example.org b.example.org', 'upgrade'],
    ['upgrade --platform', 'upgrade'],
    ['upgrade --distro a b', 'upgrade'],
    ['upgrade --everything', 'upgrade'],
    ['compare only-one', 'compare'],
    ['compare same same', 'compare'],
    ['cancel', 'cancel'],
    ['status a b', 'status'],
    ['tasks a b', 'tasks'],
    ['list everything', 'list'],
  ] as const)('malformed %j is refused with the usage of %s', (text, kind) => {
    const e = refusal(text);
    expect(e.hint).toBe(usageOf(kind));
    expect(e.message).toContain(usageOf(kind));
  });

  test('usage text names the configured slash command', () => {
    expect(usageOf('upgrade', '/ops')).toBe('`/ops upgrade <site>` or `/ops upgrade --platform <platform>` or `/ops upgrade --distro <distribution>`');
    expect(refusal('show').message).toContain('`/distro show <distribution>`');
  });

  test('every command kind has usage', () => {
    const kinds = COMMAND_USAGE.map((u) => u.kind).sort();
    expect(kinds).toEqual(['adopt', 'build', 'cancel', 'cancel-rollout', 'compare', 'exposure', 'help', 'list', 'lock', 'pause', 'pin', 'poll', 'resume', 'rollback', 'rollouts', 'show', 'status', 'target', 'tasks', 'unlock', 'unpin', 'upgrade']);
  });

  test('lock and pin take a name and a reason of several words; the reason is required', () => {
    expect(parseCommand('lock social-12.3.0 waiting for client sign-off')).toEqual({ kind: 'lock', platform: 'social-12.3.0', reason: 'waiting for client sign-off' });
    expect(parseCommand('pin a.example.org  budget  freeze')).toEqual({ kind: 'pin', name: 'a.example.org', reason: 'budget freeze' });
    expect(() => parseCommand('lock social-12.3.0')).toThrow(/Say why/);
    expect(() => parseCommand('pin')).toThrow(/Say which site or distribution/);
    expect(parseCommand('rollback a.example.org')).toEqual({ kind: 'rollback', site: 'a.example.org' });
    expect(() => parseCommand('rollback')).toThrow(/needs a site/);
  });
});
