/**
 * Passes every text response body through the redactor: `res.json` and the pages both end in `res.send` with a
 * string, so one wrapper covers API output, error bodies and rendered pages.
 */
import type { RequestHandler } from 'express';
import type { Redactor } from '../lib/redact.js';

export const redactResponses =
  (redact: Redactor): RequestHandler =>
  (_req, res, next) => {
    const send = res.send.bind(res);
    res.send = (body?: unknown) => send(typeof body === 'string' ? redact(body) : body);
    next();
  };
