/** The import page: paste (or load) drush aliases JSON or a CSV, preview per row and per platform, then apply. */
import type { ImportResult } from '../../services/import-service.js';
import { html, type SafeHtml } from '../html.js';
import { csrfField, formAlert, select } from './forms/form-parts.js';
import { inlineScript, layout } from './layout.js';
import { platformHref, siteHref } from './links.js';

/**
 * "Upload": the chosen file is read in the browser into the box (and the format set from its name), so the one
 * urlencoded form carries it — no multipart parser on the server. Without JavaScript, paste instead.
 */
export const UPLOAD_SCRIPT = inlineScript(`(function () {
  var file = document.getElementById('f-file');
  var box = document.getElementById('f-content');
  var format = document.getElementById('f-format');
  if (!file || !box || !window.FileReader) return;
  file.addEventListener('change', function () {
    var f = file.files && file.files[0];
    if (!f) return;
    var reader = new FileReader();
    reader.onload = function () {
      box.value = String(reader.result);
      if (format) format.value = /\\.csv$/i.test(f.name) ? 'csv' : 'drush-json';
    };
    reader.readAsText(f);
  });
})();`);

export interface ImportPageOptions {
  format: string;
  content: string;
  distribution: string;
  result?: ImportResult;
  alerts?: string[];
}

const preview = (r: ImportResult): SafeHtml => html`<section id="import-result" aria-labelledby="import-result-h">
<h2 id="import-result-h">${r.applied ? `Imported ${r.counts.created} site${r.counts.created === 1 ? '' : 's'}` : 'Preview (nothing written yet)'}</h2>
<p role="status">${r.counts.rows} rows: ${r.counts.create} to create, ${r.counts.already} already there, ${r.counts.refused} refused, ${r.counts.skipped} skipped.</p>
<div class="table-scroll"><table id="import-platforms"><caption>Code bases and the platforms they match</caption>
<thead><tr><th scope="col">Root or platform</th><th scope="col">Platform</th><th scope="col">Matched by</th><th scope="col">Rows</th></tr></thead>
<tbody>${r.platforms.map(
  (p) => html`<tr><td><code>${p.source}</code></td><td>${p.platform ? html`<a href="${platformHref(p.platform)}">${p.platform}</a>` : html`<span class="error">${p.reason ?? 'no match'}</span>`}</td><td>${p.by ?? ''}</td><td>${p.rows}</td></tr>`,
)}</tbody></table></div>
<div class="table-scroll"><table id="import-rows"><caption>Rows</caption>
<thead><tr><th scope="col">Line</th><th scope="col">Site</th><th scope="col">Platform</th><th scope="col">Action</th><th scope="col">Reason</th></tr></thead>
<tbody>${r.rows.slice(0, 2000).map(
  (row) => html`<tr><td>${row.line}</td><td>${row.site && row.action !== 'refused' ? html`<a href="${siteHref(row.site)}">${row.site}</a>` : row.label}</td><td>${row.platform ?? ''}</td><td>${row.action}</td><td>${row.reason ?? ''}</td></tr>`,
)}</tbody></table></div>
${r.rows.length > 2000 ? html`<p>…and ${r.rows.length - 2000} more rows (POST /api/import lists all).</p>` : ''}
</section>`;

export const renderImportPage = (o: ImportPageOptions): SafeHtml =>
  layout({
    title: 'Import a fleet',
    scripts: [UPLOAD_SCRIPT],
    body: html`<h1>Import a fleet</h1>
<p>Paste what <code>drush site:alias --format=json</code> prints (drush 8 on Aegir 3, or drush 9+), or a CSV <code>site,platform,server</code> (platform by name or root path). Each root is matched to a platform with that directory or an identical composer.lock; sites are recorded where they are, never touched. Preview first; applying writes every row marked "create" at once.</p>
<form method="post" action="/import" id="import-form" novalidate>
${csrfField()}${formAlert(o.alerts ?? [])}
${select({ name: 'format', label: 'Format', value: o.format, options: [['drush-json', 'drush site:alias JSON'], ['csv', 'CSV site,platform,server']] })}
<p class="field"><label for="f-distribution">Distribution (optional)</label><input id="f-distribution" name="distribution" value="${o.distribution}"><small>match roots against this distribution's builds only</small></p>
<p class="field"><label for="f-file">Load a file</label><input id="f-file" type="file" accept=".json,.csv,application/json,text/csv"><small>aliases.json or sites.csv, read into the box below (or paste it there)</small></p>
<p class="field"><label for="f-content">Aliases or CSV</label><textarea id="f-content" name="content" rows="14" spellcheck="false">${o.content}</textarea></p>
<p class="actions"><button type="submit" name="apply" value="no" class="primary">Preview</button> <button type="submit" name="apply" value="yes">Import the rows marked "create"</button></p>
</form>
${o.result ? preview(o.result) : ''}`,
  });
