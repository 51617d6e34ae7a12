/** The shared shape of `/distro pause|resume|cancel-rollout <rollout>`: confirmers only, like Confirm. */
import type { Rollout, RolloutAction } from '../../domain/rollout.js';
import { notice } from '../blocks/kit.js';
import { rolloutLine } from '../blocks/rollout.js';
import { assertPermitted } from '../listeners/shared.js';
import type { CommandEntry } from './command-entry.js';

type Kind = 'pause' | 'resume' | 'cancel-rollout';

const ACTION: Record<Kind, RolloutAction> = { pause: 'pause', resume: 'resume', 'cancel-rollout': 'cancel' };

export const rolloutCommand = <K extends Kind>(kind: K, description: string): CommandEntry<K> => ({
  forms: [`${kind} <rollout>`],
  description,
  hint: `${kind} <rollout>`,
  parse: (a) => ({ kind, rollout: a.exactly(1, 'a rollout number')[0]! }) as never,
  run: async (cmd, deps, inv) => {
    await assertPermitted(deps, inv.userId, inv.client);
    const { rollouts } = deps.services;
    const key = (cmd as { rollout: string }).rollout;
    const action = ACTION[kind];
    const done: Rollout = action === 'pause' ? await rollouts.pause(key, inv.actor) : action === 'resume' ? await rollouts.resume(key, inv.actor) : await rollouts.cancel(key, inv.actor);
    deps.messenger.refresh(done.planId);
    await inv.reply(notice(rolloutLine(done)));
  },
});
