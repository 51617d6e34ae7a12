/** Request validation with zod, reported as ValidationError with one `field: problem` issue per mistake. */
import type { Request, RequestHandler } from 'express';
import { z } from 'zod';
import { ValidationError } from '../domain/errors.js';
import type { Page, PageRequest } from '../domain/ports.js';

const issuesOf = (error: z.ZodError, root: string): string[] =>
  error.issues.map((i) => {
    const path = i.path.map(String).join('.');
    const keys = i.code === 'unrecognized_keys' ? ` (${i.keys.join(', ')})` : '';
    return `${path || root}: ${i.message}${keys}`;
  });

/** Validates any input (a body, a query, a page form's fields as an API body) with `root` naming the whole. */
export const parseWith = <S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> => {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(`Invalid request ${what}.`, issuesOf(result.error, what));
  return result.data;
};

/** A missing body (no JSON content type) is validated as `{}` so required fields are named, not "expected object". */
export const parseBody = <S extends z.ZodType>(schema: S, req: Request): z.output<S> => parseWith(schema, req.body ?? {}, 'body');

export const parseQuery = <S extends z.ZodType>(schema: S, req: Request): z.output<S> => parseWith(schema, req.query, 'query');

export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
};

/** `?status=ready,locked` → ['ready', 'locked'], each checked against the allowed values. */
export const csvOf = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)).min(1));

/** A non-empty string after trimming. */
export const name = () => z.string().trim().min(1, 'required');

export interface Paged<T> extends Page<T> {
  limit: number;
  offset: number;
}

export const paged = <T, U>(page: Page<T>, request: PageRequest, map: (item: T) => U): Paged<U> => ({
  items: page.items.map(map),
  total: page.total,
  limit: request.limit,
  offset: request.offset,
});

/** Pages an already-loaded list (services that return everything). */
export const sliceToPage = <T>(items: T[], request: PageRequest): Page<T> => ({
  items: items.slice(request.offset, request.offset + request.limit),
  total: items.length,
});

/** GET handler for a filtered, paged list: validates the query, builds the filter, answers the page envelope. */
export const listHandler =
  <Q extends { limit: number; offset: number }, F, T, U>(
    schema: z.ZodType<Q>,
    filterOf: (query: Q) => Promise<F>,
    list: (filter: F, page: PageRequest) => Promise<Page<T>>,
    map: (item: T) => U,
  ): RequestHandler =>
  async (req, res) => {
    const q = parseQuery(schema, req);
    const page = { limit: q.limit, offset: q.offset };
    res.json(paged(await list(await filterOf(q), page), page, map));
  };
