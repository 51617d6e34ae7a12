/** `/distro adopt <site> <platform>`: record a site that already exists on a platform (checked there, never touched). */
import { code, notice } from '../blocks/kit.js';
import { assertPermitted } from '../listeners/shared.js';
import type { CommandEntry } from './command-entry.js';

export const adopt: CommandEntry<'adopt'> = {
  forms: ['adopt <site> <platform>'],
  description: 'Record a site that already exists on a platform (the hosting driver checks it is there; nothing is installed).',
  hint: 'adopt <site> <platform>',
  parse: (a) => {
    const [site, platform] = a.exactly(2, 'a site and its platform');
    return { kind: 'adopt', site: site!, platform: platform! };
  },
  run: async (cmd, deps, inv) => {
    // It changes which sites upgrades reach: the same people as Confirm.
    await assertPermitted(deps, inv.userId, inv.client);
    const site = await deps.services.sites.adopt({ name: cmd.site, platform: cmd.platform }, inv.actor);
    const modules = site.modules.length ? `${site.modules.length} enabled modules recorded` : 'no module list found (Compare checks no modules for it)';
    await inv.reply(notice(`:inbox_tray: Adopted ${code(site.name)} on ${code(cmd.platform)}: found there, ${modules}. Nothing on the site was changed.`));
  },
};
