/** `/distro exposure [<distribution>|<package>]`. */
import { ALL_ITEMS } from '../../domain/ports.js';
import { exposureMessage, packageExposureMessage } from '../blocks/exposure.js';
import type { CommandEntry } from './command-entry.js';

/** A composer package name has a vendor (`drupal/core`); a distribution slug has none. */
const PACKAGE = /^[a-z0-9_.-]+\/[a-z0-9_.-]+$/i;

export const exposure: CommandEntry<'exposure'> = {
  forms: ['exposure [<distribution>|<package>]'],
  description: 'Sites exposed to Drupal security advisories, and whether the target fixes them.',
  hint: 'exposure [<distro or package>]',
  parse: (a) => {
    const what = a.atMost1('one distribution or package');
    if (!what) return { kind: 'exposure' };
    if (what.includes('/')) {
      if (!PACKAGE.test(what) || what.length > 214) throw a.bad(`\`${what.slice(0, 100)}\` is not a composer package name such as drupal/core`);
      return { kind: 'exposure', package: what };
    }
    return { kind: 'exposure', distribution: what };
  },
  run: async (cmd, { services }, inv) => {
    const feeds = await services.advisories.feedStatus();
    if (cmd.package) {
      const rows = await services.advisories.exposure({ package: cmd.package }, ALL_ITEMS);
      await inv.reply(packageExposureMessage(cmd.package, rows.items, rows.total, feeds));
      return;
    }
    await inv.reply(exposureMessage(await services.advisories.summary(cmd.distribution), feeds));
  },
};
