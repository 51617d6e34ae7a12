/**
 * Checks an upstream right before git talks to it: the URL is parsed (see domain/upstream-url.ts) and its host
 * resolved, so a name that points at loopback or a private network is refused unless the operator allows local
 * upstreams. Also gives the environment that limits git to the allowed transports (no `ext::`, no `fd::`).
 * A host could still change its answer between this lookup and git's own (DNS rebinding); the transport limit
 * and the refusal of literal local addresses do not depend on it.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { TransientError, ValidationError } from '../domain/errors.js';
import { allowedGitProtocols, parseUpstreamUrl, type UpstreamUrlPolicy } from '../domain/upstream-url.js';
import { isPrivateAddress } from '../lib/private-address.js';

export type HostLookup = (host: string) => Promise<{ address: string }[]>;

const defaultLookup: HostLookup = (host) => dnsLookup(host, { all: true, verbatim: true });

export class UpstreamGuard {
  constructor(
    readonly policy: UpstreamUrlPolicy,
    private readonly lookup: HostLookup = defaultLookup,
  ) {}

  /** Throws a ValidationError naming `upstream.url` when the upstream may not be used; TransientError when its host does not resolve. */
  async check(url: string): Promise<void> {
    const { host } = parseUpstreamUrl(url, this.policy);
    if (!host || this.policy.allowLocal) return;
    let addresses: { address: string }[];
    try {
      addresses = await this.lookup(host);
    } catch (error) {
      throw new TransientError(`Cannot resolve the upstream host ${host}: ${(error as Error).message}`, undefined, { cause: error });
    }
    const local = addresses.find((a) => isPrivateAddress(a.address));
    if (local) {
      const problem = `host \`${host}\` resolves to the local or private address ${local.address} (the operator can allow it with ALLOW_LOCAL_UPSTREAMS=true)`;
      throw new ValidationError(`Invalid upstream URL: ${problem}.`, [`upstream.url: ${problem}`]);
    }
  }

  /**
   * Environment for git commands that reach an upstream: only the allowed transports, never a prompt, and (unless
   * local upstreams are allowed) no HTTP redirects, which could lead git to a host the check above never saw.
   */
  gitEnv(): Record<string, string> {
    const env: Record<string, string> = { GIT_ALLOW_PROTOCOL: allowedGitProtocols(this.policy).join(':'), GIT_TERMINAL_PROMPT: '0' };
    if (!this.policy.allowLocal) Object.assign(env, { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.followRedirects', GIT_CONFIG_VALUE_0: 'false' });
    return env;
  }
}

/** Environment for git commands that only read local repositories (the mirror cache, a checkout). */
export const LOCAL_GIT_ENV: Readonly<Record<string, string>> = { GIT_ALLOW_PROTOCOL: 'file', GIT_TERMINAL_PROMPT: '0' };
