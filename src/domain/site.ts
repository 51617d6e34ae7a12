/** `installing`: created through Distro, its files not made yet (a worker's install task does that). */
export const SITE_STATUSES = ['enabled', 'disabled', 'migrating', 'installing'] as const;
export type SiteStatus = (typeof SITE_STATUSES)[number];

export interface SiteHistoryEntry {
  platformId: string;
  from: Date;
  taskId?: string;
}

export interface Site {
  id: string;
  /** Unique URL/name, e.g. `community.example.org`. */
  name: string;
  platformId: string;
  status: SiteStatus;
  /** Drupal modules enabled on the site, when known; a missing enabled module blocks an upgrade. */
  modules: string[];
  history: SiteHistoryEntry[];
  createdAt: Date;
  updatedAt: Date;
}

export type NewSite = Pick<Site, 'name' | 'platformId'> & Partial<Pick<Site, 'status' | 'modules'>>;

export const SITE_NAME_PATTERN = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
