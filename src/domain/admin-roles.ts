/**
 * Admin roles and the one table of which action needs which role, read by the API and the pages alike.
 * Roles are ordered: each one may do everything the ones before it may.
 */
export const ADMIN_ROLES = ['viewer', 'operator', 'admin'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

/**
 * Viewers read. Operators run the fleet (targets, polls, sites, upgrades, cancels). Admins also change what
 * Distro tracks (distributions and their upstreams, hand-registered platforms).
 */
export const ACTION_ROLES = {
  read: 'viewer',
  'distribution.create': 'admin',
  'distribution.edit': 'admin',
  'distribution.delete': 'admin',
  'distribution.test-upstream': 'admin',
  'distribution.test-health-check': 'admin',
  'distribution.target': 'operator',
  'distribution.poll': 'operator',
  'distribution.build': 'operator',
  'platform.register': 'admin',
  'platform.delete': 'admin',
  'site.create': 'operator',
  'fleet.import': 'admin',
  'site.edit': 'operator',
  'site.delete': 'operator',
  'upgrade.propose': 'operator',
  'upgrade.confirm': 'operator',
  'upgrade.cancel': 'operator',
  'task.cancel': 'operator',
  'rollout.pause': 'operator',
  'rollout.resume': 'operator',
  'rollout.cancel': 'operator',
  'platform.lock': 'operator',
  'site.pin': 'operator',
  'distribution.pin': 'operator',
  'site.rollback': 'operator',
  /** Ending every session of one's own account ("sign out everywhere"). */
  'account.sign-out-everywhere': 'viewer',
  /** Ending every session of any user (a lost laptop, a leaver). */
  'user.sign-out-everywhere': 'admin',
  // Every signed-in user manages their own personal API tokens (a token's role is capped at its owner's).
  'token.create': 'viewer',
  'token.revoke': 'viewer',
} as const satisfies Record<string, AdminRole>;

export type AdminAction = keyof typeof ACTION_ROLES;

export const isAdminRole = (value: string): value is AdminRole => (ADMIN_ROLES as readonly string[]).includes(value);

export const roleAtLeast = (role: AdminRole, needed: AdminRole): boolean => ADMIN_ROLES.indexOf(role) >= ADMIN_ROLES.indexOf(needed);

export const roleAllows = (role: AdminRole, action: AdminAction): boolean => roleAtLeast(role, ACTION_ROLES[action]);
