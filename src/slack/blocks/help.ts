/** `/distro help`: every command with its usage, from the command registry's usage list (passed in). */
import type { CommandUsage } from '../command-parser.js';
import { context, esc, header, message, section, type SlackMessage } from './kit.js';

export const helpMessage = (usage: readonly CommandUsage[], slashCommand = '/distro'): SlackMessage => {
  const lines = usage.map(
    (u) => `${u.forms.map((f) => `\`${esc(`${slashCommand} ${f}`)}\``).join('\n')}\n      ${u.description}`,
  );
  return message(`Distro commands: ${usage.map((u) => u.kind).join(', ')}`, [
    header('Distro: keep sites on their distribution’s upgrade target'),
    section(lines.join('\n')),
    context('Names are matched exactly; a near miss gets a "did you mean". Upgrades need a Confirm click.'),
  ]);
};
