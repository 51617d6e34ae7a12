import type { Actor } from './actor.js';

/** `install`: makes a site's files on its platform (a worker job, so web processes never call the hosting driver). */
/** `rollback`: puts a migrated site back on the platform it came from, from the migration's backup. */
export type TaskType = 'migrate' | 'install' | 'rollback';
export type TaskState = 'queued' | 'processing' | 'succeeded' | 'failed' | 'cancelled';

export const ACTIVE_TASK_STATES: readonly TaskState[] = ['queued', 'processing'];
export const FINAL_TASK_STATES: readonly TaskState[] = ['succeeded', 'failed', 'cancelled'];

export interface TaskLogLine {
  at: Date;
  level: 'info' | 'warn' | 'error';
  message: string;
}

export interface TaskSubject {
  kind: 'site' | 'platform' | 'distribution';
  id: string;
  name: string;
}

export interface Task {
  id: string;
  /** Short human number for commands (`/distro cancel 42`). */
  number: number;
  type: TaskType;
  subject: TaskSubject;
  fromPlatformId: string | null;
  toPlatformId: string | null;
  /** The upgrade plan (Slack summary) that scheduled it, if any. */
  planId: string | null;
  state: TaskState;
  requestedBy: Actor;
  confirmedBy: Actor | null;
  /** The newest log lines (at most LOG_MAX_LINES, see src/persistence/records.ts). */
  log: TaskLogLine[];
  /** How many older log lines were dropped to keep the record bounded. */
  logDropped: number;
  /** Last completed step of a multi-step job (migration checkpoint for crash recovery). */
  step: string | null;
  /** Step data needed to resume or roll back (backup path, …). */
  checkpoint: Record<string, string>;
  attempts: number;
  /** Worker holding the task and until when (lease); an expired lease means the worker died. */
  lease: { owner: string; until: Date } | null;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export type NewTask = Pick<Task, 'type' | 'subject' | 'requestedBy'> &
  Partial<Pick<Task, 'fromPlatformId' | 'toPlatformId' | 'planId' | 'confirmedBy'>>;

/** Key that enforces "one active task of a type per subject". */
export const activeKey = (t: Pick<Task, 'type' | 'subject'>): string => `${t.type}:${t.subject.kind}:${t.subject.id}`;

export const isActive = (s: TaskState): boolean => ACTIVE_TASK_STATES.includes(s);
