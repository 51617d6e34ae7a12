/** Posted in a distribution's channel when its upgrade target changes. */
import type { Actor } from '../../domain/actor.js';
import type { CompareResult } from '../../domain/compare/types.js';
import type { Distribution } from '../../domain/distribution.js';
import type { Platform } from '../../domain/platform.js';
import type { OutdatedReport } from '../../services/distribution-service.js';
import { countsLine, notableLines } from './compare-summary.js';
import { plural } from '../../lib/plural.js';
import { ACTIONS, actions, actorText, button, code, context, esc, header, linkButton, message, notificationText, section, type Block, type SlackMessage } from './kit.js';

export interface AnnouncementInput {
  distribution: Distribution;
  target: Platform;
  previous: Platform | null;
  /** previous → target, when there was a previous target. */
  compare: CompareResult | null;
  /** Out-of-date sites now that the target moved. */
  outdated: OutdatedReport;
  actor: Actor;
  compareUrl: string | null;
  /** The page of one security advisory event (security fixes link to it). */
  advisoryUrl?: (eventId: string) => string;
}

/** Who moved the target: a person, or the automation (never the person who merely asked for a poll). */
const setBy = (actor: Actor): string =>
  actor.kind === 'user'
    ? `Set by ${actorText(actor)}.`
    : actor.kind === 'webhook'
      ? 'Set automatically: a GitHub webhook announced this build.'
      : actor.kind === 'poll'
        ? 'Set automatically: the update poll found this build.'
        : 'Set automatically by Distro.';

export const announcementMessage = (a: AnnouncementInput): SlackMessage => {
  const sites = a.outdated.groups.reduce((n, g) => n + g.sites.length, 0);
  const platforms = a.outdated.groups.length;
  const change = a.previous ? `replacing ${code(a.previous.name)}` : 'its first upgrade target';
  const blocks: Block[] = [
    header(`New upgrade target for ${a.distribution.title}`),
    section(
      `${code(a.target.name)} (ref ${code(a.target.source.ref)}) is now the upgrade target of ${code(a.distribution.slug)}, ${change}. ` +
        `${setBy(a.actor)} Other platforms are locked: new sites go on the target.`,
      a.compareUrl ? linkButton('Compare', a.compareUrl, 'announce') : undefined,
    ),
  ];
  if (a.compare) {
    blocks.push(context(`Changes since ${esc(a.compare.from.name)}: ${countsLine(a.compare.counts)}`));
    const notable = notableLines(a.compare, 8, a.advisoryUrl);
    if (notable.length) blocks.push(section(notable.join('\n')));
  }
  if (sites) {
    blocks.push(
      section(`:warning: *${plural(sites, 'site')}* on *${plural(platforms, 'platform')}* ${sites === 1 ? 'is' : 'are'} now out of date.`),
      actions(`announce_${a.distribution.id}`, [button('Review upgrades', ACTIONS.reviewUpgrades, { value: a.distribution.slug, style: 'primary' })]),
    );
  } else {
    blocks.push(section(':white_check_mark: No site is out of date.'));
  }
  return message(
    notificationText(`New upgrade target for ${a.distribution.slug}: ${a.target.name}. ${sites ? `${plural(sites, 'site')} out of date.` : 'No site is out of date.'}`),
    blocks,
  );
};
