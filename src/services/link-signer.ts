import { createHmac } from 'node:crypto';
import { safeEqual } from '../lib/safe-equal.js';

/**
 * Signed, expiring links for pages posted to Slack, so a click opens them without a separate login.
 * The signature covers the path and the expiry; anything else in the query is not trusted for access.
 */
export class LinkSigner {
  constructor(
    private readonly options: { secret: string; ttlMs: number; publicUrl: string; now?: () => number },
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private sign(path: string, expires: number): string {
    return createHmac('sha256', this.options.secret).update(`${path}\n${expires}`).digest('base64url');
  }

  /** Absolute URL of `path` (e.g. `/compare/a/b`) with `exp` and `sig` query parameters. */
  url(path: string, ttlMs = this.options.ttlMs): string {
    const expires = Math.floor((this.now() + ttlMs) / 1000);
    return `${this.options.publicUrl}${path}?exp=${expires}&sig=${this.sign(path, expires)}`;
  }

  compareUrl(fromPlatformId: string, toPlatformId: string): string {
    return this.url(`/compare/${encodeURIComponent(fromPlatformId)}/${encodeURIComponent(toPlatformId)}`);
  }

  taskUrl(taskId: string): string {
    return this.url(`/tasks/${encodeURIComponent(taskId)}`);
  }

  /** Every site and task of one upgrade (what a Slack summary had to leave out). */
  planUrl(planId: string): string {
    return this.url(`/upgrades/${encodeURIComponent(planId)}`);
  }

  /** A distribution's page, with every out-of-date site. */
  distributionUrl(slug: string): string {
    return this.url(`/distributions/${encodeURIComponent(slug)}`);
  }

  /** A rollout's page (pause, resume, cancel, its waves and tasks), by its number. */
  rolloutUrl(rolloutNumber: number): string {
    return this.url(`/rollouts/${encodeURIComponent(String(rolloutNumber))}`);
  }

  /** One security advisory event: which sites it exposes and the way out. */
  advisoryUrl(eventId: string): string {
    return this.url(`/advisories/${encodeURIComponent(eventId)}`);
  }

  /** 'ok', or why the link is refused. */
  verify(path: string, exp: unknown, sig: unknown): 'ok' | 'missing' | 'expired' | 'invalid' {
    if (typeof exp !== 'string' || typeof sig !== 'string' || !exp || !sig) return 'missing';
    const expires = Number(exp);
    if (!Number.isInteger(expires)) return 'invalid';
    if (!safeEqual(sig, this.sign(path, expires))) return 'invalid';
    return expires * 1000 < this.now() ? 'expired' : 'ok';
  }

  /**
   * A result message for the page `path` after a redirect ("Locked social-12.4.1"), sealed so only this server's
   * own messages show (the page escapes it too) and only on that page, for `ttlMs`. The signed text starts with
   * `note`, never `/`, so it cannot pass for a link's signature.
   */
  sealNote(path: string, text: string, ttlMs = 120_000): string {
    const expires = Math.floor((this.now() + ttlMs) / 1000);
    const body = Buffer.from(text.slice(0, MAX_NOTE_CHARS)).toString('base64url');
    return `${body}.${expires}.${this.signNote(path, body, expires)}`;
  }

  /** The note's text when it was sealed for `path` and has not expired; null otherwise (a forged or stale one is ignored). */
  openNote(path: string, note: unknown): string | null {
    if (typeof note !== 'string' || note.length > MAX_NOTE_CHARS * 2) return null;
    const [body, exp, sig, extra] = note.split('.');
    const expires = Number(exp);
    if (!body || !sig || extra !== undefined || !Number.isInteger(expires) || expires * 1000 < this.now()) return null;
    if (!safeEqual(sig, this.signNote(path, body, expires))) return null;
    return Buffer.from(body, 'base64url').toString('utf8');
  }

  private signNote(path: string, body: string, expires: number): string {
    return createHmac('sha256', this.options.secret).update(`note\n${path}\n${expires}\n${body}`).digest('base64url');
  }
}

/** Longest result message carried in a redirect (ours are one sentence). */
const MAX_NOTE_CHARS = 400;
