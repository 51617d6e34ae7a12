/** `/distro build <distribution> <tag-or-ref>`: build a chosen release (an older tag, or a failed build again). */
import { code, notice } from '../blocks/kit.js';
import type { CommandEntry } from './command-entry.js';

export const build: CommandEntry<'build'> = {
  forms: ['build <distribution> <tag-or-ref>'],
  description: 'Build a chosen tag or branch of the upstream (an older release, or a failed build again).',
  hint: 'build <distro> <tag-or-ref>',
  parse: (a) => {
    const [distribution, ref] = a.exactly(2, 'a distribution and a tag or branch');
    return { kind: 'build', distribution: distribution!, ref: ref! };
  },
  run: async (cmd, { services }, inv) => {
    const { platform, outcome } = await services.releases.build(cmd.distribution, cmd.ref, inv.actor);
    const text =
      outcome === 'queued'
        ? `:hammer_and_wrench: Building ${code(cmd.ref)} as ${code(platform.name)}; the build is announced when it is done.`
        : outcome === 'already-queued'
          ? `${code(cmd.ref)} is already being built as ${code(platform.name)}.`
          : `${code(cmd.ref)} is already built: ${code(platform.name)} (${platform.status}).`;
    await inv.reply(notice(text));
  },
};
