/**
 * What a user can do about an error, as data: services say *what* (set the target of `social`), each transport
 * says *how* in its own terms — Slack the slash command (src/slack/blocks/error-hints.ts), HTTP the endpoint
 * (src/http/error-mapping.ts). A new action does not compile until both render it.
 */
export type ErrorHint =
  /** Designate an upgrade target for the distribution. */
  | { action: 'set-target'; distribution: string }
  /** Look at the distribution as it is now, then try again. */
  | { action: 'show-distribution'; distribution: string }
  /** Give the distribution an upstream (git URL or GitHub repository). */
  | { action: 'set-upstream'; distribution: string }
  /** Ask for a fresh upgrade summary. */
  | { action: 'propose-upgrade' }
  /** Cancel one queued task (e.g. a single migration of a confirmed upgrade). */
  | { action: 'cancel-task' }
  /** Recent tasks (of one site), to find a task's number or see what is running. */
  | { action: 'list-tasks'; site?: string };
