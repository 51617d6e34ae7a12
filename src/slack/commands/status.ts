/** `/distro status [<distribution>]`. */
import { statusMessage } from '../blocks/status.js';
import type { CommandEntry } from './command-entry.js';

export const status: CommandEntry<'status'> = {
  forms: ['status [<distribution>]'],
  description: 'Out-of-date sites, grouped by platform.',
  hint: 'status [<distro>]',
  parse: (a) => {
    const distribution = a.atMost1('one distribution');
    return distribution ? { kind: 'status', distribution } : { kind: 'status' };
  },
  run: async (cmd, { services }, inv) => {
    const reports = await services.distributions.status(cmd.distribution);
    await inv.reply(statusMessage(reports, { distributionUrl: (slug) => services.links.distributionUrl(slug) }));
  },
};
