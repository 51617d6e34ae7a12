/** `/distro unpin <site|distribution>`. */
import { holdClearedMessage } from '../blocks/holds.js';
import { assertPermitted } from '../listeners/shared.js';
import type { CommandEntry } from './command-entry.js';
import { pinKind } from './pin.js';

export const unpin: CommandEntry<'unpin'> = {
  forms: ['unpin <site|distribution>'],
  description: 'Let a pinned site or distribution be upgraded again.',
  hint: 'unpin <site-or-distro>',
  parse: (a) => ({ kind: 'unpin', name: a.exactly(1, 'a site or distribution')[0]! }),
  run: async (cmd, deps, inv) => {
    await assertPermitted(deps, inv.userId, inv.client);
    const kind = await pinKind(deps.services, cmd.name);
    await inv.reply(holdClearedMessage(await deps.services.holds.clear(kind, cmd.name, inv.actor)));
  },
};
