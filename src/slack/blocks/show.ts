/** `/distro show <distribution>`: its platforms, which one is the target, and their sites. */
import { compareVersions } from '../../domain/compare/versions.js';
import { redactUrl } from '../../lib/redact.js';
import type { DistributionDetail } from '../../services/distribution-service.js';
import { plural } from '../../lib/plural.js';
import { fitLines } from './fit-lines.js';
import { holdLine } from './holds.js';
import { code, context, esc, header, message, section, type SlackMessage } from './kit.js';

const STATUS_ICON: Record<string, string> = {
  ready: ':large_green_circle:',
  locked: ':lock:',
  building: ':construction:',
  queued: ':hourglass_flowing_sand:',
  failed: ':x:',
  deleted: ':wastebasket:',
};

export const showMessage = (d: DistributionDetail): SlackMessage => {
  const { distribution } = d;
  const upstream = distribution.upstream
    ? distribution.upstream.kind === 'github'
      ? `GitHub ${distribution.upstream.owner}/${distribution.upstream.repo}`
      : `git ${redactUrl(distribution.upstream.url)}`
    : 'none';
  // Newest version first (composer order of the refs: 12.10.0 after 12.9.0), not the order they were registered in.
  const platforms = [...d.platforms].sort((a, b) => compareVersions(b.platform.source.ref, a.platform.source.ref) || b.platform.createdAt.getTime() - a.platform.createdAt.getTime()).map(
    (p) =>
      `${STATUS_ICON[p.platform.status] ?? ''} ${code(p.platform.name)} — ${p.platform.status}${p.isTarget ? ' · *upgrade target*' : ''} · ` +
      `${plural(p.siteCount, 'site')} · ref ${code(p.platform.source.ref)}` +
      (p.lock ? `\n      ${holdLine(p.lock)}` : ''),
  );
  return message(`${esc(distribution.title)}: ${plural(d.platformCount, 'platform')}, target ${d.target?.name ?? 'none'}`, [
    header(distribution.title),
    section(
      `${esc(distribution.description || '')}\n` +
        `Target: ${d.target ? code(d.target.name) : '_none_'} · ${plural(d.siteCount, 'site')} · ${d.outdatedSiteCount} out of date\n` +
        `Upstream: ${esc(upstream)} · polling ${distribution.policy.pollIntervalMinutes ? `every ${distribution.policy.pollIntervalMinutes} min` : 'off'}` +
        ` · auto-target ${distribution.policy.autoTarget ? 'on' : 'off'}` +
        (d.pin ? `\n${holdLine(d.pin)} — its sites are held out of upgrades` : ''),
    ),
    section(platforms.length ? fitLines(platforms) : '_No platforms yet._'),
    context(`\`status ${esc(distribution.slug)}\` for out-of-date sites · \`upgrade --distro ${esc(distribution.slug)}\` to upgrade them all`),
  ]);
};
