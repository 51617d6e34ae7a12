/** `/distro tasks [<site>]`. */
import { taskListMessage } from '../blocks/task-list.js';
import type { CommandEntry } from './command-entry.js';

export const tasks: CommandEntry<'tasks'> = {
  forms: ['tasks [<site>]'],
  description: 'Recent tasks, for one site or all.',
  hint: 'tasks [<site>]',
  parse: (a) => {
    const site = a.atMost1('one site');
    return site ? { kind: 'tasks', site } : { kind: 'tasks' };
  },
  run: async (cmd, { services }, inv) => void (await inv.reply(taskListMessage(await services.tasks.recent(cmd.site), cmd.site))),
};
