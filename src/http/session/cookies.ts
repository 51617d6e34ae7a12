/** Reading one cookie from a Cookie header and writing Set-Cookie values (no dependency needed for this much). */

/** The value of cookie `name`, or null. Values are opaque tokens here: no decoding. */
export const readCookie = (header: string | undefined, name: string): string | null => {
  if (!header || header.length > 8192) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
};

export interface CookieOptions {
  secure: boolean;
  /** Seconds; 0 deletes the cookie. Omitted: a browser-session cookie. */
  maxAge?: number;
}

/** HttpOnly (scripts never see it), SameSite=Lax (sent on links from Slack, not on other sites' posts), Path=/. */
export const serializeCookie = (name: string, value: string, o: CookieOptions): string =>
  [`${name}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', ...(o.secure ? ['Secure'] : []), ...(o.maxAge !== undefined ? [`Max-Age=${o.maxAge}`] : [])].join('; ');
