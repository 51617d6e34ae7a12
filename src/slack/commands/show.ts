/** `/distro show <distribution>`. */
import { showMessage } from '../blocks/show.js';
import type { CommandEntry } from './command-entry.js';

export const show: CommandEntry<'show'> = {
  forms: ['show <distribution>'],
  description: 'Platforms of a distribution, their status and sites.',
  hint: 'show <distro>',
  parse: (a) => ({ kind: 'show', distribution: a.exactly(1, 'a distribution')[0]! }),
  run: async (cmd, deps, inv) => void (await inv.reply(showMessage(await deps.services.distributions.show(cmd.distribution)))),
};
