/**
 * `/distro …` text → a typed command. Pure: only syntax is checked here; whether the named site, platform or
 * distribution exists is for the services, which answer NotFoundError with a suggestion.
 */
import { ValidationError } from '../domain/errors.js';
import { closestMatch } from '../domain/fuzzy.js';
import type { PlanScope } from '../domain/upgrade-plan.js';

export type Command =
  | { kind: 'help' }
  | { kind: 'list' }
  | { kind: 'show'; distribution: string }
  | { kind: 'status'; distribution?: string }
  | { kind: 'target'; distribution: string; platform: string }
  | { kind: 'upgrade'; scope: PlanScope }
  | { kind: 'compare'; from: string; to: string }
  | { kind: 'poll'; distribution: string }
  | { kind: 'tasks'; site?: string }
  | { kind: 'cancel'; task: string };

export type CommandKind = Command['kind'];

export interface CommandUsage {
  kind: CommandKind;
  /** Forms, without the slash command itself. */
  forms: string[];
  description: string;
}

/** The help text and every "usage:" hint come from this one table. */
export const COMMAND_USAGE: readonly CommandUsage[] = [
  { kind: 'help', forms: ['help'], description: 'Show this help.' },
  { kind: 'list', forms: ['list'], description: 'Distributions with their upgrade target and out-of-date sites.' },
  { kind: 'show', forms: ['show <distribution>'], description: 'Platforms of a distribution, their status and sites.' },
  { kind: 'status', forms: ['status [<distribution>]'], description: 'Out-of-date sites, grouped by platform.' },
  { kind: 'target', forms: ['target <distribution> <platform>'], description: 'Make a built platform the upgrade target (locks the others).' },
  {
    kind: 'upgrade',
    forms: ['upgrade <site>', 'upgrade --platform <platform>', 'upgrade --distro <distribution>'],
    description: 'Post an upgrade summary (Compare) with Confirm / Cancel buttons.',
  },
  { kind: 'compare', forms: ['compare <platformA> <platformB>'], description: 'What changes between two platforms, security fixes first.' },
  { kind: 'poll', forms: ['poll <distribution>'], description: 'Check upstream for new builds now.' },
  { kind: 'tasks', forms: ['tasks [<site>]'], description: 'Recent tasks, for one site or all.' },
  { kind: 'cancel', forms: ['cancel <task>'], description: 'Cancel a queued task by its number (e.g. `cancel 42`).' },
];

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
  const exactly = (n: number, what: string): string[] => {
    if (args.length < n) throw bad(`\`${kind}\` needs ${what}.`);
    if (args.length > n) throw bad(`\`${kind}\` takes ${what}, not \`${args.join(' ')}\`.`);
    return args;
  };
  const atMost1 = (what: string): string | undefined => {
    if (args.length > 1) throw bad(`\`${kind}\` takes at most ${what}.`);
    return args[0];
  };

  switch (kind) {
    case 'help':
    case 'list':
      if (args.length) throw bad(`\`${kind}\` takes no arguments.`);
      return { kind };
    case 'show':
      return { kind, distribution: exactly(1, 'a distribution')[0]! };
    case 'poll':
      return { kind, distribution: exactly(1, 'a distribution')[0]! };
    case 'status': {
      const distribution = atMost1('one distribution');
      return distribution ? { kind, distribution } : { kind };
    }
    case 'tasks': {
      const site = atMost1('one site');
      return site ? { kind, site } : { kind };
    }
    case 'cancel':
      return { kind, task: exactly(1, 'a task number')[0]! };
    case 'target': {
      const [distribution, platform] = exactly(2, 'a distribution and a platform');
      return { kind, distribution: distribution!, platform: platform! };
    }
    case 'compare': {
      const [from, to] = exactly(2, 'two platforms');
      if (from === to) throw bad('Compare needs two different platforms.');
      return { kind, from: from!, to: to! };
    }
    case 'upgrade':
      return { kind, scope: parseUpgradeScope(args, bad) };
  }
};

const UPGRADE_OPTIONS: Record<string, 'platform' | 'distribution'> = {
  '--platform': 'platform',
  '--distro': 'distribution',
  '--distribution': 'distribution',
};

const parseUpgradeScope = (args: string[], bad: (problem: string) => ValidationError): PlanScope => {
  const [head, ...rest] = args;
  if (!head) throw bad('`upgrade` needs a site, `--platform <platform>` or `--distro <distribution>`.');
  // Accept `--platform=x` as well as `--platform x`.
  const eq = /^(--[a-z]+)=(.+)$/.exec(head);
  const flag = eq ? eq[1]! : head;
  const values = eq ? [eq[2]!, ...rest] : rest;
  if (!flag.startsWith('-')) {
    if (args.length > 1) throw bad('`upgrade` takes one site at a time.');
    return { kind: 'site', name: head };
  }
  const option = UPGRADE_OPTIONS[flag];
  if (!option) throw bad(`Unknown option \`${flag}\`.`);
  if (values.length !== 1) throw bad(`\`${flag}\` needs exactly one ${option} name.`);
  return option === 'platform' ? { kind: 'platform', name: values[0]! } : { kind: 'distribution', slug: values[0]! };
};
