/**
 * `/api/me` (who the credentials prove) and `/api/tokens`: the caller's own personal API tokens. Creating one needs
 * a signed-in session (a token cannot mint tokens that outlive it); listing and revoking work with a token too.
 */
import { type Response } from 'express';
import { apiRoutes, type ApiRoutes } from './route-table.js';
import { z } from 'zod';
import { describeActor } from '../../domain/actor.js';
import { ADMIN_ROLES } from '../../domain/admin-roles.js';
import { MAX_TOKEN_DAYS, type ApiToken } from '../../domain/api-token.js';
import type { Services } from '../../services/services.js';
import { actorOf, credentialOf, ownerOf, roleOf } from '../auth.js';
import { sendError } from '../error-mapping.js';
import { parseBody } from '../validation.js';

export const createTokenSchema = z
  .object({
    name: z.string().trim().min(1, 'required').max(64),
    role: z.enum(ADMIN_ROLES).optional(),
    expiresInDays: z.number().int().min(1).max(MAX_TOKEN_DAYS).nullable().optional(),
  })
  .strict();

/** A token as the API shows it: never its hash (the secret is only in the create answer). */
export const tokenView = (t: ApiToken) => ({
  id: t.id,
  name: t.name,
  role: t.role,
  createdAt: t.createdAt,
  expiresAt: t.expiresAt,
  lastUsedAt: t.lastUsedAt,
});

const NO_USER = {
  status: 403,
  body: {
    code: 'no_user',
    message: 'Personal API tokens belong to signed-in users (ADMIN_USERS); ADMIN_TOKEN, basic auth and the open mode have none.',
  },
};

const ownerOrRefuse = (res: Response) => {
  const owner = ownerOf(res);
  if (!owner) sendError(res.req, res, NO_USER);
  return owner;
};

export const tokensApi = (services: Services): { me: ApiRoutes; tokens: ApiRoutes } => {
  const me = apiRoutes();
  me.get('/', (_req, res) => {
    const actor = actorOf(res);
    res.json({
      user: describeActor(actor),
      role: roleOf(res),
      credential: credentialOf(res),
      token: actor.kind === 'user' ? (actor.token ?? null) : null,
    });
  });

  const tokens = apiRoutes();
  tokens.get('/', async (_req, res) => {
    const owner = ownerOrRefuse(res);
    if (owner) res.json({ items: (await services.apiTokens.list(owner)).map(tokenView) });
  });
  tokens.post('/', async (req, res) => {
    const owner = ownerOrRefuse(res);
    if (!owner) return;
    if (credentialOf(res) !== 'session') {
      sendError(req, res, { status: 403, body: { code: 'session_required', message: 'Create tokens signed in (on /tokens, or with your session and its X-CSRF-Token).' } });
      return;
    }
    const body = parseBody(createTokenSchema, req);
    const created = await services.apiTokens.create(owner, body, actorOf(res));
    res.status(201).json({ ...tokenView(created.token), secret: created.secret });
  });
  tokens.delete('/:id', async (req, res) => {
    const owner = ownerOrRefuse(res);
    if (!owner) return;
    const revoked = await services.apiTokens.revoke(owner, req.params.id, actorOf(res));
    res.json(tokenView(revoked));
  });
  return { me, tokens };
};
