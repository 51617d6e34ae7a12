/**
 * Password hashes for ADMIN_USERS: scrypt with a random salt, written `scrypt:N:r:p:<salt>:<hash>` (base64url),
 * a format with no `$` so it survives shells, .env files and compose files unquoted.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const KEY_LENGTH = 32;
/**
 * OWASP's minimum for scrypt (Password Storage Cheat Sheet): N=2^17, r=8, p=1: 128 MB and a few hundred ms per
 * check. Hashes below it are re-hashed at their user's next sign-in (session-manager.ts).
 */
export const DEFAULT_COST = { N: 131072, r: 8, p: 1 };
const DEFAULT = DEFAULT_COST;

/** True when a hash is weaker than the default (re-hash it once the password is known to be right). */
export const needsRehash = (parsed: { N: number; r: number; p: number }): boolean =>
  parsed.N * parsed.r * parsed.p < DEFAULT.N * DEFAULT.r * DEFAULT.p;

/** How scrypt is run: in-process by default (the CLI), on the password worker threads by the sign-in. */
export type Derive = (password: string, salt: Buffer, cost: { N: number; r: number; p: number }, length: number) => Promise<Buffer>;
const FORMAT = /^scrypt:(\d{1,7}):(\d{1,2}):(\d{1,2}):([A-Za-z0-9_-]{16,128}):([A-Za-z0-9_-]{40,128})$/;

export interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

const derive: Derive = (password: string, salt: Buffer, o: { N: number; r: number; p: number }, length: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const options: ScryptOptions = { N: o.N, r: o.r, p: o.p, maxmem: 256 * o.N * o.r + 1024 * 1024 };
    scrypt(password, salt, length, options, (error, key) => (error ? reject(error) : resolve(key)));
  });

/** Why `encoded` is not a usable hash, or null. Cost bounds keep a typo from making every login take minutes. */
export const passwordHashProblem = (encoded: string): string | null => {
  const m = FORMAT.exec(encoded);
  if (!m) return 'not a password hash of the form scrypt:N:r:p:salt:hash (make one with `npm run admin:add-user`)';
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (N < 1024 || N > 1_048_576 || (N & (N - 1)) !== 0) return 'scrypt N must be a power of two from 1024 to 1048576';
  if (r < 1 || r > 32 || p < 1 || p > 16) return 'scrypt r must be 1–32 and p 1–16';
  return null;
};

export const parsePasswordHash = (encoded: string): ParsedHash => {
  const problem = passwordHashProblem(encoded);
  if (problem) throw new Error(problem);
  const [, N, r, p, salt, hash] = FORMAT.exec(encoded)!;
  return { N: Number(N), r: Number(r), p: Number(p), salt: Buffer.from(salt!, 'base64url'), hash: Buffer.from(hash!, 'base64url') };
};

export const hashPassword = async (password: string, cost = DEFAULT, run: Derive = derive): Promise<string> => {
  const salt = randomBytes(16);
  const hash = await run(password, salt, cost, KEY_LENGTH);
  return `scrypt:${cost.N}:${cost.r}:${cost.p}:${salt.toString('base64url')}:${hash.toString('base64url')}`;
};

/** Constant-time comparison of the derived key. */
export const verifyPassword = async (password: string, parsed: ParsedHash, run: Derive = derive): Promise<boolean> => {
  const key = await run(password, parsed.salt, parsed, parsed.hash.length);
  return timingSafeEqual(key, parsed.hash);
};
