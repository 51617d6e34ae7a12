/** Posted in a distribution's channel when work nobody watches fails: a build of a new release, a requested poll. */
import type { Actor } from '../../domain/actor.js';
import type { Distribution } from '../../domain/distribution.js';
import type { Platform } from '../../domain/platform.js';
import { actorText, code, context, esc, message, section, type SlackMessage } from './kit.js';

const LOG_TAIL_LINES = 15;

/** A code block of the last lines of a log; backticks in it cannot end the block early. */
export const logTailBlock = (lines: string[], tailLines = LOG_TAIL_LINES): string => {
  const body = lines.length ? lines.slice(-tailLines).join('\n').slice(-2800) : '(no log lines)';
  return '```' + esc(body.replace(/```/g, "'''")) + '```';
};

export const buildFailedMessage = (platform: Platform, distribution: Distribution): SlackMessage =>
  message(`Build of ${platform.name} (${distribution.slug}) failed.`, [
    section(
      `:x: The build of ${code(platform.name)} (ref ${code(platform.source.ref)}) for ${code(distribution.slug)} failed. ` +
        'It is not the upgrade target; sites stay where they are.',
    ),
    section(logTailBlock(platform.buildLog)),
  ]);

export const pollFailedMessage = (distribution: Distribution, actor: Actor, error: string): SlackMessage =>
  message(`Checking the upstream of ${distribution.slug} failed: ${esc(error)}`, [
    section(`:warning: Checking the upstream of ${code(distribution.slug)} (asked by ${actorText(actor)}) failed: ${esc(error)}`),
    context(`Nothing was recorded. Fix the upstream in the admin backend, then run \`/distro poll ${esc(distribution.slug)}\` again.`),
  ]);
