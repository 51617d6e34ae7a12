/**
 * Create / edit a distribution (Enter saves: a hidden first submit button is the form's default, ahead of "Test
 * upstream"), with a "Test upstream" button that checks the upstream as typed (same checker and
 * guard as polling) and shows the result inline. Values are kept as typed whatever the outcome.
 */
import type { Distribution } from '../../../domain/distribution.js';
import type { UpstreamRelease } from '../../../services/release-service.js';
import { initialBuildsField, releasesTable } from '../releases-view.js';
import { html, type SafeHtml } from '../../html.js';
import { layout } from '../layout.js';
import { distributionHref } from '../links.js';
import { checkbox, csrfField, formAlert, input, select, type FieldErrors } from './form-parts.js';

/** The form's fields as strings, exactly as typed (what is re-rendered after an error). */
export interface DistributionFormValues {
  slug: string;
  title: string;
  description: string;
  channel: string;
  kind: 'none' | 'git' | 'github';
  url: string;
  owner: string;
  repo: string;
  branch: string;
  tagPattern: string;
  manifestPath: string;
  /** `upstream.initialBuilds` as typed: `1`, `N` or `all`. */
  initialBuilds: string;
  pollIntervalMinutes: string;
  autoTarget: boolean;
}

export const valuesOf = (d: Distribution): DistributionFormValues => {
  const u = d.upstream;
  return {
    slug: d.slug,
    title: d.title,
    description: d.description,
    channel: d.channel ?? '',
    kind: u?.kind ?? 'none',
    url: u?.kind === 'git' ? u.url : '',
    owner: u?.kind === 'github' ? u.owner : '',
    repo: u?.kind === 'github' ? u.repo : '',
    branch: u?.branch ?? '',
    tagPattern: u?.tagPattern ?? '',
    manifestPath: u?.manifestPath ?? 'composer.lock',
    initialBuilds: String(u?.initialBuilds ?? 1),
    pollIntervalMinutes: String(d.policy.pollIntervalMinutes),
    autoTarget: d.policy.autoTarget,
  };
};

export const EMPTY_DISTRIBUTION: DistributionFormValues = {
  slug: '',
  title: '',
  description: '',
  channel: '',
  kind: 'git',
  url: '',
  owner: '',
  repo: '',
  branch: '',
  tagPattern: '',
  manifestPath: 'composer.lock',
  initialBuilds: '1',
  pollIntervalMinutes: '60',
  autoTarget: true,
};

/** The outcome of "Test upstream": found builds, or the sentence saying what is wrong. */
export type UpstreamTest = { ok: true; refs: string[]; releases?: UpstreamRelease[]; slug?: string | null } | { ok: false; message: string };

export interface DistributionFormOptions {
  mode: 'create' | 'edit';
  values: DistributionFormValues;
  errors?: FieldErrors;
  alerts?: string[];
  test?: UpstreamTest;
}

const testResult = (t: UpstreamTest | undefined): SafeHtml => {
  if (!t) return html``;
  if (!t.ok) return html`<p id="upstream-test" role="status" class="alert">Upstream check failed: ${t.message}</p>`;
  const shown = t.refs.slice(-10);
  if (!shown.length) return html`<p id="upstream-test" role="status" class="card">Upstream reachable, but no branch head or tag matches yet.</p>`;
  return html`<p id="upstream-test" role="status" class="card">Upstream reachable: a poll now would record ${t.refs.length} new build${t.refs.length === 1 ? '' : 's'}: ${shown.map(
    (r, i) => html`${i ? ', ' : ''}<code>${r}</code>`,
  )}${t.refs.length > shown.length ? ' …' : ''}.</p>${t.releases ? releasesTable(t.releases, t.slug ?? null, true) : ''}`;
};

export const renderDistributionForm = (o: DistributionFormOptions): SafeHtml => {
  const v = o.values;
  const e = o.errors ?? {};
  const action = o.mode === 'create' ? '/new-distribution' : `${distributionHref(v.slug)}/edit`;
  return layout({
    title: o.mode === 'create' ? 'New distribution' : `Edit ${v.title}`,
    body: html`<h1>${o.mode === 'create' ? 'New distribution' : html`Edit <code>${v.slug}</code>`}</h1>
<form method="post" action="${action}" id="distribution-form" novalidate>
${csrfField()}${formAlert(o.alerts ?? [])}
<button type="submit" name="intent" value="save" hidden tabindex="-1">Save</button>
${o.mode === 'create' ? input({ name: 'slug', label: 'Slug', value: v.slug, errors: e, required: true, hint: 'lowercase letters, digits and dashes, e.g. social' }) : ''}
${input({ name: 'title', label: 'Title', value: v.title, errors: e, required: true })}
${input({ name: 'description', label: 'Description', value: v.description, errors: e })}
${input({ name: 'channel', label: 'Slack channel', value: v.channel, errors: e, hint: 'channel ID for announcements (optional)' })}
<fieldset><legend>Upstream</legend>
${select({ name: 'kind', label: 'Kind', value: v.kind, errors: e, options: [['git', 'git remote'], ['github', 'GitHub repository'], ['none', 'none (platforms registered by hand)']] })}
${input({ name: 'upstream.url', label: 'Git URL (git)', value: v.url, errors: e, placeholder: 'https://github.com/goalgorilla/social_template.git' })}
${input({ name: 'upstream.owner', label: 'GitHub owner (github)', value: v.owner, errors: e })}
${input({ name: 'upstream.repo', label: 'GitHub repository (github)', value: v.repo, errors: e })}
${input({ name: 'upstream.branch', label: 'Branch', value: v.branch, errors: e, hint: 'track its head (optional)' })}
${input({ name: 'upstream.tagPattern', label: 'Tag pattern', value: v.tagPattern, errors: e, hint: 'e.g. 12.* (optional)' })}
${input({ name: 'upstream.manifestPath', label: 'Manifest path', value: v.manifestPath, errors: e })}
${initialBuildsField(v.initialBuilds, e)}
${testResult(o.test)}
<button type="submit" name="intent" value="test">Test upstream</button>
</fieldset>
<fieldset><legend>Policy</legend>
${input({ name: 'policy.pollIntervalMinutes', label: 'Poll every (minutes, 0 = off)', type: 'number', value: v.pollIntervalMinutes, errors: e })}
${checkbox({ name: 'policy.autoTarget', label: 'New builds become the upgrade target automatically', checked: v.autoTarget })}
</fieldset>
<p class="actions"><button type="submit" name="intent" value="save" class="primary">${o.mode === 'create' ? 'Create distribution' : 'Save changes'}</button>
<a href="${o.mode === 'create' ? '/' : distributionHref(v.slug)}">Cancel</a></p>
</form>`,
  });
};
