/**
 * Sign-in sessions of ADMIN_USERS users. Server-side (SessionStore) rather than a signed cookie, because logout
 * and expiry must end a session at once in every web process, and a stateless cookie cannot be taken back.
 * The cookie holds a random token; the store keeps only its SHA-256, so a copy of the database grants nothing.
 * A new token on every sign-in (no session fixation); sessions end after IDLE_MS without use or ABSOLUTE_MS in
 * all, and when their user leaves ADMIN_USERS (the role is always read from the current configuration).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { AdminSession, SessionStore } from '../../domain/ports.js';
import type { AdminUser } from '../../lib/admin-users.js';
import { hashPassword, parsePasswordHash, verifyPassword, type ParsedHash } from '../../lib/password-hash.js';
import { readCookie, serializeCookie } from './cookies.js';
import { LoginThrottle } from './login-throttle.js';

export const IDLE_MS = 8 * 3_600_000;
export const ABSOLUTE_MS = 7 * 24 * 3_600_000;
/** Activity is written at most this often per session (not on every request). */
const TOUCH_EVERY_MS = 60_000;
const MAX_PASSWORD_LENGTH = 1024;

export interface SignedIn {
  session: AdminSession;
  user: AdminUser;
}

export type LoginResult = { ok: true; token: string } | { ok: false; retryAfter: number };

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export class SessionManager {
  readonly cookieName: string;
  private readonly throttle: LoginThrottle;
  private readonly users: Map<string, AdminUser>;
  /** Checked for unknown user names, so they take as long as a wrong password. */
  private dummy: Promise<ParsedHash> | null = null;

  constructor(
    private readonly store: SessionStore,
    users: AdminUser[],
    private readonly options: { secure: boolean; now?: () => number },
  ) {
    this.users = new Map(users.map((u) => [u.name, u]));
    // `__Host-` binds the cookie to this exact origin (no Domain, Path=/, Secure): browsers accept it only over https.
    this.cookieName = options.secure ? '__Host-distro_session' : 'distro_session';
    this.throttle = new LoginThrottle(this.now);
  }

  get enabled(): boolean {
    return this.users.size > 0;
  }

  private now = (): number => (this.options.now ?? Date.now)();

  /** Checks the password (throttled per user name + client address) and opens a new session. */
  async login(name: string, password: string, client: string): Promise<LoginResult> {
    const key = `${name.slice(0, 64)}\n${client}`;
    const wait = this.throttle.retryAfter(key);
    if (wait > 0) return { ok: false, retryAfter: wait };
    const user = this.users.get(name);
    this.dummy ??= hashPassword('not a password').then(parsePasswordHash);
    const good = await verifyPassword(password.slice(0, MAX_PASSWORD_LENGTH), user?.password ?? (await this.dummy));
    if (!user || !good) {
      this.throttle.fail(key);
      return { ok: false, retryAfter: 0 };
    }
    this.throttle.succeed(key);
    const token = randomBytes(32).toString('base64url');
    const at = new Date(this.now());
    await this.store.create({ id: sha256(token), user: user.name, csrf: randomBytes(32).toString('base64url'), createdAt: at, lastSeenAt: at });
    // Housekeeping on sign-in: expired rows never pile up, and no timer is needed.
    await this.store.prune(new Date(this.now() - IDLE_MS), new Date(this.now() - ABSOLUTE_MS));
    return { ok: true, token };
  }

  /** The signed-in user of the request, or null (no cookie, unknown, expired or removed user). */
  async resolve(req: Request): Promise<SignedIn | null> {
    const token = readCookie(req.get('cookie'), this.cookieName);
    if (!token || !TOKEN.test(token)) return null;
    const id = sha256(token);
    const session = await this.store.get(id);
    if (!session) return null;
    const now = this.now();
    const user = this.users.get(session.user);
    if (!user || now - session.lastSeenAt.getTime() > IDLE_MS || now - session.createdAt.getTime() > ABSOLUTE_MS) {
      await this.store.delete(id);
      return null;
    }
    if (now - session.lastSeenAt.getTime() > TOUCH_EVERY_MS) await this.store.touch(id, new Date(now));
    return { session, user };
  }

  /** Ends the request's session in the store (every process) and deletes the cookie. */
  async logout(req: Request, res: Response): Promise<void> {
    const token = readCookie(req.get('cookie'), this.cookieName);
    if (token && TOKEN.test(token)) await this.store.delete(sha256(token));
    res.append('Set-Cookie', serializeCookie(this.cookieName, '', { secure: this.options.secure, maxAge: 0 }));
  }

  setCookie(res: Response, token: string): void {
    res.append('Set-Cookie', serializeCookie(this.cookieName, token, { secure: this.options.secure }));
  }
}
