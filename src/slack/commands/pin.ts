/** `/distro pin <site|distribution> <reason>`: holds a site, or every site of a distribution, out of upgrades. */
import { NotFoundError } from '../../domain/errors.js';
import type { HoldKind } from '../../domain/hold.js';
import type { Services } from '../../services/services.js';
import { holdSetMessage } from '../blocks/holds.js';
import { assertPermitted } from '../listeners/shared.js';
import type { CommandEntry } from './command-entry.js';
import { nameAndReason } from './hold-args.js';

/** A site of that name, else a distribution of that slug (the site's NotFoundError when neither exists). */
export const pinKind = async (services: Services, name: string): Promise<HoldKind> => {
  try {
    await services.sites.get(name);
    return 'site';
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    await services.distributions.get(name).catch(() => {
      throw error;
    });
    return 'distribution';
  }
};

export const pin: CommandEntry<'pin'> = {
  forms: ['pin <site|distribution> <reason>'],
  description: 'Hold a site (or a whole distribution) out of upgrades, saying why.',
  hint: 'pin <site-or-distro> <reason>',
  parse: (a) => ({ kind: 'pin', ...nameAndReason(a, 'site or distribution') }),
  run: async (cmd, deps, inv) => {
    await assertPermitted(deps, inv.userId, inv.client);
    const kind = await pinKind(deps.services, cmd.name);
    await inv.reply(holdSetMessage(await deps.services.holds.set(kind, cmd.name, cmd.reason, inv.actor), deps.slashCommand));
  },
};
