/** Where new builds of a distribution come from. */
export type UpstreamSource =
  | { kind: 'git'; url: string; branch?: string; tagPattern?: string; manifestPath: string }
  | { kind: 'github'; owner: string; repo: string; branch?: string; tagPattern?: string; manifestPath: string };

export interface UpdatePolicy {
  /** Minutes between polls; 0 disables polling (webhooks and `/distro poll` still work). */
  pollIntervalMinutes: number;
  /** When true a newly built platform becomes the upgrade target automatically. */
  autoTarget: boolean;
}

export interface Distribution {
  id: string;
  slug: string;
  title: string;
  description: string;
  /** Slack channel ID (or name) that receives announcements. */
  channel: string | null;
  upstream: UpstreamSource | null;
  policy: UpdatePolicy;
  targetPlatformId: string | null;
  /** Opaque poll bookkeeping (last seen commit/tag, ETags) owned by the poller. */
  pollState: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
}

export type NewDistribution = Pick<Distribution, 'slug' | 'title'> &
  Partial<Pick<Distribution, 'description' | 'channel' | 'upstream' | 'policy'>>;

/** What an operator may change; a partial policy is merged into the current one. */
export type DistributionPatch = Partial<Pick<Distribution, 'title' | 'description' | 'channel' | 'upstream'>> & {
  policy?: Partial<UpdatePolicy>;
};

export const DEFAULT_POLICY: UpdatePolicy = { pollIntervalMinutes: 60, autoTarget: true };

export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Tag patterns are simple globs (`12.*`, `v*`); `*` matches any run of characters. */
export const matchesTagPattern = (pattern: string, tag: string): boolean => {
  const re = new RegExp('^' + pattern.split('*').map(escapeRegExp).join('.*') + '$');
  return re.test(tag);
};

const escapeRegExp = (s: string): string => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
