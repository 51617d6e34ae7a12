/** `/distro rollouts`. */
import { rolloutListMessage } from '../blocks/rollout.js';
import type { CommandEntry } from './command-entry.js';

export const rollouts: CommandEntry<'rollouts'> = {
  forms: ['rollouts'],
  description: 'Recent rollouts with their state and wave.',
  hint: 'rollouts',
  parse: (a) => {
    a.none();
    return { kind: 'rollouts' };
  },
  run: async (_cmd, deps, inv) => {
    const { items } = await deps.services.rollouts.list({}, { limit: 10, offset: 0 });
    await inv.reply(rolloutListMessage(items));
  },
};
