/**
 * The distribution's whole update and rollout policy as a page (`/distributions/<slug>/policy`): waves (canary
 * sites, first N, batch size), failure threshold, bake time, maintenance windows with a preview of their next three
 * openings (in the window's zone, UTC and the viewer's own zone), per-site windows, the health check (HTTP and/or
 * the operator's command) with "Test this check on a site", the security policy and the minimum release age.
 * Field names are the API's paths (`policy.rollout.waves.batchSize`), so the domain's problems land next to their
 * field; values are kept as typed. Its own view file so other policy fields can be added beside these.
 */
import type { Distribution, UpdatePolicy } from '../../../domain/distribution.js';
import { formatInZone, nextOpenings, parseWindow, type MaintenanceWindow } from '../../../domain/maintenance-window.js';
import type { RolloutPolicy } from '../../../domain/rollout-policy.js';
import { html, withInlineCode, type SafeHtml } from '../../html.js';
import { inlineScript, layout } from '../layout.js';
import { distributionHref } from '../links.js';
import { checkbox, csrfField, formAlert, input, type FieldErrors } from './form-parts.js';

/** The form's fields as typed (what is re-rendered after an error). */
export interface PolicyFormValues {
  canarySites: string;
  canaries: string;
  batchSize: string;
  failureThreshold: string;
  bakeMinutes: string;
  windows: string;
  siteWindows: string;
  httpUrl: string;
  expectStatus: string;
  bodyContains: string;
  timeoutMs: string;
  retries: string;
  command: boolean;
  skipWindows: boolean;
  autoUpgrade: boolean;
  maxEventPackages: string;
  maxCoveredFraction: string;
  advisoryDigest: string;
  minReleaseAgeHours: string;
  /** The site "Test this check on a site" probes. */
  testSite: string;
}

/** Form field name of each value (the API path, so the domain's problems name it). */
export const POLICY_FIELDS = {
  canarySites: 'policy.rollout.waves.canarySites',
  canaries: 'policy.rollout.waves.canaries',
  batchSize: 'policy.rollout.waves.batchSize',
  failureThreshold: 'policy.rollout.failureThreshold',
  bakeMinutes: 'policy.rollout.bakeMinutes',
  windows: 'policy.rollout.windows',
  siteWindows: 'policy.rollout.siteWindows',
  httpUrl: 'policy.rollout.healthCheck.http.url',
  expectStatus: 'policy.rollout.healthCheck.http.expectStatus',
  bodyContains: 'policy.rollout.healthCheck.http.bodyContains',
  timeoutMs: 'policy.rollout.healthCheck.http.timeoutMs',
  retries: 'policy.rollout.healthCheck.http.retries',
  command: 'policy.rollout.healthCheck.command',
  skipWindows: 'policy.security.skipWindows',
  autoUpgrade: 'policy.security.autoUpgrade',
  maxEventPackages: 'policy.security.maxEventPackages',
  maxCoveredFraction: 'policy.security.maxCoveredFraction',
  advisoryDigest: 'policy.advisoryDigest',
  minReleaseAgeHours: 'policy.minReleaseAgeHours',
  testSite: 'testSite',
} as const satisfies Record<keyof PolicyFormValues, string>;

const text = (v: number | string | null | undefined): string => (v === undefined || v === null ? '' : String(v));

/** `intranet.example.org: Sat 02:00-06:00 UTC; Sun 02:00-06:00 UTC` per line; `any` for a site without windows. */
const siteWindowLines = (s: Record<string, string[]> | undefined): string =>
  Object.entries(s ?? {})
    .map(([site, windows]) => `${site}: ${windows.length ? windows.join('; ') : 'any'}`)
    .join('\n');

export const policyValuesOf = (d: Pick<Distribution, 'policy'>): PolicyFormValues => {
  const r: RolloutPolicy = d.policy.rollout ?? {};
  const http = r.healthCheck?.http;
  return {
    canarySites: (r.waves?.canarySites ?? []).join(', '),
    canaries: text(r.waves?.canaries),
    batchSize: text(r.waves?.batchSize),
    failureThreshold: text(r.failureThreshold),
    bakeMinutes: text(r.bakeMinutes),
    windows: (r.windows ?? []).join('\n'),
    siteWindows: siteWindowLines(r.siteWindows),
    httpUrl: http?.url ?? '',
    expectStatus: text(http?.expectStatus),
    bodyContains: http?.bodyContains ?? '',
    timeoutMs: text(http?.timeoutMs),
    retries: text(http?.retries),
    command: Boolean(r.healthCheck?.command),
    skipWindows: Boolean(d.policy.security?.skipWindows),
    autoUpgrade: Boolean(d.policy.security?.autoUpgrade),
    maxEventPackages: text(d.policy.security?.maxEventPackages),
    maxCoveredFraction: text(d.policy.security?.maxCoveredFraction),
    advisoryDigest: d.policy.advisoryDigest ?? '',
    minReleaseAgeHours: text(d.policy.minReleaseAgeHours),
    testSite: '',
  };
};

/** A number as typed: empty is "not set", anything else a number when it is one, else the text (the domain names it). */
const numberOf = (v: string): number | string | undefined => {
  const t = v.trim();
  if (!t) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
};

const lines = (v: string): string[] =>
  v
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** The security policy the form describes (every field it has, so saving the form keeps what the API set). */
const securityOf = (v: PolicyFormValues): Record<string, unknown> | null => {
  const security = {
    ...(v.skipWindows ? { skipWindows: true } : {}),
    ...(v.autoUpgrade ? { autoUpgrade: true } : {}),
    ...(numberOf(v.maxEventPackages) !== undefined ? { maxEventPackages: numberOf(v.maxEventPackages) } : {}),
    ...(numberOf(v.maxCoveredFraction) !== undefined ? { maxCoveredFraction: numberOf(v.maxCoveredFraction) } : {}),
  };
  return Object.keys(security).length ? security : null;
};

/** The policy the form describes, as the API takes it; the domain's rules judge it. */
export const policyOf = (v: PolicyFormValues): Partial<UpdatePolicy> & Record<string, unknown> => {
  const waves = {
    ...(v.canarySites.trim() ? { canarySites: v.canarySites.split(/[\s,]+/).filter(Boolean) } : {}),
    ...(numberOf(v.canaries) !== undefined ? { canaries: numberOf(v.canaries) } : {}),
    ...(numberOf(v.batchSize) !== undefined ? { batchSize: numberOf(v.batchSize) } : {}),
  };
  const siteWindows: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (const line of lines(v.siteWindows)) {
    const colon = line.indexOf(':');
    const site = (colon < 0 ? line : line.slice(0, colon)).trim();
    const rest = colon < 0 ? '' : line.slice(colon + 1).trim();
    siteWindows[site] = !rest || rest.toLowerCase() === 'any' ? [] : rest.split(';').map((w) => w.trim()).filter(Boolean);
  }
  const http = v.httpUrl.trim()
    ? {
        url: v.httpUrl.trim(),
        ...(numberOf(v.expectStatus) !== undefined ? { expectStatus: numberOf(v.expectStatus) } : {}),
        ...(v.bodyContains ? { bodyContains: v.bodyContains } : {}),
        ...(numberOf(v.timeoutMs) !== undefined ? { timeoutMs: numberOf(v.timeoutMs) } : {}),
        ...(numberOf(v.retries) !== undefined ? { retries: numberOf(v.retries) } : {}),
      }
    : undefined;
  const rollout = {
    ...(Object.keys(waves).length ? { waves } : {}),
    ...(numberOf(v.failureThreshold) !== undefined ? { failureThreshold: numberOf(v.failureThreshold) } : {}),
    ...(numberOf(v.bakeMinutes) !== undefined ? { bakeMinutes: numberOf(v.bakeMinutes) } : {}),
    ...(lines(v.windows).length ? { windows: lines(v.windows) } : {}),
    ...(Object.keys(siteWindows).length ? { siteWindows: { ...siteWindows } } : {}),
    ...(http || v.command ? { healthCheck: { ...(http ? { http } : {}), ...(v.command ? { command: true } : {}) } } : {}),
  };
  return {
    rollout: Object.keys(rollout).length ? (rollout as RolloutPolicy) : null,
    security: securityOf(v),
    advisoryDigest: v.advisoryDigest.trim() || null,
    minReleaseAgeHours: (numberOf(v.minReleaseAgeHours) ?? null) as number | null,
  };
};

/**
 * Problems (`policy.rollout.windows.1: …`) by form field: the longest field name the problem's path starts with
 * (`policy.rollout.siteWindows.a.example.org.0` → the site windows box); the rest go on top of the form.
 */
export const policyFieldErrors = (issues: readonly string[]): { fields: FieldErrors; other: string[] } => {
  const names = Object.values(POLICY_FIELDS).sort((a, b) => b.length - a.length);
  const fields: FieldErrors = Object.create(null) as FieldErrors;
  const other: string[] = [];
  for (const issue of issues) {
    const colon = issue.indexOf(': ');
    const path = colon > 0 ? issue.slice(0, colon) : '';
    const name = names.find((n) => path === n || path.startsWith(`${n}.`));
    if (!name) other.push(issue);
    // A list item's problem keeps its position: "2nd line: …".
    else fields[name] = fields[name] ? `${fields[name]}; ${problemText(path, name, issue.slice(colon + 2))}` : problemText(path, name, issue.slice(colon + 2));
  }
  return { fields, other };
};

const problemText = (path: string, name: string, problem: string): string => {
  const rest = path.slice(name.length + 1);
  if (!rest) return problem;
  return /^\d+$/.test(rest) ? `line ${Number(rest) + 1}: ${problem}` : `${rest}: ${problem}`;
};

/** The outcome of "Test this check on a site". */
export type HealthCheckTest = { ok: boolean; site: string; message: string; log: string[] };

export interface PolicyFormOptions {
  distribution: Pick<Distribution, 'slug' | 'title'>;
  values: PolicyFormValues;
  errors?: FieldErrors;
  alerts?: string[];
  /** The waves and next window Confirm would use now for the outdated sites, when there are any. */
  preview?: string | null;
  test?: HealthCheckTest;
  now: Date;
  /** Set after a save: what it changed. */
  saved?: string | null;
}

/** Fills `<time data-local>` with the viewer's own zone (the server cannot know it); without it the UTC text stays. */
export const LOCAL_TIME_SCRIPT = inlineScript(`(function () {
  var zone = '';
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch (e) {}
  Array.prototype.forEach.call(document.querySelectorAll('time[data-local]'), function (el) {
    var d = new Date(el.getAttribute('datetime'));
    if (isNaN(d.getTime())) return;
    el.textContent = d.toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit', day: 'numeric', month: 'short' }) + (zone ? ' ' + zone : '');
  });
})();`);

const fieldId = (name: string): string => `f-${name.replace(/[^a-zA-Z0-9]/g, '-')}`;

const textarea = (o: { name: string; label: string; value: string; errors: FieldErrors; hint: string; rows?: number }): SafeHtml => {
  const id = fieldId(o.name);
  const error = o.errors[o.name];
  return html`<p class="field${error ? ' invalid' : ''}"><label for="${id}">${o.label}</label>
<textarea id="${id}" name="${o.name}" rows="${String(o.rows ?? 3)}"${error ? html` aria-invalid="true" aria-describedby="${id}-error"` : ''}>${o.value}</textarea>
<small>${o.hint}</small>${error ? html`<strong class="error" id="${id}-error">${error}</strong>` : ''}</p>`;
};

/** The next three openings of the windows as typed (valid ones), in the window's zone, UTC and the viewer's zone. */
export const openingsPreview = (windowsText: string, now: Date): SafeHtml => {
  const windows = lines(windowsText)
    .map((t) => parseWindow(t))
    .filter((w): w is MaintenanceWindow => typeof w !== 'string');
  if (!windows.length) return html`<p class="sub" id="window-openings">No maintenance window: migrations may start at any time.</p>`;
  const openings = nextOpenings(windows, now, 3);
  const zoneOf = (at: Date) => windows.find((w) => nextOpenings([w], new Date(at.getTime() - 1), 1)[0]?.getTime() === at.getTime())?.timeZone ?? 'UTC';
  return html`<table id="window-openings" tabindex="0"><caption class="sub">Next openings</caption><thead><tr><th>Window's zone</th><th>UTC</th><th>Your time</th></tr></thead><tbody>
${openings.map(
  (at) => html`<tr><td>${formatInZone(at, zoneOf(at))}</td><td>${formatInZone(at, 'UTC')}</td><td><time data-local datetime="${at.toISOString()}">${at.toISOString().replace('T', ' ').slice(0, 16)} UTC</time></td></tr>`,
)}</tbody></table>`;
};

const testResult = (t: HealthCheckTest | undefined): SafeHtml => {
  if (!t) return html``;
  return html`<div id="health-test" role="status" class="${t.ok ? 'ok-note' : 'alert'}">${t.ok ? 'Passed' : 'Failed'} on <code>${t.site}</code>: ${t.message}${
    t.log.length ? html`<div class="log">${t.log.map((l) => html`<div>${l}</div>`)}</div>` : ''
  }</div>`;
};

export const renderPolicyForm = (o: PolicyFormOptions): SafeHtml => {
  const v = o.values;
  const e = o.errors ?? {};
  const f = POLICY_FIELDS;
  const href = distributionHref(o.distribution.slug);
  return layout({
    title: `Policy of ${o.distribution.title}`,
    scripts: [LOCAL_TIME_SCRIPT],
    body: html`<h1>Rollout policy of <code>${o.distribution.slug}</code></h1>
<p class="sub">How Confirm's migrations reach the sites of <a href="${href}">${o.distribution.title}</a>. A change applies at once to rollouts that are running or waiting.</p>
${o.saved ? html`<p class="ok-note" role="status" id="policy-saved">${withInlineCode(o.saved)}</p>` : ''}
<form method="post" action="${href}/policy" id="policy-form" novalidate>
${csrfField()}${formAlert(o.alerts ?? [])}
<button type="submit" name="intent" value="save" hidden tabindex="-1">Save</button>
${o.preview ? html`<p class="card" id="policy-preview">With the outdated sites now: ${o.preview}</p>` : ''}
<fieldset><legend>Waves</legend>
${input({ name: f.canarySites, label: 'Canary sites', value: v.canarySites, errors: e, hint: 'site names, moved first (comma or space separated)' })}
${input({ name: f.canaries, label: 'Also the first N sites as canaries', type: 'number', value: v.canaries, errors: e, hint: 'by name; 0 or empty: none' })}
${input({ name: f.batchSize, label: 'Batch size', type: 'number', value: v.batchSize, errors: e, hint: 'sites per wave after the canaries; empty: all the rest in one wave' })}
${input({ name: f.failureThreshold, label: 'Failure threshold', value: v.failureThreshold, errors: e, hint: "fraction of a wave's sites that may fail before the rollout pauses, 0–1 (0: any failure pauses)" })}
${input({ name: f.bakeMinutes, label: 'Bake time between waves (minutes)', type: 'number', value: v.bakeMinutes, errors: e, hint: 'wait this long after a healthy wave before the next starts' })}
</fieldset>
<fieldset><legend>Maintenance windows</legend>
${textarea({ name: f.windows, label: 'Windows', value: v.windows, errors: e, hint: 'one per line, e.g. Tue,Thu 01:00-04:00 Europe/Amsterdam (an end before the start runs into the next day); none: any time' })}
${openingsPreview(v.windows, o.now)}
${textarea({ name: f.siteWindows, label: 'Windows of single sites', value: v.siteWindows, errors: e, hint: 'one site per line: intranet.example.org: Sat 02:00-06:00 UTC; Sun 02:00-06:00 UTC (or "any")' })}
</fieldset>
<fieldset><legend>Health check after each migration</legend>
${input({ name: f.httpUrl, label: 'HTTP check URL', value: v.httpUrl, errors: e, placeholder: 'https://{site}/user/login', hint: '{site} is the site name; empty: no HTTP check' })}
${input({ name: f.expectStatus, label: 'Expected status', type: 'number', value: v.expectStatus, errors: e, hint: 'default 200' })}
${input({ name: f.bodyContains, label: 'Body contains', value: v.bodyContains, errors: e, hint: 'text the first 64 KB must contain (optional)' })}
${input({ name: f.timeoutMs, label: 'Timeout per attempt (ms)', type: 'number', value: v.timeoutMs, errors: e, hint: 'default 10000' })}
${input({ name: f.retries, label: 'Retries', type: 'number', value: v.retries, errors: e, hint: 'attempts after the first, default 2' })}
${checkbox({ name: f.command, label: "Also run the operator's HEALTH_CHECK_COMMAND", checked: v.command })}
${input({ name: f.testSite, label: 'Site to test the check on', value: v.testSite, errors: e, hint: 'a site of this distribution; the check as typed runs once, nothing is saved' })}
${testResult(o.test)}
<button type="submit" name="intent" value="test-health">Test this check on a site</button>
</fieldset>
<fieldset><legend>Security and new builds</legend>
${checkbox({ name: f.skipWindows, label: 'Security rollouts start outside maintenance windows', checked: v.skipWindows })}
${checkbox({ name: f.autoUpgrade, label: 'Start a security rollout automatically when an advisory exposes sites the target fixes', checked: v.autoUpgrade })}
${input({ name: f.maxEventPackages, label: 'An advisory update changing more packages than this needs a person', type: 'number', value: v.maxEventPackages, errors: e, hint: 'empty: 50' })}
${input({ name: f.maxCoveredFraction, label: 'An advisory update newly covering more than this fraction of a platform’s packages needs a person', value: v.maxCoveredFraction, errors: e, hint: 'empty: 0.2 (20%)' })}
${input({ name: f.advisoryDigest, label: 'Weekly digest of what is still exposed', value: v.advisoryDigest, errors: e, hint: 'e.g. Mon 09:00 Europe/Amsterdam; empty: no digest' })}
${input({ name: f.minReleaseAgeHours, label: 'Minimum release age (hours)', type: 'number', value: v.minReleaseAgeHours, errors: e, hint: 'a new build becomes the target automatically only once Distro has known it this long; empty or 0: at once' })}
</fieldset>
<p class="actions"><button type="submit" name="intent" value="save" class="primary">Save policy</button>
<button type="submit" name="intent" value="preview">Check and preview</button>
<a href="${href}">Back to the distribution</a></p>
</form>`,
  });
};

/** The policy in short, for the distribution page. */
export const policySummary = (p: UpdatePolicy, nextWindow: string): SafeHtml => {
  const r = p.rollout ?? {};
  const waves = [
    r.waves?.canarySites?.length ? `canaries ${r.waves.canarySites.join(', ')}` : '',
    r.waves?.canaries ? `first ${r.waves.canaries} as canaries` : '',
    r.waves?.batchSize ? `batches of ${r.waves.batchSize}` : r.waves?.canarySites?.length || r.waves?.canaries ? 'then the rest in one wave' : 'one wave of every site',
  ].filter(Boolean);
  const hc = r.healthCheck;
  return html`<dl class="facts" id="policy-summary">
<dt>Waves</dt><dd>${waves.join(' · ')} · pauses when more than ${Math.round((r.failureThreshold ?? 0) * 100)}% of a wave fails${r.bakeMinutes ? ` · ${r.bakeMinutes} min bake between waves` : ''}</dd>
<dt>Windows</dt><dd>${r.windows?.length ? r.windows.join('; ') : 'any time'}${r.siteWindows && Object.keys(r.siteWindows).length ? ` · ${Object.keys(r.siteWindows).length} sites with their own` : ''} · ${nextWindow}</dd>
<dt>Health check</dt><dd>${hc?.http ? html`<code>${hc.http.url}</code> expects ${hc.http.expectStatus ?? 200}` : 'no HTTP check'}${hc?.command ? ' · HEALTH_CHECK_COMMAND' : ''}</dd>
<dt>Security</dt><dd>${p.security?.skipWindows ? 'skips windows' : 'keeps windows'} · ${p.security?.autoUpgrade ? 'starts automatically on an advisory' : 'waits for a person'}</dd>
<dt>New builds</dt><dd>${p.autoTarget ? `become the target automatically${p.minReleaseAgeHours ? ` once ${p.minReleaseAgeHours} h old` : ''}` : 'wait for a manual target'}</dd>
</dl>`;
};
