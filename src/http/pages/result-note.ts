/**
 * The result message of a page action, shown on the page its POST redirects to ("Rollout 3 paused"). The
 * redirect carries it in a sealed `note` query parameter (LinkSigner.sealNote: signed for that path, expiring in
 * two minutes), so a crafted URL cannot make the page say anything; the layout renders it escaped with role="status".
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestHandler, Response } from 'express';
import type { LinkSigner } from '../../services/link-signer.js';

const storage = new AsyncLocalStorage<string | null>();

/** The note of the current page request, if a valid one came with it. */
export const resultNote = (): string | null => storage.getStore() ?? null;

/** Reads the `note` of page requests and keeps it for the layout; adds `res.locals.seal` for the action routes. */
export const resultNotes =
  (links: LinkSigner): RequestHandler =>
  (req, res, next) => {
    res.locals['sealNote'] = (path: string, text: string) => links.sealNote(path, text);
    const note = req.method === 'GET' && req.query['note'] !== undefined ? links.openNote(req.path, req.query['note']) : null;
    storage.run(note, next);
  };

/** 303 to `href` with `text` as its result message. */
export const redirectWithNote = (res: Response, href: string, text: string): void => {
  const seal = res.locals['sealNote'] as ((path: string, text: string) => string) | undefined;
  if (!seal) return void res.redirect(303, href);
  const url = new URL(href, 'http://x');
  url.searchParams.set('note', seal(url.pathname, text));
  res.redirect(303, `${url.pathname}${url.search}`);
};
