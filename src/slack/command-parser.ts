/**
 * `/distro …` text → a typed command; each subcommand's own syntax is in its file under commands/. Pure: only syntax
 * is checked here; whether the named site, platform or distribution exists is for the services, which answer
 * NotFoundError with a suggestion.
 */
import { ValidationError } from '../domain/errors.js';
import { closestMatch } from '../domain/fuzzy.js';
import type { PlanScope } from '../domain/upgrade-plan.js';
import type { CommandArgs, CommandEntry } from './commands/command-entry.js';
import { COMMANDS } from './commands/registry.js';

export type Command =
  | { kind: 'help' }
  | { kind: 'list' }
  | { kind: 'show'; distribution: string }
  | { kind: 'status'; distribution?: string }
  | { kind: 'target'; distribution: string; platform: string }
  | { kind: 'upgrade'; scope: PlanScope }
  | { kind: 'compare'; from: string; to: string }
  | { kind: 'poll'; distribution: string }
  | { kind: 'build'; distribution: string; ref: string }
  | { kind: 'adopt'; site: string; platform: string }
  | { kind: 'tasks'; site?: string }
  | { kind: 'cancel'; task: string }
  | { kind: 'exposure'; distribution?: string; package?: string }
  | { kind: 'rollouts' }
  | { kind: 'pause'; rollout: string }
  | { kind: 'resume'; rollout: string }
  | { kind: 'cancel-rollout'; rollout: string }
  | { kind: 'rollback'; site: string }
  | { kind: 'lock'; platform: string; reason: string }
  | { kind: 'unlock'; platform: string }
  | { kind: 'pin'; name: string; reason: string }
  | { kind: 'unpin'; name: string };

export type CommandKind = Command['kind'];

export interface CommandUsage {
  kind: CommandKind;
  /** Forms, without the slash command itself. */
  forms: readonly string[];
  description: string;
  /** The short form for Slack's autocomplete (manifest.yml's usage_hint). */
  hint: string;
}

/** The help text and every "usage:" hint come from the command registry, in its order. */
export const COMMAND_USAGE: readonly CommandUsage[] = (Object.keys(COMMANDS) as CommandKind[]).map((kind) => {
  const { forms, description, hint } = COMMANDS[kind];
  return { kind, forms, description, hint };
});

const KINDS = COMMAND_USAGE.map((u) => u.kind);

export const usageOf = (kind: CommandKind, slashCommand = '/distro'): string =>
  COMMAND_USAGE.find((u) => u.kind === kind)!
    .forms.map((f) => `\`${slashCommand} ${f}\``)
    .join(' or ');

/** Undoes Slack's auto-formatting of typed text: `<http://a.org|a.org>` → `a.org`, `<#C1|name>` → `name`. */
const unwrapSlackLink = (token: string): string => {
  const m = /^<([^>|]+)(?:\|([^>]+))?>$/.exec(token);
  if (!m) return token;
  return m[2] ?? m[1]!.replace(/^[#@]/, '');
};

export const tokenize = (text: string): string[] =>
  text
    .replace(/[\u2013\u2014]/g, '--') // Slack clients turn `--` into an en/em dash
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(unwrapSlackLink);

/** Parses the text after the slash command. Throws ValidationError with the usage of the subcommand. */
export const parseCommand = (text: string, slashCommand = '/distro'): Command => {
  const [first, ...args] = tokenize(text);
  if (!first) return { kind: 'help' };
  const name = first.toLowerCase();
  const kind = KINDS.find((k) => k === name);
  if (!kind) {
    const suggestion = closestMatch(name, KINDS);
    throw new ValidationError(
      `Unknown command \`${first}\`.` + (suggestion ? ` Did you mean \`${suggestion}\`?` : ''),
      [],
      { hint: suggestion ? `${slashCommand} ${[suggestion, ...args].join(' ')}` : `${slashCommand} help` },
    );
  }
  const bad = (problem: string): ValidationError =>
    new ValidationError(`${problem} Usage: ${usageOf(kind, slashCommand)}`, [], { hint: usageOf(kind, slashCommand) });
  const a: CommandArgs = {
    args,
    bad,
    none: () => {
      if (args.length) throw bad(`\`${kind}\` takes no arguments.`);
    },
    exactly: (n, what) => {
      if (args.length < n) throw bad(`\`${kind}\` needs ${what}.`);
      if (args.length > n) throw bad(`\`${kind}\` takes ${what}, not \`${args.join(' ')}\`.`);
      return args;
    },
    atMost1: (what) => {
      if (args.length > 1) throw bad(`\`${kind}\` takes at most ${what}.`);
      return args[0];
    },
  };
  // Each entry's parse returns its own kind; the registry's type ties entry to kind.
  return (COMMANDS[kind] as CommandEntry<CommandKind>).parse(a);
};
