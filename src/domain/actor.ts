/** Where a user acted from: recorded with every change so the audit log can say it. */
export type Surface = 'slack' | 'api' | 'page' | 'cli';

/** Who caused something: a Slack/admin user, the poller, a webhook, or the system itself. */
export type Actor =
  | { kind: 'user'; id: string; name?: string; via?: Surface }
  | { kind: 'poll' }
  | { kind: 'webhook'; delivery?: string }
  | { kind: 'system' };

export const describeActor = (a: Actor): string =>
  a.kind === 'user' ? (a.name ?? a.id) : a.kind === 'webhook' ? 'webhook' : a.kind;
