/**
 * Personal API tokens: a signed-in user creates (the secret is shown once), lists and revokes their own; each
 * change is audited. Verification reads the store on every request (no cache), so a revocation holds at once in
 * every process.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Actor } from '../domain/actor.js';
import { isAdminRole, roleAtLeast, type AdminRole } from '../domain/admin-roles.js';
import {
  API_TOKEN_PREFIX,
  API_TOKEN_SECRET,
  MAX_TOKEN_DAYS,
  MAX_TOKENS_PER_USER,
  TOKEN_NAME,
  type ApiToken,
} from '../domain/api-token.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import type { Clock, Repositories } from '../domain/ports.js';
import type { AuditLog } from './audit-log.js';

/** The signed-in user a token belongs to (from ADMIN_USERS). */
export interface TokenOwner {
  name: string;
  role: AdminRole;
}

export interface NewApiToken {
  name: unknown;
  /** Defaults to the owner's role. */
  role?: unknown;
  /** Days until it expires; null or absent: never. */
  expiresInDays?: unknown;
}

export interface CreatedApiToken {
  token: ApiToken;
  /** The secret itself: returned once, never stored. */
  secret: string;
}

/** A use is recorded at most this often per token (a write per request would cost every API call a commit). */
const TOUCH_EVERY_MS = 60_000;
const DAY_MS = 24 * 60 * 60 * 1000;

export const hashTokenSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

export class ApiTokenService {
  private readonly clock: Clock;

  constructor(private readonly deps: { repos: Pick<Repositories, 'apiTokens'>; audit: AuditLog; clock?: Clock }) {
    this.clock = deps.clock ?? { now: () => new Date() };
  }

  async create(owner: TokenOwner, input: NewApiToken, actor: Actor): Promise<CreatedApiToken> {
    const problems: string[] = [];
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (!TOKEN_NAME.test(name)) problems.push('name: 1–64 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit');
    const role = input.role === undefined || input.role === '' ? owner.role : input.role;
    if (typeof role !== 'string' || !isAdminRole(role)) problems.push('role: one of viewer, operator, admin');
    else if (!roleAtLeast(owner.role, role)) problems.push(`role: at most your own role (${owner.role})`);
    const days = input.expiresInDays === '' || input.expiresInDays === undefined || input.expiresInDays === null ? null : Number(input.expiresInDays);
    if (days !== null && !(Number.isInteger(days) && days >= 1 && days <= MAX_TOKEN_DAYS)) {
      problems.push(`expiresInDays: a whole number of days from 1 to ${MAX_TOKEN_DAYS}, or empty for no expiry`);
    }
    const existing = await this.deps.repos.apiTokens.listByUser(owner.name);
    if (existing.some((t) => t.name === name)) problems.push(`name: you already have a token named "${name}"; revoke it or choose another name`);
    if (existing.length >= MAX_TOKENS_PER_USER) problems.push(`name: you have ${existing.length} tokens, the most allowed; revoke some first`);
    if (problems.length) throw new ValidationError('Invalid API token.', problems);
    const now = this.clock.now();
    const secret = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const token: ApiToken = {
      id: randomUUID(),
      user: owner.name,
      name,
      role: role as AdminRole,
      hash: hashTokenSecret(secret),
      createdAt: now,
      expiresAt: days === null ? null : new Date(now.getTime() + days * DAY_MS),
      lastUsedAt: null,
    };
    await this.deps.audit.change(
      () => this.deps.repos.apiTokens.create(token),
      () => ({
        actor,
        action: 'token.create',
        subject: { kind: 'token', id: token.id, name: `${owner.name}/${name}` },
        details: { role: token.role, expiresAt: token.expiresAt?.toISOString() ?? null },
      }),
    );
    return { token, secret };
  }

  list(owner: Pick<TokenOwner, 'name'>): Promise<ApiToken[]> {
    return this.deps.repos.apiTokens.listByUser(owner.name);
  }

  async revoke(owner: Pick<TokenOwner, 'name'>, id: string, actor: Actor): Promise<ApiToken> {
    const revoked = await this.deps.audit.change(
      () => this.deps.repos.apiTokens.revoke(owner.name, id),
      (t) => (t ? { actor, action: 'token.revoke', subject: { kind: 'token', id: t.id, name: `${t.user}/${t.name}` }, details: { role: t.role } } : null),
    );
    if (!revoked) throw new NotFoundError('API token', id);
    return revoked;
  }

  /** The live token a presented secret belongs to, or null (malformed, unknown, revoked or expired). */
  async verify(secret: string): Promise<ApiToken | null> {
    if (!API_TOKEN_SECRET.test(secret)) return null;
    const token = await this.deps.repos.apiTokens.findByHash(hashTokenSecret(secret));
    const now = this.clock.now();
    if (!token || (token.expiresAt && token.expiresAt <= now)) return null;
    if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() >= TOUCH_EVERY_MS) {
      // Best effort: a full disk or a busy store must not refuse a valid token.
      await this.deps.repos.apiTokens.touch(token.id, now).catch(() => undefined);
    }
    return token;
  }
}
