/** The shape of one `/distro` subcommand: its usage, its parse and its handler, kept together in one file. */
import type { WebClient } from '@slack/web-api';
import type { Actor } from '../../domain/actor.js';
import type { ValidationError } from '../../domain/errors.js';
import type { Command, CommandKind, CommandUsage } from '../command-parser.js';
import type { ListenerDeps, Reply } from '../listeners/shared.js';

/** The words after the subcommand, with the checks every parse needs (each throws with the subcommand's usage). */
export interface CommandArgs {
  readonly args: readonly string[];
  /** A refusal naming the problem, with the usage of the subcommand. */
  bad(problem: string): ValidationError;
  none(): void;
  exactly(n: number, what: string): readonly string[];
  atMost1(what: string): string | undefined;
}

export interface Invocation {
  userId: string;
  actor: Actor;
  channel: string;
  /** Typed in a direct message (summaries go to channels, where the team can see and confirm them). */
  direct: boolean;
  reply: Reply;
  client: WebClient;
  /** Every subcommand's usage, in help order (passed in so `help` needs no import of the registry). */
  usage: readonly CommandUsage[];
}

export type CommandOf<K extends CommandKind> = Extract<Command, { kind: K }>;

export interface CommandEntry<K extends CommandKind> {
  /** Forms, without the slash command itself (help and every "usage:" hint). */
  forms: readonly string[];
  description: string;
  /** The short form shown in Slack's autocomplete (manifest.yml's usage_hint). */
  hint: string;
  parse(a: CommandArgs): CommandOf<K>;
  run(cmd: CommandOf<K>, deps: ListenerDeps, inv: Invocation): Promise<void>;
}
