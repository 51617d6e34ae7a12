import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { parseYaml, type YamlValue } from '../../../src/domain/compare/parse-yaml.js';
import { helpMessage } from '../../../src/slack/blocks/help.js';
import { esc } from '../../../src/slack/blocks/kit.js';
import { COMMAND_USAGE, parseCommand } from '../../../src/slack/command-parser.js';
import { COMMANDS } from '../../../src/slack/commands/registry.js';
import { blockText } from '../../support/slack-stand-in.js';

type Tree = { [key: string]: YamlValue };
const manifest = parseYaml(readFileSync('manifest.yml', 'utf8'), 'manifest.yml') as Tree;
const usageHint = (): string => String(((manifest.features as Tree).slash_commands as Tree[])[0]!.usage_hint);

/** A usage form with its placeholders filled in: `target <distribution> <platform>` → `target x1 x2`. */
const filled = (form: string): string => {
  let n = 0;
  return form.replace(/\[?<[^>]+>\]?/g, () => `x${++n}`);
};

describe('the /distro command registry is the one list of subcommands', () => {
  test('the usage list is the registry, in its order', () => {
    expect(COMMAND_USAGE.map((u) => u.kind)).toEqual(Object.keys(COMMANDS));
    for (const u of COMMAND_USAGE) expect(u.forms).toEqual(COMMANDS[u.kind].forms);
  });

  test("every usage form parses to its own entry's kind", () => {
    for (const u of COMMAND_USAGE) for (const form of u.forms) expect(parseCommand(filled(form)).kind).toBe(u.kind);
  });

  test('help lists every form and description of every entry, in registry order', () => {
    const m = helpMessage(COMMAND_USAGE, '/ops');
    const text = blockText(m.blocks);
    const positions = COMMAND_USAGE.map((u) => {
      for (const form of u.forms) expect(text).toContain(`\`${esc(`/ops ${form}`)}\``);
      expect(text).toContain(u.description);
      return text.indexOf(`\`${esc(`/ops ${u.forms[0]}`)}\``);
    });
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(m.text).toBe(`Distro commands: ${Object.keys(COMMANDS).join(', ')}`);
  });

  test("manifest.yml's usage_hint is the registry's hints, in order", () => {
    expect(usageHint()).toBe(COMMAND_USAGE.map((u) => u.hint).join(' | '));
    for (const u of COMMAND_USAGE) expect(u.hint.split(' ')[0]).toBe(u.kind);
  });
});
