/** `/distro compare <platformA> <platformB>`. */
import { compareMessage } from '../blocks/compare-summary.js';
import type { CommandEntry } from './command-entry.js';

export const compare: CommandEntry<'compare'> = {
  forms: ['compare <platformA> <platformB>'],
  description: 'What changes between two platforms, security fixes first.',
  hint: 'compare <a> <b>',
  parse: (a) => {
    const [from, to] = a.exactly(2, 'two platforms');
    if (from === to) throw a.bad('Compare needs two different platforms.');
    return { kind: 'compare', from: from!, to: to! };
  },
  run: async (cmd, { services }, inv) => {
    const result = await services.compare.compareByName(cmd.from, cmd.to);
    await inv.reply(compareMessage(result, services.links.compareUrl(result.from.id, result.to.id), (id) => services.links.advisoryUrl(id)));
  },
};
