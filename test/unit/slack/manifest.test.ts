import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { loadConfig } from '../../../src/config.js';
import { parseYaml, type YamlValue } from '../../../src/domain/compare/parse-yaml.js';
import { COMMAND_USAGE } from '../../../src/slack/command-parser.js';
import { EXTRA_BOT_SCOPES, SLACK_BOT_EVENTS, SLACK_EVENTS_PATH, WEB_API_SCOPES } from '../../../src/slack/slack-app.js';

type Tree = { [key: string]: YamlValue };
const manifest = parseYaml(readFileSync('manifest.yml', 'utf8'), 'manifest.yml') as Tree;
const at = (path: string): YamlValue | null => path.split('.').reduce<YamlValue | null>((node, key) => (node as Tree | null)?.[key] ?? null, manifest);

describe('manifest.yml', () => {
  test('has the sections a Slack app manifest needs', () => {
    expect(at('display_information.name')).toBe('Distro');
    expect(at('features.bot_user.display_name')).toBe('Distro');
    expect(at('features.app_home.home_tab_enabled')).toBe('true');
    expect(at('settings.interactivity.is_enabled')).toBe('true');
  });

  test('the slash command is the one the app registers by default, with a usage hint naming real subcommands', () => {
    const commands = at('features.slash_commands') as Tree[];
    expect(commands).toHaveLength(1);
    expect(commands[0]!.command).toBe(loadConfig({}).slack.command);
    const hint = String(commands[0]!.usage_hint);
    const words = hint.split('|').map((part) => part.trim().split(' ')[0]);
    // Every subcommand, each once (nothing the parser does not know).
    expect([...words].sort()).toEqual(COMMAND_USAGE.map((u) => u.kind).sort());
  });

  test('every Request URL is the one path the receiver listens on', () => {
    const urls = [
      (at('features.slash_commands') as Tree[])[0]!.url,
      at('settings.interactivity.request_url'),
      at('settings.event_subscriptions.request_url'),
    ];
    for (const url of urls) expect(new URL(String(url)).pathname).toBe(SLACK_EVENTS_PATH);
  });

  test('bot events are exactly what the app subscribes to', () => {
    expect(at('settings.event_subscriptions.bot_events')).toEqual([...SLACK_BOT_EVENTS]);
  });

  test('bot scopes are exactly what the called Web API methods need', () => {
    const needed = new Set([...Object.values(WEB_API_SCOPES).filter((s): s is string => s !== null), ...EXTRA_BOT_SCOPES]);
    expect([...(at('oauth_config.scopes.bot') as string[])].sort()).toEqual([...needed].sort());
  });
});

describe('manifest.socket-mode.yml', () => {
  const socket = parseYaml(readFileSync('manifest.socket-mode.yml', 'utf8'), 'manifest.socket-mode.yml') as Tree;

  test('is manifest.yml without Request URLs and with Socket Mode on', () => {
    const http = structuredClone(manifest) as Tree & { features: Tree & { slash_commands: Tree[] }; settings: Tree & { event_subscriptions: Tree; interactivity: Tree } };
    for (const command of http.features.slash_commands) delete command['url'];
    delete http.settings.event_subscriptions['request_url'];
    delete http.settings.interactivity['request_url'];
    http.settings['socket_mode_enabled'] = 'true';
    expect(socket).toEqual(http);
  });
});
