/** Who caused something: a Slack/admin user, the poller, a webhook, or the system itself. */
export type Actor =
  | { kind: 'user'; id: string; name?: string }
  | { kind: 'poll' }
  | { kind: 'webhook'; delivery?: string }
  | { kind: 'system' };

export const describeActor = (a: Actor): string =>
  a.kind === 'user' ? (a.name ?? a.id) : a.kind === 'webhook' ? 'webhook' : a.kind;
