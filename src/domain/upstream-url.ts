/**
 * Git upstream URLs are parsed, never passed through: only https, ssh (URL or scp-like `git@host:path`) and git://
 * reach git; file://, local paths, plain http and loopback/private hosts only when the operator allows local
 * upstreams (ALLOW_LOCAL_UPSTREAMS). Anything git could read as an option (`--upload-pack=…`) or a remote helper
 * (`ext::sh -c …`) is refused. Host names are resolved and checked again when the upstream is used.
 */
import { isPrivateAddress } from '../lib/private-address.js';
import { ValidationError } from './errors.js';

export type UpstreamUrlKind = 'https' | 'ssh' | 'git' | 'http' | 'file' | 'local';

export interface ParsedUpstreamUrl {
  kind: UpstreamUrlKind;
  /** Host name or IP literal (without brackets); null for file:// and local paths. */
  host: string | null;
}

export interface UpstreamUrlPolicy {
  /** file://, local paths, http:// and loopback/private hosts (tests, demos, a git server on the same host). */
  allowLocal: boolean;
}

export const MAX_UPSTREAM_URL_LENGTH = 2048;

/** Kinds that never need ALLOW_LOCAL_UPSTREAMS. */
const REMOTE_KINDS: ReadonlySet<UpstreamUrlKind> = new Set(['https', 'ssh', 'git']);
/** Git transports (GIT_ALLOW_PROTOCOL names) per policy; `ext`, `fd` and other remote helpers are never allowed. */
export const allowedGitProtocols = (policy: UpstreamUrlPolicy): string[] => (policy.allowLocal ? ['https', 'ssh', 'git', 'http', 'file'] : ['https', 'ssh', 'git']);

const HOST_NAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?$/;
const USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,63}$/;
// eslint-disable-next-line no-control-regex
const WHITESPACE_OR_CONTROL = /[\x00-\x20\x7f]/;

const isLocalHost = (host: string): boolean => host.toLowerCase() === 'localhost' || host.toLowerCase().endsWith('.localhost') || isPrivateAddress(host);

type Parsed = ParsedUpstreamUrl | string;

const parseSchemeUrl = (raw: string): Parsed => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a valid URL';
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (scheme === 'file') {
    if (url.hostname && url.hostname !== 'localhost') return 'a file:// URL must name a local path (file:///path)';
    return { kind: 'file', host: null };
  }
  if (scheme !== 'https' && scheme !== 'http' && scheme !== 'ssh' && scheme !== 'git') {
    return `scheme ${scheme}: is not allowed (use https://, ssh://, git@host:path or git://)`;
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) return 'has no host';
  if (!url.hostname.startsWith('[') && !HOST_NAME.test(host)) return `host \`${host}\` is not a host name`;
  if (url.username && !USER_NAME.test(decodeURIComponent(url.username)) && scheme === 'ssh') return 'the ssh user name is not valid';
  if (url.pathname.startsWith('/-')) return 'the repository path starts with "-"';
  return { kind: scheme, host };
};

/** `[user@]host:path`, git's scp-like ssh syntax (recognised when no slash comes before the first colon). */
const parseScpLike = (raw: string): Parsed => {
  const colon = raw.indexOf(':');
  const userHost = raw.slice(0, colon);
  const path = raw.slice(colon + 1);
  const at = userHost.lastIndexOf('@');
  const user = at >= 0 ? userHost.slice(0, at) : '';
  const host = (at >= 0 ? userHost.slice(at + 1) : userHost).replace(/^\[(.*)\]$/, '$1');
  if (at >= 0 && !USER_NAME.test(user)) return 'the ssh user name is not valid';
  if (!HOST_NAME.test(host) && !/^[0-9a-f:.]+$/i.test(host)) return `host \`${host}\` is not a host name`;
  if (!path || path.startsWith('-')) return 'the repository path is empty or starts with "-"';
  return { kind: 'ssh', host };
};

/** What kind of upstream `raw` is, or why it is refused (one sentence, for `upstream.url: …`). */
export const upstreamUrlProblem = (raw: string, policy: UpstreamUrlPolicy): { parsed: ParsedUpstreamUrl; problem: null } | { parsed: null; problem: string } => {
  const fail = (problem: string) => ({ parsed: null, problem });
  if (!raw) return fail('required');
  if (raw.length > MAX_UPSTREAM_URL_LENGTH) return fail(`longer than ${MAX_UPSTREAM_URL_LENGTH} characters`);
  if (raw.startsWith('-')) return fail('starts with "-" (git would read it as an option)');
  if (WHITESPACE_OR_CONTROL.test(raw)) return fail('contains spaces or control characters');
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(raw)) return fail('git remote helpers (`transport::address`, e.g. ext::) are not allowed');
  let parsed: Parsed;
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(raw)) parsed = parseSchemeUrl(raw);
  else if (/^[^/]*:/.test(raw)) parsed = parseScpLike(raw);
  else if (raw.startsWith('/')) parsed = { kind: 'local', host: null };
  else parsed = 'not a URL: use https://host/path, ssh://host/path, git@host:path or git://host/path';
  if (typeof parsed === 'string') return fail(parsed);
  if (!policy.allowLocal) {
    if (!REMOTE_KINDS.has(parsed.kind)) {
      return fail(`${parsed.kind === 'local' ? 'local paths' : `${parsed.kind}:// URLs`} are not allowed (the operator can allow them with ALLOW_LOCAL_UPSTREAMS=true)`);
    }
    if (parsed.host && isLocalHost(parsed.host)) {
      return fail(`host \`${parsed.host}\` is local or private (the operator can allow it with ALLOW_LOCAL_UPSTREAMS=true)`);
    }
  }
  return { parsed, problem: null };
};

/** Parses an upstream URL or throws a ValidationError naming `field`. */
export const parseUpstreamUrl = (raw: string, policy: UpstreamUrlPolicy, field = 'upstream.url'): ParsedUpstreamUrl => {
  const result = upstreamUrlProblem(raw, policy);
  if (result.problem !== null) throw new ValidationError(`Invalid upstream URL: ${result.problem}.`, [`${field}: ${result.problem}`]);
  return result.parsed;
};
