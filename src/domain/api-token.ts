/**
 * Personal API tokens: a signed-in user's named bearer credentials for scripts and the CLI. Only the SHA-256 of the
 * random secret is stored (a copy of the store grants nothing); the role is at most the user's, and a token acts
 * with the lower of its own role and the user's current one.
 */
import type { AdminRole } from './admin-roles.js';

export interface ApiToken {
  id: string;
  /** The ADMIN_USERS name that owns it. */
  user: string;
  name: string;
  role: AdminRole;
  /** Hex SHA-256 of the secret. */
  hash: string;
  createdAt: Date;
  /** Null: never expires. */
  expiresAt: Date | null;
  /** Last request made with it (updated at most once a minute). */
  lastUsedAt: Date | null;
}

/** Every secret starts with this, so a leaked one is recognisable (secret scanners) and told apart from ADMIN_TOKEN. */
export const API_TOKEN_PREFIX = 'dst_';
export const MAX_TOKEN_NAME_CHARS = 64;
export const MAX_TOKENS_PER_USER = 50;
export const MAX_TOKEN_DAYS = 366;
/** A token name: letters, digits, spaces and `._-`, 1–64 characters. */
export const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;
/** What a presented secret must look like before it is hashed and looked up. */
export const API_TOKEN_SECRET = /^dst_[A-Za-z0-9_-]{43}$/;
