/** `/distro lock <platform> <reason>`: a manual lock, with who and why shown wherever the platform appears. */
import { holdSetMessage } from '../blocks/holds.js';
import { assertPermitted } from '../listeners/shared.js';
import type { CommandEntry } from './command-entry.js';
import { nameAndReason } from './hold-args.js';

export const lock: CommandEntry<'lock'> = {
  forms: ['lock <platform> <reason>'],
  description: 'Lock a platform by hand: no new sites, never the target. The reason is shown with it.',
  hint: 'lock <platform> <reason>',
  parse: (a) => {
    const { name, reason } = nameAndReason(a, 'platform');
    return { kind: 'lock', platform: name, reason };
  },
  run: async (cmd, deps, inv) => {
    await assertPermitted(deps, inv.userId, inv.client);
    await inv.reply(holdSetMessage(await deps.services.holds.set('platform', cmd.platform, cmd.reason, inv.actor), deps.slashCommand));
  },
};
