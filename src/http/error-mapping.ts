/**
 * The one place HTTP maps errors to statuses: typed domain errors keep their message (it is written for
 * users, in no transport's terms) and their next step becomes `hint: { action, …, endpoint }`; body-parser
 * errors become 400/413, and anything else is a 500 that reveals nothing internal.
 */
import type { ErrorRequestHandler, Request, Response } from 'express';
import {
  ConflictError,
  DistroError,
  ForbiddenError,
  NotFoundError,
  RuleViolationError,
  StaleError,
  StorageFullError,
  TransientError,
  ValidationError,
} from '../domain/errors.js';
import type { ErrorHint } from '../domain/error-hints.js';
import type { Logger } from '../logger.js';
import { renderErrorPage } from './pages/error-page.js';

/** An error's next step over HTTP: the domain hint plus the endpoint that does it (and any plain advice as `text`). */
export type HttpHint = ErrorHint & { endpoint: string; text?: string };

export interface HttpErrorBody {
  code: string;
  message: string;
  issues?: readonly string[];
  suggestion?: string;
  /** Plain advice, or the structured next step when the error has one. */
  hint?: string | HttpHint;
  /** Bytes, on 413s: the size limit the body exceeded. */
  limit?: number;
}

export interface MappedError {
  status: number;
  body: HttpErrorBody;
  /** Seconds, for 503s that know when to come back. */
  retryAfter?: number;
}

/** Errors raised by express/body-parser carry a status and say whether their message is safe to show. */
interface HttpLibraryError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  type?: string;
  message?: string;
  limit?: number;
}

/** Compiles only while every action has its case. */
const unknownHint = (hint: never): string => `(${String((hint as { action?: unknown }).action)})`;

/** The endpoint that does what the hint says, with the names filled in (URL-encoded). */
export const endpointOf = (hint: ErrorHint): string => {
  const e = encodeURIComponent;
  switch (hint.action) {
    case 'set-target':
      return `PUT /api/distributions/${e(hint.distribution)}/target`;
    case 'show-distribution':
      return `GET /api/distributions/${e(hint.distribution)}`;
    case 'set-upstream':
      return `PATCH /api/distributions/${e(hint.distribution)}`;
    case 'propose-upgrade':
      return 'POST /api/upgrades';
    case 'cancel-task':
      return 'POST /api/tasks/{task}/cancel';
    case 'list-tasks':
      return hint.site ? `GET /api/tasks?site=${e(hint.site)}` : 'GET /api/tasks';
    default:
      return unknownHint(hint);
  }
};

const statusOf = (error: DistroError): number => {
  if (error instanceof ValidationError) return 400;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ConflictError || error instanceof StaleError) return 409;
  if (error instanceof RuleViolationError) return 422;
  if (error instanceof ForbiddenError) return 403;
  if (error instanceof TransientError) return 503;
  // 507 Insufficient Storage: the write was not made; reads still work.
  if (error instanceof StorageFullError) return 507;
  return 500;
};

export const mapError = (error: unknown): MappedError => {
  if (error instanceof DistroError) {
    const body: HttpErrorBody = { code: error.code, message: error.message };
    if (error instanceof ValidationError) body.issues = error.issues;
    if (error instanceof NotFoundError && error.suggestion) body.suggestion = error.suggestion;
    if (error.next) body.hint = { ...error.next, endpoint: endpointOf(error.next), ...(error.hint ? { text: error.hint } : {}) };
    else if (error.hint && !(error instanceof NotFoundError)) body.hint = error.hint;
    const mapped: MappedError = { status: statusOf(error), body };
    if (error instanceof TransientError && error.retryAfterMs) mapped.retryAfter = Math.ceil(error.retryAfterMs / 1000);
    return mapped;
  }
  const lib = (typeof error === 'object' && error !== null ? error : {}) as HttpLibraryError;
  if (lib.type === 'entity.parse.failed') {
    return { status: 400, body: { code: 'validation', message: 'Malformed JSON body.', issues: ['body: not valid JSON'] } };
  }
  if (lib.type === 'entity.too.large' && typeof lib.limit === 'number') {
    const mb = Math.round((lib.limit / 1024 / 1024) * 10) / 10;
    return {
      status: 413,
      body: { code: 'payload_too_large', message: `Request body too large: the limit is ${mb} MB (${lib.limit} bytes).`, limit: lib.limit },
    };
  }
  const status = lib.status ?? lib.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const message = lib.expose && lib.message ? lib.message : 'Bad request.';
    return { status, body: { code: lib.type ?? 'bad_request', message } };
  }
  return { status: 500, body: { code: 'internal', message: 'Internal error; it has been logged.' } };
};

/** Machine clients (API, webhooks) always get JSON, whatever failed; people get a page. */
const wantsJson = (req: Request): boolean => /^\/(api|webhooks)(\/|\?|$)/.test(req.originalUrl);

export const sendError = (req: Request, res: Response, mapped: MappedError): void => {
  if (mapped.retryAfter) res.set('Retry-After', String(mapped.retryAfter));
  res.status(mapped.status);
  if (wantsJson(req)) {
    res.json({ error: mapped.body });
    return;
  }
  res.type('html').send(renderErrorPage(mapped.status, mapped.body).value);
};

export const errorHandler =
  (logger: Logger): ErrorRequestHandler =>
  (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const mapped = mapError(error);
    if (mapped.status >= 500) logger.error({ err: error, method: req.method, url: req.path }, 'request failed');
    sendError(req, res, mapped);
  };
