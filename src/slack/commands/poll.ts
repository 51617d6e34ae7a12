/** `/distro poll <distribution>`. */
import { code, notice } from '../blocks/kit.js';
import type { CommandEntry } from './command-entry.js';

export const poll: CommandEntry<'poll'> = {
  forms: ['poll <distribution>'],
  description: 'Check upstream for new builds now.',
  hint: 'poll <distro>',
  parse: (a) => ({ kind: 'poll', distribution: a.exactly(1, 'a distribution')[0]! }),
  run: async (cmd, { services }, inv) => {
    const d = await services.distributions.get(cmd.distribution);
    await services.polls.pollNow(d.slug, inv.actor);
    await inv.reply(
      notice(
        `:satellite: Checking the upstream of ${code(d.slug)} now. ` +
          (d.channel ? `A new build is announced in <#${d.channel}>; if there is none, I tell you there (only you see it).` : 'A new build is announced.'),
      ),
    );
  },
};
