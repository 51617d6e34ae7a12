/** `/distro target <distribution> <platform>`. */
import { needsTargetConfirmation } from '../../services/upgrade-service.js';
import { targetChangedMessage, targetWarningMessage } from '../blocks/target-change.js';
import { assertPermitted } from '../listeners/shared.js';
import type { CommandEntry } from './command-entry.js';

export const target: CommandEntry<'target'> = {
  forms: ['target <distribution> <platform>'],
  description: 'Make a built platform the upgrade target (locks the others).',
  hint: 'target <distro> <platform>',
  parse: (a) => {
    const [distribution, platform] = a.exactly(2, 'a distribution and a platform');
    return { kind: 'target', distribution: distribution!, platform: platform! };
  },
  run: async (cmd, deps, inv) => {
    const { services } = deps;
    await assertPermitted(deps, inv.userId, inv.client);
    // Going back to an older build, or to one some sites cannot reach, is done only after an explicit click.
    const impact = await services.upgrades.targetImpact(cmd.distribution, cmd.platform);
    if (needsTargetConfirmation(impact)) return void (await inv.reply(targetWarningMessage(impact)));
    const change = await services.distributions.setTarget(cmd.distribution, cmd.platform, inv.actor, {
      expectedTargetId: impact.current?.id ?? null,
    });
    await inv.reply(targetChangedMessage(change));
  },
};
