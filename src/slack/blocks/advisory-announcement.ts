/**
 * Security advisory messages: the announcement of an event in each affected distribution's channel (which packages,
 * how many sites on which platforms, the way out) and the follow-up in its thread once a build fixes it.
 */
import type { AdvisoryEvent } from '../../domain/advisory-feed.js';
import type { Distribution } from '../../domain/distribution.js';
import type { Platform } from '../../domain/platform.js';
import { plural } from '../../lib/plural.js';
import type { EventAssessment } from '../../services/advisory-service.js';
import type { AutoUpgradeOutcome } from '../../services/security-upgrader.js';
import { describeActor } from '../../domain/actor.js';
import { fitLines } from './fit-lines.js';
import { ACTIONS, actions, button, code, context, esc, header, linkButton, message, notificationText, section, slackDate, type Block, type SlackMessage } from './kit.js';

/** How an event is named in messages and pages: its feed commit and date. */
export const eventLabel = (event: AdvisoryEvent): string => `${event.commit.replace(/^sha256:/, '').slice(0, 10)} (${event.at.toISOString().slice(0, 10)})`;

const reviewButton = (distribution: Distribution, sites: number): Block =>
  actions(`advisory_${distribution.id}`, [button(`Review upgrades (${plural(sites, 'site')})`, ACTIONS.reviewUpgrades, { value: distribution.slug, style: 'primary' })]);

/** What the automatic security upgrade did, in one line (null: the policy is off or there was nothing to do). */
const autoLine = (a: EventAssessment, auto: AutoUpgradeOutcome): string => {
  if (auto.kind === 'pinned') {
    return `:pushpin: Not started automatically: ${code(a.distribution.slug)} is pinned by ${esc(describeActor(auto.hold.by))} (${esc(auto.hold.reason)}).`;
  }
  if (auto.kind === 'blocked') return ':warning: Not started automatically: the upgrade has errors (see Review upgrades); a person has to decide.';
  if (auto.kind === 'needs-review') return `:mag: Needs review: not started automatically because ${esc(auto.reason)}. A person has to confirm the upgrade.`;
  if (auto.kind === 'in-flight') {
    return `:hourglass: Not started automatically: automatic rollout #${auto.rollout.number} of ${code(a.distribution.slug)} is still ${auto.rollout.state} (one at a time). Review upgrades once it has finished.`;
  }
  if (auto.kind === 'awaiting-person') {
    return `:raised_hand: Not started automatically: rollout #${auto.rollout.number} of these sites ${auto.rollout.state === 'failed' ? 'failed' : 'is paused'}; it waits for a person to resume, cancel or review it.`;
  }
  const r = auto.rollout;
  const sites = r.waves.reduce((n, w) => n + w.sites.length, 0);
  const canary = r.waves[0]?.canary ? ' (canary first)' : '';
  const windows = auto.skipWindows ? ' — security rollouts in this distribution skip maintenance windows' : '';
  return `:rocket: Started automatically: rollout #${r.number} of ${plural(sites, 'exposed site')}${canary}${windows}.`;
};

/** Site names of one platform line, the first SITE_NAMES of them; the Exposure page lists them all. */
const SITE_NAMES = 12;
const siteNames = (names: string[]): string => {
  const sorted = names.slice().sort();
  const shown = sorted.slice(0, SITE_NAMES).map(esc).join(', ');
  return sorted.length > SITE_NAMES ? `${shown} and ${sorted.length - SITE_NAMES} more` : shown;
};

/**
 * An event's announcement: only the sites it newly exposes (sites that stay exposed are in the weekly digest, not
 * repeated per event), the packages, and the way out.
 */
export const advisoryAnnouncementMessage = (a: EventAssessment, eventUrl: string | null, auto: AutoUpgradeOutcome | null = null): SlackMessage => {
  const { distribution, fix } = a;
  const packageLines = a.packages.map((name) => {
    const versions = [...new Set(a.platforms.flatMap((r) => r.packages.filter((p) => p.name === name).map((p) => p.version)))];
    const shown = versions.slice(0, 6).map(esc).join(', ');
    return `• ${code(name)} ${shown}${versions.length > 6 ? ` and ${plural(versions.length - 6, 'more version')}` : ''}`;
  });
  const platformLines = a.platforms
    .slice()
    .sort((x, y) => y.sites.length - x.sites.length || (x.platform.name < y.platform.name ? -1 : 1))
    .map((r) => `• ${code(r.platform.name)}: ${plural(r.sites.length, 'site')}: ${siteNames(r.sites.map((x) => x.name))}`);
  const blocks: Block[] = [
    header(`Security advisory: ${plural(a.exposedSites, 'site')} of ${distribution.title} newly exposed`),
    section(
      `A Drupal security advisory update (${esc(eventLabel(a.event))}) now covers the ${a.packages.length === 1 ? 'version' : 'versions'} that ` +
        `*${plural(a.exposedSites, 'site')}* of ${code(distribution.slug)} run:\n${fitLines(packageLines, { maxChars: 1400 })}`,
      eventUrl ? linkButton('Exposure', eventUrl, `advisory_${a.event.id}`) : undefined,
    ),
    section(`*By platform*\n${fitLines(platformLines, { maxChars: 1400 })}`),
  ];
  if (fix && auto) {
    blocks.push(section(`:white_check_mark: The target ${code(fix.platform.name)} fixes it.\n${autoLine(a, auto)}`));
    if (auto.kind !== 'started') blocks.push(reviewButton(distribution, fix.sitesToMove));
  } else if (fix) {
    blocks.push(section(`:white_check_mark: The target ${code(fix.platform.name)} fixes it.`), reviewButton(distribution, fix.sitesToMove));
  } else {
    blocks.push(section(':warning: No platform of this distribution fixes it yet. This thread says so when a build does.'));
  }
  blocks.push(context(`Advisory feed commit ${code(a.event.commit.slice(0, 40))} · ${slackDate(a.event.at)}`));
  const started = auto?.kind === 'started' ? `; started automatically: rollout #${auto.rollout.number}` : '';
  const way = fix ? `the target ${fix.platform.name} fixes it${started}` : 'no platform fixes it yet';
  return message(notificationText(`Security advisory: ${plural(a.exposedSites, 'site')} of ${distribution.slug} newly exposed (${a.packages.join(', ')}); ${way}.`), blocks);
};

/** Posted in the announcement's thread when a build of the distribution fixes the advisory. */
export const advisoryFixedMessage = (input: { event: AdvisoryEvent; platform: Platform; distribution: Distribution; isTarget: boolean; exposedSites: number }): SlackMessage => {
  const { platform, distribution } = input;
  const blocks: Block[] = [
    section(
      `:white_check_mark: ${code(platform.name)} fixes this advisory` +
        (input.isTarget ? ` and is the upgrade target of ${code(distribution.slug)}.` : `; it is not the upgrade target of ${code(distribution.slug)} yet.`),
    ),
  ];
  if (input.isTarget && input.exposedSites) blocks.push(reviewButton(distribution, input.exposedSites));
  return message(notificationText(`${platform.name} fixes the security advisory of ${eventLabel(input.event)}.`), blocks);
};

/** Said once per distinct problem, in the default channel: the feed was refused and the last good snapshot stays. */
export const advisoryRefusedMessage = (label: string, notice: string): SlackMessage =>
  message(notificationText(`The security advisory feed was refused: ${notice}`), [
    section(`:warning: The security advisory feed ${code(label)} was refused: ${esc(notice.slice(0, 2500))}`),
    context('Exposure keeps using the last good snapshot until the feed is fixed.'),
  ]);
