/**
 * The health check after a migration (migration step `healthCheck`), as the site's distribution's
 * policy.rollout.healthCheck says: an HTTP probe of the site's URL (from the operator's template, e.g.
 * `https://{site}/`) and/or the operator's HEALTH_CHECK_COMMAND. The probe is bounded in time and size and follows
 * redirects only on the same host; the command gets its values as separate arguments (command-templates.ts), never
 * as shell text. A failure throws HostingError saying what was wrong, which rolls the site back.
 * The URL comes from an admin-role user, so every hop goes through the private-address guard upstreams use: each
 * address the host resolves to must be public (the connection is then pinned to the address checked, so a second
 * DNS answer cannot swap in another), unless the host is on the operator's HEALTH_CHECK_ALLOW_HOSTS. Logs keep the
 * status line and error codes, never response text or the internal addresses a refused connection names.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { isIP, type LookupFunction } from 'node:net';
import { request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Distribution } from '../domain/distribution.js';
import { HostingError } from '../domain/errors.js';
import type { HealthChecker, LogFn } from '../domain/ports.js';
import type { Platform } from '../domain/platform.js';
import type { HealthCheckPolicy, HttpProbePolicy } from '../domain/rollout-policy.js';
import type { Site } from '../domain/site.js';
import { crashPoint } from '../lib/crash-point.js';
import { isPrivateAddress } from '../lib/private-address.js';
import { placeholderProblems, renderScript, renderTemplate } from './command-templates.js';
import { runProcess } from './run-command.js';

/** Placeholders HEALTH_CHECK_COMMAND may use. */
export const HEALTH_CHECK_PLACEHOLDERS = ['site', 'platform', 'platformPath', 'server'] as const;
/** Body bytes read from a probe's answer (bodyContains looks in these). */
export const MAX_PROBE_BODY_BYTES = 64 * 1024;
const MAX_REDIRECTS = 3;
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_RETRIES = 2;

/** Problems of a HEALTH_CHECK_COMMAND template (unknown or quoted placeholders), for config. */
export const healthCommandProblems = (template: string): string[] => placeholderProblems('HEALTH_CHECK_COMMAND', template, HEALTH_CHECK_PLACEHOLDERS);

export interface HealthCheckerOptions {
  /** The distribution of a platform (the policy lives there). */
  distributionOf(platform: Platform): Promise<Distribution | null>;
  /** HEALTH_CHECK_COMMAND, validated at start; null when not configured. */
  command: string | null;
  /** Pause between probe attempts (tests shorten it). */
  retryDelayMs?: number;
  /** HEALTH_CHECK_ALLOW_HOSTS: host names or addresses probed even when they are local or private. */
  allowHosts?: readonly string[];
  /** Name resolution (tests answer with chosen addresses). */
  lookup?: HostLookup;
}

export type HostLookup = (host: string) => Promise<{ address: string; family: number }[]>;
const defaultLookup: HostLookup = (host) => dnsLookup(host, { all: true, verbatim: true });

/** Where a probe may connect: `pin` is the checked address (null: a literal or allowed host, connect as given). */
type Target = { pin: { address: string; family: number } | null } | { problem: string };

/** The host of a URL without IPv6 brackets, lower case (WHATWG URL already turned `0x7f000001`, `127.1` into dotted form). */
const bareHost = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();

/** Whether a probe may reach `url`: http(s), and a public address for every answer of its host, or an allowed host. */
export const probeTarget = async (url: URL, allowHosts: readonly string[], lookup: HostLookup = defaultLookup): Promise<Target> => {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem: `${url.protocol} is not http or https` };
  const host = bareHost(url);
  if (allowHosts.includes(host)) return { pin: null };
  const refused = (address: string) => ({
    problem: `${host} is or resolves to a local or private address (${address}); the operator can allow it with HEALTH_CHECK_ALLOW_HOSTS`,
  });
  if (isIP(host)) return isPrivateAddress(host) ? refused(host) : { pin: null };
  let answers: { address: string; family: number }[];
  try {
    answers = await lookup(host);
  } catch (e) {
    return { problem: `cannot resolve ${host} (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  const local = answers.find((a) => isPrivateAddress(a.address));
  if (local) return refused(local.address);
  if (!answers[0]) return { problem: `cannot resolve ${host}` };
  return { pin: answers[0] };
};

/** A lookup that answers with the address already checked (no second DNS answer between check and connect). */
const pinned = (pin: { address: string; family: number }): LookupFunction =>
  ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: pin.address, family: pin.family }]);
    else callback(null, pin.address, pin.family);
  }) as unknown as LookupFunction;

/** A connection error as its code only: the message would name internal addresses and ports. */
const errorText = (e: unknown): string => {
  const code = (e as NodeJS.ErrnoException).code;
  if (code) return `connection failed (${code})`;
  const message = (e as Error).message ?? String(e);
  return /^no answer within \d+ ms$/.test(message) ? message : 'connection failed';
};

interface Answer {
  status: number;
  location: string | null;
  body: string;
}

/** One GET, bounded: the whole exchange within `timeoutMs`, at most MAX_PROBE_BODY_BYTES of body kept. */
const get = (url: URL, timeoutMs: number, pin: { address: string; family: number } | null): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(url, {
      method: 'GET',
      headers: { 'user-agent': 'distro-health-check', accept: 'text/html,*/*' },
      timeout: timeoutMs,
      ...(pin ? { lookup: pinned(pin) } : {}),
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        clearTimeout(timer);
        const location = res.headers.location;
        resolve({ status: res.statusCode ?? 0, location: typeof location === 'string' ? location : null, body: Buffer.concat(chunks).toString('utf8') });
      };
      res.on('data', (c: Buffer) => {
        if (size >= MAX_PROBE_BODY_BYTES) return;
        chunks.push(c.subarray(0, MAX_PROBE_BODY_BYTES - size));
        size += c.length;
        if (size >= MAX_PROBE_BODY_BYTES) {
          res.destroy();
          done();
        }
      });
      res.on('end', done);
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    req.end();
  });

/** The probe's URL for a site: `{site}` replaced by the (already validated) site name, percent-encoded. */
export const probeUrl = (template: string, site: string): URL => new URL(template.split('{site}').join(encodeURIComponent(site)));

/**
 * One probe attempt: follows same-host redirects (at most 3), each hop through the address guard, then checks
 * status and body. Returns the problem, or null.
 */
const probeOnce = async (
  policy: HttpProbePolicy,
  start: URL,
  timeoutMs: number,
  guard: (url: URL) => Promise<Target>,
): Promise<string | null> => {
  let url = start;
  for (let hop = 0; ; hop++) {
    const target = await guard(url);
    if ('problem' in target) return `${url.href}: not probed: ${target.problem}`;
    let answer: Answer;
    try {
      answer = await get(url, timeoutMs, target.pin);
    } catch (e) {
      return `${url.href}: ${errorText(e)}`;
    }
    const expected = policy.expectStatus ?? 200;
    if (answer.status >= 300 && answer.status < 400 && answer.location && answer.status !== expected) {
      const next = new URL(answer.location, url);
      if (next.host !== start.host) return `${url.href} redirects to another host (${next.host}); not followed`;
      if (hop >= MAX_REDIRECTS) return `${url.href}: more than ${MAX_REDIRECTS} redirects`;
      url = next;
      continue;
    }
    if (answer.status !== expected) return `${url.href} answered ${answer.status}, expected ${expected}`;
    if (policy.bodyContains && !answer.body.includes(policy.bodyContains)) return `${url.href} answered ${answer.status} without the expected text`;
    return null;
  }
};

export class SiteHealthChecker implements HealthChecker {
  constructor(private readonly options: HealthCheckerOptions) {}

  async check(site: Site, platform: Platform, log: LogFn, override?: HealthCheckPolicy): Promise<void> {
    const policy = override ?? (await this.options.distributionOf(platform))?.policy.rollout?.healthCheck;
    if (!policy?.http && !policy?.command) {
      log('No health check configured');
      return;
    }
    if (policy.http) await this.probe(policy.http, site, log);
    // Test-only kill point inside the step (test/crash): after a probe, before the step's result is recorded.
    crashPoint('healthCheck:probed');
    if (policy.command) await this.command(site, platform, log);
  }

  private async probe(policy: HttpProbePolicy, site: Site, log: LogFn): Promise<void> {
    const url = probeUrl(policy.url, site.name);
    const attempts = 1 + (policy.retries ?? DEFAULT_RETRIES);
    let problem: string | null = null;
    for (let i = 1; i <= attempts; i++) {
      problem = await probeOnce(policy, url, policy.timeoutMs ?? DEFAULT_TIMEOUT_MS, (u) =>
        probeTarget(u, this.options.allowHosts ?? [], this.options.lookup),
      );
      if (!problem) {
        log(`Health check passed: ${url.href}`);
        return;
      }
      log(`Health check attempt ${i} of ${attempts} failed: ${problem}`, 'warn');
      // A refused address does not change by retrying.
      if (problem.includes(': not probed: ')) break;
      if (i < attempts) await sleep(this.options.retryDelayMs ?? 1000);
    }
    throw new HostingError(`Health check failed: ${problem}`);
  }

  private async command(site: Site, platform: Platform, log: LogFn): Promise<void> {
    const template = this.options.command;
    if (!template) throw new HostingError('Health check failed: the policy asks for a command check but HEALTH_CHECK_COMMAND is not set.');
    const vars = { site: site.name, platform: platform.name, platformPath: platform.path ?? '', server: platform.server };
    log(`$ ${renderTemplate(template, vars)}`);
    const { script, args } = renderScript(template, vars);
    try {
      await runProcess('sh', ['-c', script, 'distro-healthCheck', ...args], { log });
    } catch (e) {
      throw new HostingError(`Health check command failed: ${(e as Error).message}`);
    }
    log('Health check command passed');
  }
}
