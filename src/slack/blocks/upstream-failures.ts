/** Posted in a distribution's channel when work nobody watches fails: a build of a new release, a requested poll. */
import type { Actor } from '../../domain/actor.js';
import type { Distribution } from '../../domain/distribution.js';
import type { Platform } from '../../domain/platform.js';
import { firstErrorLine } from '../../lib/first-error-line.js';
import { actorText, code, context, esc, message, notice, notificationText, section, type SlackMessage } from './kit.js';

const LOG_TAIL_LINES = 15;

/** A code block of the last lines of a log; backticks in it cannot end the block early. */
export const logTailBlock = (lines: string[], tailLines = LOG_TAIL_LINES): string => {
  const body = lines.length ? lines.slice(-tailLines).join('\n').slice(-2800) : '(no log lines)';
  return '```' + esc(body.replace(/```/g, "'''")) + '```';
};

export const buildFailedMessage = (platform: Platform, distribution: Distribution): SlackMessage =>
  message(notificationText(`Build of ${platform.name} (${distribution.slug}) failed.`), [
    section(
      `:x: The build of ${code(platform.name)} (ref ${code(platform.source.ref)}) for ${code(distribution.slug)} failed. ` +
        'It is not the upgrade target; sites stay where they are.',
    ),
    section(logTailBlock(platform.buildLog)),
  ]);

export const pollNothingNewMessage = (distribution: Distribution): SlackMessage =>
  notice(`:white_check_mark: Checked the upstream of ${code(distribution.slug)}: no new build since the last check.`);

export const pollFailedMessage = (distribution: Distribution, actor: Actor, error: string): SlackMessage =>
  message(notificationText(`Checking the upstream of ${distribution.slug} failed: ${esc(firstErrorLine(error))}`), [
    section(`:warning: Checking the upstream of ${code(distribution.slug)} (asked by ${actorText(actor)}) failed: ${esc(firstErrorLine(error, 500))}`),
    context(`Nothing was recorded. Fix the upstream in the admin backend, then run \`/distro poll ${esc(distribution.slug)}\` again.`),
  ]);
