/**
 * "Build any release": every tag of the upstream matching the pattern with its state here (built / not built /
 * failed / queued …), a Build button per tag and "Build all listed" for the ones not built or failed. Shown on its
 * own page (/distributions/<slug>/releases) and under "Test upstream" on the edit form. Also the form's field for
 * `upstream.initialBuilds` (what a first poll builds).
 */
import { describeInitialBuilds, MAX_INITIAL_BUILDS } from '../../domain/initial-builds.js';
import type { Distribution } from '../../domain/distribution.js';
import type { UpstreamRelease } from '../../services/release-service.js';
import { html, type SafeHtml } from '../html.js';
import { actionButton, csrfField, input, type FieldErrors } from './forms/form-parts.js';
import { layout } from './layout.js';
import { distributionHref, platformHref } from './links.js';
import { may } from './page-context.js';

const buildable = (r: UpstreamRelease): boolean => r.state === 'not built' || r.state === 'failed' || r.state === 'deleted';

/**
 * The table of tags; with `slug` (a saved distribution) and the role, each row gets its Build button. `embedded`:
 * inside another form (the edit form's "Test upstream"), where forms cannot nest, so the buttons post the enclosing
 * form (its CSRF field included) to the build route with `formaction`.
 */
export const releasesTable = (releases: readonly UpstreamRelease[], slug: string | null, embedded = false): SafeHtml => {
  if (!releases.length) return html`<p class="empty">No tag matches the pattern.</p>`;
  const canBuild = slug !== null && may('distribution.build');
  const action = slug ? `${distributionHref(slug)}/builds` : '';
  const open = releases.filter(buildable);
  return html`<div class="table-scroll"><table id="releases"><caption>${releases.length} matching tag${releases.length === 1 ? '' : 's'}, newest first</caption>
<thead><tr><th scope="col">Tag</th><th scope="col">Commit</th><th scope="col">State</th><th scope="col">Platform</th>${canBuild ? html`<th scope="col">Action</th>` : ''}</tr></thead>
<tbody>${[...releases].reverse().map(
    (r) => html`<tr data-ref="${r.ref}"><td><code>${r.ref}</code></td><td><code>${r.commit.slice(0, 10)}</code></td><td class="state-${r.state.replace(' ', '-')}">${r.state}</td>
<td>${r.platform ? html`<a href="${platformHref(r.platform)}">${r.platform}</a>` : ''}</td>${
      canBuild ? html`<td>${buildable(r) ? buildButton(action, r, embedded) : ''}</td>` : ''
    }</tr>`,
  )}</tbody></table></div>
${canBuild && open.length > 1 ? buildAll(action, open, embedded) : ''}`;
};

const buildButton = (action: string, r: UpstreamRelease, embedded: boolean): SafeHtml => {
  const label = r.state === 'failed' ? `Retry ${r.ref}` : `Build ${r.ref}`;
  return embedded ? html`<button type="submit" formaction="${action}" name="ref" value="${r.ref}">${label}</button>` : actionButton(action, label, { ref: r.ref });
};

const buildAll = (action: string, open: readonly UpstreamRelease[], embedded: boolean): SafeHtml => {
  const hidden = open.map((r) => html`<input type="hidden" name="refs" value="${r.ref}">`);
  const label = `Build all listed (${open.length})`;
  return embedded
    ? html`${hidden}<p><button type="submit" formaction="${action}" name="all" value="yes" id="build-all">${label}</button></p>`
    : html`<form method="post" action="${action}" class="inline" id="build-all">${csrfField()}${hidden}<button type="submit">${label}</button></form>`;
};

export const renderReleasesPage = (d: Distribution, releases: readonly UpstreamRelease[], notice?: string): SafeHtml =>
  layout({
    title: `Releases of ${d.title}`,
    body: html`<h1>Releases of <a href="${distributionHref(d.slug)}">${d.title}</a></h1>
<p>Every tag of the upstream matching <code>${d.upstream?.tagPattern ?? '*'}</code>. The first poll builds ${describeInitialBuilds(d.upstream?.initialBuilds)}; build any other here (or <code>/distro build ${d.slug} &lt;tag&gt;</code>).</p>
${notice ? html`<p role="status" class="card" id="build-notice">${notice}</p>` : ''}
${releasesTable(releases, d.slug)}`,
  });

/** The form's initialBuilds field: `1` (newest only), `N`, or `all`. */
export const initialBuildsField = (value: string, errors: FieldErrors): SafeHtml =>
  input({
    name: 'upstream.initialBuilds',
    label: 'First poll builds',
    value,
    errors,
    hint: `1 = the newest matching tag only, N = the newest N (up to ${MAX_INITIAL_BUILDS}), all = every matching tag; older tags can be built any time from Releases`,
  });
