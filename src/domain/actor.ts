/** Where a user acted from: recorded with every change so the audit log can say it. */
export type Surface = 'slack' | 'api' | 'page' | 'cli';

/** Who caused something: a Slack/admin user, the poller, a webhook, or the system itself. */
export type Actor =
  | {
      kind: 'user';
      id: string;
      name?: string;
      via?: Surface;
      /** The name of the personal API token the user acted with (recorded in the audit log). */
      token?: string;
      /** The HTTP request (X-Request-Id) the action came from, so the jobs and tasks it starts can be traced to it. */
      requestId?: string;
    }
  | { kind: 'poll' }
  | { kind: 'webhook'; delivery?: string }
  | { kind: 'system' };

export const describeActor = (a: Actor): string =>
  a.kind === 'user' ? (a.name ?? a.id) : a.kind === 'webhook' ? 'webhook' : a.kind;
