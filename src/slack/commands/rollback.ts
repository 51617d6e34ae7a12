/** `/distro rollback <site>`: puts a migrated site back on the platform it came from, from its backup. */
import { rollbackStartedMessage } from '../blocks/rollback.js';
import { assertPermitted } from '../listeners/shared.js';
import type { CommandEntry } from './command-entry.js';

export const rollback: CommandEntry<'rollback'> = {
  forms: ['rollback <site>'],
  description: 'Put a migrated site back on its previous platform, from the backup taken before the migration.',
  hint: 'rollback <site>',
  parse: (a) => ({ kind: 'rollback', site: a.exactly(1, 'a site')[0]! }),
  run: async (cmd, deps, inv) => {
    // As consequential as confirming an upgrade: the same people may do it.
    await assertPermitted(deps, inv.userId, inv.client);
    const { task, status } = await deps.services.rollbacks.request(cmd.site, inv.actor);
    await inv.reply(rollbackStartedMessage(task, status));
  },
};
