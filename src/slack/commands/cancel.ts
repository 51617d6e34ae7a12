/** `/distro cancel <task>`. */
import { code, notice } from '../blocks/kit.js';
import { assertPermitted } from '../listeners/shared.js';
import type { CommandEntry } from './command-entry.js';

export const cancel: CommandEntry<'cancel'> = {
  forms: ['cancel <task>'],
  description: 'Cancel a queued task by its number (e.g. `cancel 42`).',
  hint: 'cancel <task>',
  parse: (a) => ({ kind: 'cancel', task: a.exactly(1, 'a task number')[0]! }),
  run: async (cmd, deps, inv) => {
    // Cancelling someone's scheduled upgrade is as consequential as confirming one.
    await assertPermitted(deps, inv.userId, inv.client);
    const task = await deps.services.tasks.cancel(cmd.task, inv.actor);
    await inv.reply(notice(`:no_entry_sign: Task #${task.number} (${code(task.subject.name)}) is cancelled.`));
  },
};
