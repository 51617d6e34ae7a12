/** `/distro unlock <platform>`: removes a manual lock. */
import { holdClearedMessage } from '../blocks/holds.js';
import { assertPermitted } from '../listeners/shared.js';
import type { CommandEntry } from './command-entry.js';

export const unlock: CommandEntry<'unlock'> = {
  forms: ['unlock <platform>'],
  description: 'Remove a manual lock from a platform.',
  hint: 'unlock <platform>',
  parse: (a) => ({ kind: 'unlock', platform: a.exactly(1, 'a platform')[0]! }),
  run: async (cmd, deps, inv) => {
    await assertPermitted(deps, inv.userId, inv.client);
    await inv.reply(holdClearedMessage(await deps.services.holds.clear('platform', cmd.platform, inv.actor)));
  },
};
