/** `/distro help` (also an empty `/distro`). */
import { helpMessage } from '../blocks/help.js';
import type { CommandEntry } from './command-entry.js';

export const help: CommandEntry<'help'> = {
  forms: ['help'],
  description: 'Show this help.',
  hint: 'help',
  parse: (a) => (a.none(), { kind: 'help' }),
  run: async (_cmd, deps, inv) => void (await inv.reply(helpMessage(inv.usage, deps.slashCommand))),
};
