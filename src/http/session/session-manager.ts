/**
 * Sign-in sessions of ADMIN_USERS users. Server-side (SessionStore) rather than a signed cookie, because logout
 * and expiry must end a session at once in every web process, and a stateless cookie cannot be taken back.
 * The cookie holds a random token; the store keeps only its SHA-256, so a copy of the database grants nothing.
 * A new token on every sign-in (no session fixation); sessions end after IDLE_MS without use or ABSOLUTE_MS in
 * all, when their user leaves ADMIN_USERS, and when the user's entry changes (new password or role: the session's
 * stamp no longer matches). The role is always read from the current configuration.
 *
 * Password checks are bounded work: they run on PasswordChecker's own threads, a few at a time (beyond its queue
 * a fast 429), and each attempt is counted in the store's throttle BEFORE its check (src/domain/login-throttle.ts),
 * so concurrent guesses cannot slip past the limit and every process shares the counts.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { safeEqual } from '../../lib/safe-equal.js';
import type { Request, Response } from 'express';
import { signInRules } from '../../domain/login-throttle.js';
import type { AdminSession, SessionStore, SignInStore } from '../../domain/ports.js';
import type { AdminUser } from '../../lib/admin-users.js';
import { PasswordChecker } from '../../lib/password-checker.js';
import { DEFAULT_COST, hashPassword, needsRehash, parsePasswordHash, verifyPassword, type Derive, type ParsedHash } from '../../lib/password-hash.js';
import { readCookie, serializeCookie } from './cookies.js';

export const IDLE_MS = 8 * 3_600_000;
export const ABSOLUTE_MS = 7 * 24 * 3_600_000;
/** Activity is written at most this often per session (not on every request). */
const TOUCH_EVERY_MS = 60_000;
const MAX_PASSWORD_LENGTH = 1024;
/** Retry-After (s) of a sign-in refused because the password checks are all busy. */
export const BUSY_RETRY_AFTER_S = 2;

export interface SignedIn {
  session: AdminSession;
  user: AdminUser;
}

export type LoginResult =
  | { ok: true; token: string; user: AdminUser }
  /** `wrong`: 401; `throttled` and `busy`: 429 with `retryAfter` seconds. */
  | { ok: false; reason: 'wrong' | 'throttled' | 'busy'; retryAfter: number };

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export interface SessionManagerOptions {
  secure: boolean;
  now?: () => number;
  /** Password checks at once and waiting, per lane (default 1 and 4). */
  checks?: { concurrency: number; queue: number };
  /**
   * Key of device cookies (LINK_SECRET); without it there are none. A browser that signed in as a user before
   * carries one (OWASP "device cookies"): its attempts for that user skip the account-wide delay and wait in the
   * checks' priority lane, so a flood of guesses from elsewhere neither delays nor crowds out the real user.
   */
  deviceSecret?: string;
}

/** Device cookies last 180 days. */
const DEVICE_TTL_MS = 180 * 86_400_000;
const DEVICE_COOKIE = 'distro_device';

export class SessionManager {
  readonly cookieName: string;
  readonly checker: PasswordChecker;
  private readonly users: Map<string, AdminUser>;
  private readonly store: SessionStore;
  private readonly signIns: SignInStore;
  private readonly derive: Derive;
  /** Checked for unknown user names (at the first user's cost), so they take as long as a wrong password. */
  private dummy: Promise<ParsedHash> | null = null;

  constructor(
    stores: { sessions: SessionStore; signIns: SignInStore },
    users: AdminUser[],
    private readonly options: SessionManagerOptions,
  ) {
    this.store = stores.sessions;
    this.signIns = stores.signIns;
    this.users = new Map(users.map((u) => [u.name, u]));
    // `__Host-` binds the cookie to this exact origin (no Domain, Path=/, Secure): browsers accept it only over https.
    this.cookieName = options.secure ? '__Host-distro_session' : 'distro_session';
    this.checker = new PasswordChecker(options.checks ?? { concurrency: 1, queue: 4 });
    this.derive = (password, salt, cost, length) => this.checker.derive(password, salt, cost, length);
  }

  get enabled(): boolean {
    return this.users.size > 0;
  }

  /** Configured user names (for the sessions page). */
  get userNames(): string[] {
    return [...this.users.keys()].sort();
  }

  private now = (): number => (this.options.now ?? Date.now)();

  /**
   * Checks the password and opens a new session. Order matters: a slot on the checker (or a fast refusal), then
   * the attempt is counted in the store (or refused), and only then is the password checked.
   */
  async login(rawName: string, password: string, client: string, device: string | null = null): Promise<LoginResult> {
    const name = rawName.slice(0, 64);
    const trusted = this.deviceValid(device, name);
    // A known device waits in the priority lane: ahead of every guess, with the same one check at a time.
    const acquiring = this.checker.tryAcquire(trusted);
    if (!acquiring) return { ok: false, reason: 'busy', retryAfter: BUSY_RETRY_AFTER_S };
    const derive = this.derive;
    const release = await acquiring;
    try {
      const all = signInRules(name, client);
      // A known device is not held to the account-wide delay (the per-address rules still apply).
      const rules = trusted ? all.filter((r) => !r.delay) : all;
      const wait = await this.signIns.reserveAttempt(rules, new Date(this.now()));
      if (wait > 0) return { ok: false, reason: 'throttled', retryAfter: Math.ceil(wait / 1000) };
      const user = this.users.get(name);
      const candidate = password.slice(0, MAX_PASSWORD_LENGTH);
      const rehashed = user ? await this.signIns.getRehash(user.name) : null;
      const verifier = user ? (rehashed?.source === user.hashDigest ? parsePasswordHash(rehashed.hash) : user.password) : await this.dummyHash();
      const good = await verifyPassword(candidate, verifier, derive);
      if (!user || !good) return { ok: false, reason: 'wrong', retryAfter: 0 };
      const [pair, address, account] = all.map((r) => r.key);
      // A hash below OWASP's settings is replaced by a stronger one, kept in the store while the entry stays the same.
      const rehash = needsRehash(verifier) ? await hashPassword(candidate, DEFAULT_COST, derive) : null;
      const token = randomBytes(32).toString('base64url');
      const at = new Date(this.now());
      // Issued in one turn, so the embedded store commits them together (one fsync for the whole sign-in).
      await Promise.all([
        this.signIns.clearAttempts([pair!, account!]),
        this.signIns.refundAttempt([address!]),
        ...(rehash ? [this.signIns.setRehash(user.name, user.hashDigest, rehash)] : []),
        // Sessions opened before the user's password or role changed end now (and on their next use, in resolve).
        this.store.deleteByUser(user.name, user.stamp),
        this.store.create({ id: sha256(token), user: user.name, csrf: randomBytes(32).toString('base64url'), createdAt: at, lastSeenAt: at, stamp: user.stamp }),
        // Housekeeping on sign-in: expired rows never pile up, and no timer is needed.
        this.store.prune(new Date(this.now() - IDLE_MS), new Date(this.now() - ABSOLUTE_MS)),
      ]);
      return { ok: true, token, user };
    } finally {
      release();
    }
  }

  /**
   * True when an attempt from this request would be refused as busy whatever its body says: the regular lane is
   * full and the request carries no valid device cookie. Lets /login answer before reading the body.
   */
  busyFor(req: Request): boolean {
    if (!this.checker.full) return false;
    const device = this.deviceOf(req);
    const user = device ? Buffer.from(device.split('.')[0] ?? '', 'base64url').toString() : '';
    return !this.deviceValid(device, user);
  }

  /** `user.expiry.mac` signed with the device secret, or null without one. */
  deviceCookieFor(user: string): string | null {
    const key = this.options.deviceSecret;
    if (!key) return null;
    const body = `${Buffer.from(user).toString('base64url')}.${this.now() + DEVICE_TTL_MS}`;
    return `${body}.${createHmac('sha256', key).update(`device\n${body}`).digest('base64url')}`;
  }

  private deviceValid(cookie: string | null, user: string): boolean {
    const key = this.options.deviceSecret;
    if (!key || !cookie || cookie.length > 300) return false;
    const [who = '', expiry = '', mac = ''] = cookie.split('.');
    // Compared as text: decoding base64url first would accept other spellings of the same MAC (the last character's
    // low bits are padding), so a changed cookie could still pass.
    if (!safeEqual(mac, createHmac('sha256', key).update(`device\n${who}.${expiry}`).digest('base64url'))) return false;
    return Buffer.from(who, 'base64url').toString() === user && Number(expiry) > this.now();
  }

  /** The request's device cookie (see deviceSecret), unchecked. */
  deviceOf(req: Request): string | null {
    return readCookie(req.get('cookie'), DEVICE_COOKIE);
  }

  /** Remembers this browser as a device of `user` (on /login only, where it is read). */
  setDeviceCookie(res: Response, user: string): void {
    const value = this.deviceCookieFor(user);
    if (value) res.append('Set-Cookie', serializeCookie(DEVICE_COOKIE, value, { secure: this.options.secure, maxAge: DEVICE_TTL_MS / 1000 }));
  }

  private dummyHash(): Promise<ParsedHash> {
    const first = [...this.users.values()][0]?.password;
    const cost = first ? { N: first.N, r: first.r, p: first.p } : DEFAULT_COST;
    this.dummy ??= hashPassword('not a password', cost, this.derive).then(parsePasswordHash);
    return this.dummy;
  }

  /** The signed-in user of the request, or null (no cookie, unknown, expired, removed or changed user). */
  async resolve(req: Request): Promise<SignedIn | null> {
    const token = readCookie(req.get('cookie'), this.cookieName);
    if (!token || !TOKEN.test(token)) return null;
    const id = sha256(token);
    const session = await this.store.get(id);
    if (!session) return null;
    const now = this.now();
    const user = this.users.get(session.user);
    const ended = !user || session.stamp !== user.stamp || now - session.lastSeenAt.getTime() > IDLE_MS || now - session.createdAt.getTime() > ABSOLUTE_MS;
    if (ended) {
      // A changed entry ends every session opened under the old one, not just this one.
      if (user && session.stamp !== user.stamp) await this.store.deleteByUser(user.name, user.stamp);
      else await this.store.delete(id);
      return null;
    }
    if (now - session.lastSeenAt.getTime() > TOUCH_EVERY_MS) await this.store.touch(id, new Date(now));
    return { session, user };
  }

  /** Ends the request's session in the store (every process) and deletes the cookie. */
  async logout(req: Request, res: Response): Promise<void> {
    const token = readCookie(req.get('cookie'), this.cookieName);
    if (token && TOKEN.test(token)) await this.store.delete(sha256(token));
    this.clearCookie(res);
  }

  /** Ends every session of `user`, in every process; returns how many. */
  endAllSessions(user: string): Promise<number> {
    return this.store.deleteByUser(user);
  }

  sessionCounts(): Promise<Record<string, number>> {
    return this.store.countByUser();
  }

  hasUser(name: string): boolean {
    return this.users.has(name);
  }

  clearCookie(res: Response): void {
    res.append('Set-Cookie', serializeCookie(this.cookieName, '', { secure: this.options.secure, maxAge: 0 }));
  }

  setCookie(res: Response, token: string): void {
    res.append('Set-Cookie', serializeCookie(this.cookieName, token, { secure: this.options.secure }));
  }

  close(): Promise<void> {
    return this.checker.close();
  }
}
