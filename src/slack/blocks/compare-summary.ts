/** Compare results as Slack text: counts, then security fixes, then what blocks or needs care. */
import type { CompareCounts, CompareResult, PackageChange } from '../../domain/compare/types.js';
import { plural as n } from '../../lib/plural.js';
import { code, context, esc, header, linkButton, listWithMore, message, section, type Block, type SlackMessage } from './kit.js';

/** "⬆️ 12 upgrades · ⬇️ 1 downgrade · ➖ 2 missing · ➕ 3 added" with security fixes in front. */
export const countsLine = (c: CompareCounts): string => {
  const parts = [
    c.securityFixes ? `:lock: ${n(c.securityFixes, 'security fix', 'security fixes')}` : null,
    `:arrow_up: ${n(c.upgrade, 'upgrade')}`,
    `:arrow_down: ${n(c.downgrade, 'downgrade')}`,
    c.unknown ? `:grey_question: ${c.unknown} changed, order unknown` : null,
    `:heavy_minus_sign: ${c.missing} missing`,
    `:heavy_plus_sign: ${c.added} added`,
    c.securityOpen ? `:unlock: ${n(c.securityOpen, 'advisory', 'advisories')} still open` : null,
  ];
  return parts.filter(Boolean).join(' · ');
};

/** True when moving needs a human look: something goes backwards, may go backwards, or disappears. */
export const needsCare = (c: CompareCounts): boolean => c.downgrade > 0 || c.unknown > 0 || c.missing > 0;

export const changeText = (p: PackageChange): string => {
  const versions = p.from && p.to ? `${esc(p.from)} → ${esc(p.to)}` : p.to ? `added ${esc(p.to)}` : `${esc(p.from ?? '')} missing on target`;
  return `${code(p.name)} ${versions}${p.reason ? ` (${esc(p.reason)})` : ''}`;
};

/** Security fixes, errors and warnings as short lines, each list capped at `max` names; fixes link their advisory event. */
export const notableLines = (result: CompareResult, max = 8, advisoryUrl?: (eventId: string) => string): string[] => {
  const fixes = result.packages.filter((p) => p.security?.fixed);
  const errors = result.packages.filter((p) => p.severity === 'error');
  const warnings = result.packages.filter((p) => p.severity === 'warning');
  const lines: string[] = [];
  const fixText = (p: PackageChange): string =>
    p.security?.advisoryEventId && advisoryUrl ? `${changeText(p)} (<${advisoryUrl(p.security.advisoryEventId)}|advisory>)` : changeText(p);
  if (fixes.length) lines.push(`:lock: *Security fixes:* ${listWithMore(fixes.map(fixText), max, '; ')}`);
  if (errors.length) lines.push(`:no_entry: *Blocking:* ${listWithMore(errors.map(changeText), max, '; ')}`);
  if (warnings.length) lines.push(`:warning: *Check:* ${listWithMore(warnings.map(changeText), max, '; ')}`);
  return lines;
};

/** Reply to `/distro compare a b`. */
export const compareMessage = (result: CompareResult, url: string, advisoryUrl?: (eventId: string) => string): SlackMessage => {
  const blocks: Block[] = [
    header(`Compare ${result.from.name} → ${result.to.name}`),
    section(countsLine(result.counts), linkButton('Full compare', url, 'compare')),
  ];
  const notable = notableLines(result, 15, advisoryUrl);
  if (notable.length) blocks.push(section(notable.join('\n')));
  const others = result.packages.filter((p) => (p.change === 'upgrade' || p.change === 'added') && !p.security?.fixed && p.severity === 'ok');
  if (others.length) blocks.push(section(`*Other changes:* ${listWithMore(others.map(changeText), 15, '; ')}`));
  if (!notable.length && !others.length) blocks.push(section(`No package changes (${n(result.counts.same, 'package')} identical).`));
  blocks.push(context(`${n(result.counts.same, 'package')} unchanged`));
  return message(`Compare ${result.from.name} → ${result.to.name}: ${countsLine(result.counts)}`, blocks);
};
