/** `/distro list`. */
import { listMessage } from '../blocks/list.js';
import type { CommandEntry } from './command-entry.js';

export const list: CommandEntry<'list'> = {
  forms: ['list'],
  description: 'Distributions with their upgrade target and out-of-date sites.',
  hint: 'list',
  parse: (a) => (a.none(), { kind: 'list' }),
  run: async (_cmd, deps, inv) => void (await inv.reply(listMessage(await deps.services.distributions.list()))),
};
