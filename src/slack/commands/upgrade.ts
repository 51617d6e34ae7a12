/** `/distro upgrade <site> | --platform <platform> | --distro <distribution>`. */
import type { PlanScope } from '../../domain/upgrade-plan.js';
import type { CommandArgs, CommandEntry } from './command-entry.js';
import { proposeAndPost } from './propose-and-post.js';

const UPGRADE_OPTIONS: Record<string, 'platform' | 'distribution'> = {
  '--platform': 'platform',
  '--distro': 'distribution',
  '--distribution': 'distribution',
};

const parseUpgradeScope = ({ args, bad }: CommandArgs): PlanScope => {
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

export const upgrade: CommandEntry<'upgrade'> = {
  forms: ['upgrade <site>', 'upgrade --platform <platform>', 'upgrade --distro <distribution>'],
  description: 'Post an upgrade summary (Compare) with Confirm / Cancel buttons.',
  hint: 'upgrade <site>',
  parse: (a) => ({ kind: 'upgrade', scope: parseUpgradeScope(a) }),
  run: (cmd, deps, inv) => proposeAndPost(deps, cmd.scope, inv.actor, inv.channel, inv.direct),
};
