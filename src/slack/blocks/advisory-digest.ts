/**
 * The weekly advisory digest (policy.advisoryDigest): what is still exposed in a distribution and what would fix
 * it. Events announce only the sites they newly expose; this is where the ones that stay exposed are recalled.
 */
import { plural } from '../../lib/plural.js';
import type { AdvisoryDigest } from '../../services/advisory-service.js';
import { fitLines } from './fit-lines.js';
import { ACTIONS, actions, button, code, context, esc, header, linkButton, message, notificationText, section, type Block, type SlackMessage } from './kit.js';

const packageLine = (p: AdvisoryDigest['packages'][number]): string => {
  const versions = p.versions.slice(0, 4).map(esc).join(', ') + (p.versions.length > 4 ? ` and ${plural(p.versions.length - 4, 'more version')}` : '');
  const way = !p.fix
    ? 'no platform fixes it yet'
    : p.fix.isTarget
      ? `the target ${code(p.fix.platform.name)} fixes it`
      : `${code(p.fix.platform.name)} fixes it (not the target yet)`;
  return `• ${code(p.name)} ${versions}: ${plural(p.sites, 'site')}; ${way}`;
};

export const advisoryDigestMessage = (d: AdvisoryDigest, distributionUrl: string | null): SlackMessage => {
  const { distribution } = d;
  const blocks: Block[] = [
    header(`Weekly security digest: ${plural(d.exposedSites, 'site')} of ${distribution.title} still exposed`),
    section(
      `*${plural(d.exposedSites, 'site')}* of ${d.totalSites.toLocaleString('en-US')} in ${code(distribution.slug)} run a version a security advisory covers:\n` +
        fitLines(d.packages.map(packageLine), { maxChars: 2400 }),
      distributionUrl ? linkButton('Distribution', distributionUrl, `digest_${distribution.id}`) : undefined,
    ),
  ];
  if (d.targetFixes) {
    blocks.push(actions(`digest_${distribution.id}`, [button(`Review upgrades (${plural(d.targetFixes, 'site')})`, ACTIONS.reviewUpgrades, { value: distribution.slug, style: 'primary' })]));
  }
  blocks.push(context('Sent weekly (policy.advisoryDigest). New exposures are announced when an advisory update causes them.'));
  const fixes = d.targetFixes ? `; the target fixes ${plural(d.targetFixes, 'site')}` : '';
  return message(notificationText(`Weekly security digest: ${plural(d.exposedSites, 'site')} of ${distribution.slug} still exposed${fixes}.`), blocks);
};
