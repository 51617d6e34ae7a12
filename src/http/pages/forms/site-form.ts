/** Add a site to a platform, or change a site's status and modules. */
import type { Site } from '../../../domain/site.js';
import { html, type SafeHtml } from '../../html.js';
import { layout } from '../layout.js';
import { siteHref } from '../links.js';
import { checkbox, csrfField, formAlert, input, select, type FieldErrors } from './form-parts.js';

export interface SiteFormValues {
  name: string;
  platform: string;
  status: string;
  modules: string;
  /** Create only: the site already exists on the platform (adopt it: checked there, not installed). */
  adopt?: boolean;
}

export interface SiteFormOptions {
  mode: 'create' | 'edit';
  values: SiteFormValues;
  /** Platforms that accept new sites (create only). */
  platforms?: string[];
  errors?: FieldErrors;
  alerts?: string[];
  site?: Site;
}

export const renderSiteForm = (o: SiteFormOptions): SafeHtml => {
  const v = o.values;
  const e = o.errors ?? {};
  const creating = o.mode === 'create';
  return layout({
    title: creating ? 'New site' : `Edit ${v.name}`,
    body: html`<h1>${creating ? 'New site' : html`Edit <code>${v.name}</code>`}</h1>
<form method="post" action="${creating ? '/new-site' : `${siteHref(v.name)}/edit`}" id="site-form" novalidate>
${csrfField()}${formAlert(o.alerts ?? [])}
${creating ? input({ name: 'name', label: 'Site (host name)', value: v.name, errors: e, required: true, placeholder: 'community.example.org' }) : ''}
${
  creating
    ? o.platforms?.length
      ? select({ name: 'platform', label: 'Platform', value: v.platform, errors: e, options: o.platforms.map((p) => [p, p]) })
      : input({ name: 'platform', label: 'Platform', value: v.platform, errors: e, required: true })
    : select({ name: 'status', label: 'Status', value: v.status, errors: e, options: [['enabled', 'enabled'], ['disabled', 'disabled']] })
}
${creating ? checkbox({ name: 'adopt', label: 'This site already exists on the platform (adopt it: Distro checks it is there and installs nothing)', checked: v.adopt ?? false }) : ''}
${input({ name: 'modules', label: 'Enabled modules', value: v.modules, errors: e, hint: 'machine names separated by spaces or commas (optional; Compare checks them)' })}
<p class="actions"><button type="submit" class="primary">${creating ? 'Add site' : 'Save changes'}</button> <a href="${creating ? '/' : siteHref(v.name)}">Cancel</a></p>
</form>`,
  });
};
