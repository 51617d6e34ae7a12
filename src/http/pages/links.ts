/** Page URLs, with each name encoded as one path segment. */
const seg = encodeURIComponent;

export const distributionHref = (slug: string): string => `/distributions/${seg(slug)}`;
export const platformHref = (name: string): string => `/platforms/${seg(name)}`;
export const siteHref = (name: string): string => `/sites/${seg(name)}`;
export const taskHref = (idOrNumber: string | number): string => `/tasks/${seg(String(idOrNumber))}`;
export const compareHref = (from: string, to: string, site?: string): string =>
  `/compare/${seg(from)}/${seg(to)}${site ? `?site=${seg(site)}` : ''}`;
export const upgradeHref = (planId: string): string => `/upgrades/${seg(planId)}`;
