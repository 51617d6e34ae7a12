/**
 * POST /api/import: the request and response shapes, in one exported place (the pages, scripts and a CLI use the
 * same). Body: `{ format, content, distribution? }` as JSON, or the raw file with `Content-Type: text/csv`
 * (format csv) or `application/x-drush-aliases+json`… kept simple: JSON bodies, or text/csv. `?apply=true` writes.
 */
import { z } from 'zod';
import { IMPORT_FORMATS } from '../../domain/fleet-import.js';

export const importQuerySchema = z.object({
  apply: z.enum(['true', 'false']).optional(),
  distribution: z.string().max(63).optional(),
  format: z.enum(IMPORT_FORMATS).optional(),
});

export const importRequestSchema = z.strictObject({
  format: z.enum(IMPORT_FORMATS),
  /** The file's text: drush site:alias JSON, or CSV. */
  content: z.string(),
  distribution: z.string().max(63).optional(),
  apply: z.boolean().optional(),
});

export type ImportRequestBody = z.infer<typeof importRequestSchema>;

const action = z.enum(['create', 'already there', 'refused', 'skipped']);

export const importResponseSchema = z.object({
  format: z.enum(IMPORT_FORMATS),
  applied: z.boolean(),
  counts: z.object({ rows: z.number(), create: z.number(), already: z.number(), refused: z.number(), skipped: z.number(), created: z.number() }),
  platforms: z.array(
    z.object({ source: z.string(), platform: z.string().nullable(), by: z.enum(['root', 'manifest', 'name']).nullable(), reason: z.string().optional(), rows: z.number() }),
  ),
  rows: z.array(
    z.object({
      line: z.number(),
      label: z.string(),
      site: z.string().nullable(),
      platform: z.string().nullable(),
      server: z.string().nullable(),
      action,
      reason: z.string().optional(),
    }),
  ),
});

export type ImportResponse = z.infer<typeof importResponseSchema>;
