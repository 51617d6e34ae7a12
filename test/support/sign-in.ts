/** ADMIN_USERS entries with cheap hashes (N=1024) for tests, and a cookie-keeping client for the sign-in flow. */
import { hashPassword } from '../../src/lib/password-hash.js';

export const PASSWORDS = { alice: 'alice-password-1', olivia: 'olivia-password-1', victor: 'victor-password-1', tess: 'tess-password-1' } as const;

/** alice: admin, olivia: operator, victor and tess: viewers. */
export const adminUsersEnv = async (): Promise<string> => {
  const cheap = { N: 1024, r: 8, p: 1 };
  const roles = { alice: 'admin', olivia: 'operator', victor: 'viewer', tess: 'viewer' } as const;
  const lines = await Promise.all(Object.entries(roles).map(async ([name, role]) => `${name}:${role}:${await hashPassword(PASSWORDS[name as keyof typeof PASSWORDS], cheap)}`));
  return lines.join('\n');
};

/** The value of an `<input … name="_csrf" value="…">` in a page. */
export const csrfOf = (page: string): string => /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';

/** A browser-like client: keeps the session cookie, sends Origin on posts, never follows redirects. */
export class SessionClient {
  cookie = '';
  /** The device cookie a sign-in leaves (`distro_device=…`), sent back to /login like a browser would. */
  device = '';
  constructor(private readonly baseUrl: string) {}

  async request(method: string, path: string, form?: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; text: string }> {
    const res = await fetch(this.baseUrl + path, {
      method,
      redirect: 'manual',
      headers: {
        ...(this.cookie || this.device ? { cookie: [this.cookie, path === '/login' ? this.device : ''].filter(Boolean).join('; ') } : {}),
        ...(method === 'GET' ? {} : { origin: this.baseUrl }),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...headers,
      },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    for (const set of res.headers.getSetCookie()) {
      const pair = set.split(';')[0]!;
      // The sign-in's device cookie is kept apart: `cookie` stays the session alone, as tests pass it on.
      if (pair.startsWith('distro_device=')) this.device = pair;
      else this.cookie = pair.endsWith('=') ? '' : pair;
    }
    return { status: res.status, headers: res.headers, text: await res.text() };
  }

  get = (path: string) => this.request('GET', path);

  /** Posts a form of the page at `from`, with that page's CSRF token. */
  async submit(from: string, action: string, form: Record<string, string> = {}) {
    const page = await this.get(from);
    return this.request('POST', action, { _csrf: csrfOf(page.text), ...form });
  }

  login = (user: string, password: string) => this.request('POST', '/login', { user, password, next: '/' });
}
