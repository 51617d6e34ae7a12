/** The Compare page: what moving a site from one platform to another changes, package by package and file by file. */
import type { CompareResult, FileDiff, PackageChange } from '../../domain/compare/types.js';
import type { Distribution } from '../../domain/distribution.js';
import type { Platform } from '../../domain/platform.js';
import { html, type SafeHtml } from '../html.js';
import { COMPARE_SCRIPT } from './compare-script.js';
import { badge, layout } from './layout.js';
import { platformHref, siteHref } from './links.js';

export interface ComparePageData {
  from: Platform;
  to: Platform;
  distributions: { from: Distribution | null; to: Distribution | null };
  result: CompareResult;
  /** Site whose enabled modules were accounted for (`?site=`). */
  site: string | null;
  /** Where the package rows download as CSV (this page with `format=csv`, signed link kept). */
  csvHref?: string;
}

const CHANGE_LABELS: Record<PackageChange['change'], string> = {
  upgrade: 'upgrade',
  downgrade: 'downgrade',
  unknown: 'changed, order unknown',
  added: 'added',
  missing: 'missing',
  same: 'unchanged',
};

const FILTER_LABELS = { upgrade: 'Upgrades', downgrade: 'Downgrades', unknown: 'Order unknown', added: 'Added', missing: 'Missing' } as const;

/** Order of the Change column when sorted: what needs attention first. */
const rankOf = (p: PackageChange): number => {
  if (p.security?.targetInsecure) return 0;
  if (p.security?.fixed) return 1;
  if (p.severity === 'error') return 2;
  if (p.severity === 'warning') return 3;
  return 4 + ['downgrade', 'missing', 'unknown', 'upgrade', 'added', 'same'].indexOf(p.change);
};

const flagsOf = (p: PackageChange): string[] => [
  ...(p.security?.fixed ? ['security-fixed'] : []),
  ...(p.security?.targetInsecure ? ['still-insecure'] : []),
  ...(p.severity !== 'ok' ? [p.severity] : []),
];

const FLAG_LABELS: Record<string, string> = {
  'security-fixed': 'security fix',
  'still-insecure': 'still insecure',
  error: 'error',
  warning: 'warning',
};

const packageRow = (p: PackageChange, index: number): SafeHtml => {
  const flags = flagsOf(p);
  const rowClass = p.security ? (p.security.targetInsecure ? 'sec' : 'sec fixed') : '';
  return html`<tr class="${rowClass}" data-index="${index}" data-name="${p.name.toLowerCase()}" data-from="${p.from ?? ''}" data-to="${p.to ?? ''}" data-change="${p.change}" data-flags="${flags.join(' ')}" data-rank="${rankOf(p)}">
<td><code>${p.name}</code>${p.type ? html` <span class="badge">${p.type}</span>` : ''}${p.reason ? html`<span class="reason">${p.reason}</span>` : ''}</td>
<td class="mono">${p.from ?? '—'}</td>
<td class="mono">${p.to ?? '—'}</td>
<td>${badge(p.change, CHANGE_LABELS[p.change])}${flags.map((f) => badge(f, FLAG_LABELS[f]))}</td>
</tr>`;
};

const lineClass = (line: string): string => {
  if (line.startsWith('+++') || line.startsWith('---') || line.startsWith('\\')) return 'meta';
  if (line.startsWith('@@')) return 'hunk';
  if (line.startsWith('+')) return 'add';
  if (line.startsWith('-')) return 'del';
  return 'ctx';
};

/** Big patches start collapsed so the page stays scannable. */
const OPEN_PATCH_LINES = 300;
/** With more changed files than this every file starts collapsed: the list of names is what one scans first. */
const OPEN_FILES = 20;

const CHANGE_BADGES: Record<FileDiff['change'], string> = { added: 'added', removed: 'missing', modified: 'upgrade' };

const fileDiff = (f: FileDiff, open: boolean): SafeHtml => {
  // The `===` banner and Index: line of the diff package add nothing the summary does not already say.
  const lines = f.patch ? f.patch.replace(/\n$/, '').split('\n').filter((l) => !l.startsWith('===') && !l.startsWith('Index:')) : [];
  return html`<details class="diff" data-change="${f.change}" ${open && lines.length <= OPEN_PATCH_LINES ? 'open' : ''}>
<summary><code>${f.path}</code> ${badge(CHANGE_BADGES[f.change], f.change)}${f.truncated ? badge('warning', 'truncated') : ''}</summary>
${lines.length ? html`<pre class="patch"><code>${lines.map((l) => html`<span class="${lineClass(l)}">${l || ' '}</span>`)}</code></pre>` : ''}
${f.note ? html`<div class="note">${f.note}</div>` : ''}
</details>`;
};

const filesChanged = (n: number): string => `${n} ${n === 1 ? 'file' : 'files'} changed`;

/** The file section: a one-line count, what it covers, then one collapsible entry per changed file. */
const fileSection = (d: ComparePageData): SafeHtml => {
  const { files } = d.result;
  const summary = d.result.fileSummary ?? {
    scope: 'manifest' as const,
    added: files.filter((f) => f.change === 'added').length,
    removed: files.filter((f) => f.change === 'removed').length,
    modified: files.filter((f) => f.change === 'modified').length,
    unlisted: 0,
  };
  const total = summary.added + summary.removed + summary.modified;
  const untracked = [d.from, d.to].filter((p) => !p.manifest.tree).map((p) => p.name);
  const scope =
    summary.scope === 'tree'
      ? ''
      : html`<p class="sub" id="file-scope">Only the manifest files are compared: ${untracked.length ? untracked.join(' and ') : 'a platform'} ${untracked.length > 1 ? 'have' : 'has'} no recorded file tree (registered by hand, or built before trees were recorded).</p>`;
  if (!total) {
    return html`${scope}<p class="empty" id="file-summary">${summary.scope === 'tree' ? 'No tracked file differs.' : 'The tracked manifest files are identical.'}</p>`;
  }
  const open = files.length <= OPEN_FILES;
  return html`<p id="file-summary"><strong>${filesChanged(total)}</strong>: ${summary.added} added, ${summary.removed} removed, ${summary.modified} modified${
    summary.unlisted ? html` <span class="sub">(the first ${files.length} are listed; ${summary.unlisted} more not shown)</span>` : ''
  }${open ? '' : html` <span class="sub">— click a file to show its changes</span>`}</p>
${scope}<div id="file-diffs">${files.map((f) => fileDiff(f, open))}</div>`;
};

const stat = (value: number, label: string, tone = ''): SafeHtml => html`<div class="stat ${value ? tone : 'zero'}"><b>${value}</b><span>${label}</span></div>`;

const platformHeading = (p: Platform, d: Distribution | null): SafeHtml =>
  html`<span><a href="${platformHref(p.name)}"><strong>${p.name}</strong></a> <span class="sub">${d ? d.slug + ' · ' : ''}${p.source.ref} · <code>${p.source.commit.slice(0, 10)}</code></span></span>`;

export const renderComparePage = (d: ComparePageData): SafeHtml => {
  const { result } = d;
  const c = result.counts;
  const body = html`<h1>Compare platforms</h1>
<div class="versus">${platformHeading(d.from, d.distributions.from)}<span class="arrow">→</span>${platformHeading(d.to, d.distributions.to)}</div>
<p class="sub">${d.site ? html`Accounting for the modules enabled on <a href="${siteHref(d.site)}">${d.site}</a>: a missing one is an error.` : 'What a site moving between these platforms gets.'}</p>
<div class="stats" id="summary">
${stat(c.securityFixes, 'security fixes', 'good')}${stat(c.securityOpen, 'still insecure', 'bad')}${stat(c.errors, 'errors', 'bad')}${stat(c.warnings, 'warnings', 'bad')}
${stat(c.upgrade, 'upgrades')}${stat(c.downgrade, 'downgrades', 'bad')}${stat(c.unknown, 'changed, order unknown', 'bad')}${stat(c.added, 'added')}${stat(c.missing, 'missing')}${stat(c.same, 'unchanged')}
</div>
<h2>Packages</h2>
<div class="controls" id="compare-controls" hidden>
<input type="search" id="filter-text" placeholder="Filter packages…" aria-label="Filter packages by name">
${(['upgrade', 'downgrade', 'unknown', 'added', 'missing'] as const).map(
  (k) => html`<label><input type="checkbox" class="filter-change" value="${k}" checked> ${FILTER_LABELS[k]}</label>`,
)}
<label><input type="checkbox" id="hide-unchanged" checked> Hide unchanged</label>
<span class="count" id="row-count" aria-live="polite"></span>
</div>
${d.csvHref ? html`<p class="export"><a href="${d.csvHref}" id="compare-csv">Download the package table (CSV)</a></p>` : ''}
${
  result.packages.length
    ? html`<table id="packages">
<thead><tr><th data-sort="name" aria-sort="none"><button type="button">Package</button></th><th data-sort="from" aria-sort="none"><button type="button">Current</button></th><th data-sort="to" aria-sort="none"><button type="button">Target</button></th><th data-sort="change" aria-sort="none"><button type="button">Change</button></th></tr></thead>
<tbody>
${result.packages.map(packageRow)}
</tbody>
</table>
<p class="empty" id="no-rows" hidden>No packages match the filter.</p>`
    : html`<p class="empty">Neither platform lists any packages.</p>`
}
<h2>File changes</h2>
${fileSection(d)}`;
  return layout({ title: `${d.from.name} → ${d.to.name}`, body, scripts: [COMPARE_SCRIPT] });
};
