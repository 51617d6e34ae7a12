/**
 * ADMIN_USERS: named admin users for the sign-in page, one entry per line or comma, each
 * `name:role:scrypt:N:r:p:salt:hash` (the hash as printed by `npm run admin:add-user`).
 */
import { createHash } from 'node:crypto';
import { ADMIN_ROLES, isAdminRole, type AdminRole } from '../domain/admin-roles.js';
import { parsePasswordHash, passwordHashProblem, type ParsedHash } from './password-hash.js';

export interface AdminUser {
  name: string;
  role: AdminRole;
  password: ParsedHash;
  /** SHA-256 of the entry's password hash: a re-hash made from it is valid only while the entry keeps it. */
  hashDigest: string;
  /** SHA-256 of role and password hash: sessions opened under another value end (password or role changed). */
  stamp: string;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export const ADMIN_USER_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** The users, or the problems (each naming the entry); an empty value is no users. */
export const parseAdminUsers = (value: string): { users: AdminUser[]; problems: string[] } => {
  const users: AdminUser[] = [];
  const problems: string[] = [];
  const entries = value.split(/[\n,]/).map((e) => e.trim()).filter(Boolean);
  entries.forEach((entry, i) => {
    const at = `entry ${i + 1}`;
    const [name = '', role = '', ...rest] = entry.split(':');
    const hash = rest.join(':');
    if (!ADMIN_USER_NAME.test(name)) return void problems.push(`${at}: user name must be 1–64 lowercase letters, digits, dots, dashes or underscores`);
    const who = `${at} (${name})`;
    if (!isAdminRole(role)) return void problems.push(`${who}: role must be one of ${ADMIN_ROLES.join(', ')}`);
    const problem = passwordHashProblem(hash);
    if (problem) return void problems.push(`${who}: ${problem}`);
    if (users.some((u) => u.name === name)) return void problems.push(`${who}: the user is listed twice`);
    users.push({ name, role, password: parsePasswordHash(hash), hashDigest: sha256(hash), stamp: sha256(`${role}\n${hash}`) });
  });
  return { users, problems };
};
