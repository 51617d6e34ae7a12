/**
 * The one place that reads process.env. Validated at start; a bad or missing variable stops the
 * process with a message naming it.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { isValidRefName } from './domain/ref-name.js';
import { templateProblems } from './hosting/command-templates.js';
import { parseAdminUsers, type AdminUser } from './lib/admin-users.js';
import { healthCommandProblems } from './hosting/health-checker.js';

export type Role = 'all' | 'web' | 'worker';

const list = z
  .string()
  .optional()
  .transform((s) => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean));

const int = (dflt: number, min = 0) => z.coerce.number().int().min(min).default(dflt);

const bool = z
  .enum(['true', 'false', '1', '0', ''])
  .default('false')
  .transform((v) => v === 'true' || v === '1');

const TRUST_PRESETS = new Set(['loopback', 'linklocal', 'uniquelocal']);
/**
 * TRUST_PROXY: unset or `false` (forwarded headers ignored), a hop count, or comma-separated addresses, CIDR
 * ranges or Express's names (loopback, linklocal, uniquelocal). `true` would believe any client's X-Forwarded-For,
 * so it is refused. Returns the problem as a string.
 */
const parseTrustProxy = (value: string | undefined): false | number | string[] | string => {
  const v = value?.trim() ?? '';
  if (v === '' || v === 'false') return false;
  if (/^\d+$/.test(v)) return Number(v) > 0 && Number(v) <= 10 ? Number(v) : 'a hop count must be 1–10';
  if (v === 'true') return 'true would trust a forwarded address from anyone; give the hop count or the proxies\' addresses';
  const entries = v.split(',').map((x) => x.trim()).filter(Boolean);
  for (const entry of entries) {
    const [address = '', prefix, ...more] = entry.split('/');
    const family = isIP(address);
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32));
    if (!TRUST_PRESETS.has(entry) && (!family || !prefixOk || more.length)) {
      return `\`${entry.slice(0, 60)}\` is not a hop count, an address, a CIDR range or one of loopback, linklocal, uniquelocal`;
    }
  }
  return entries;
};

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DISTRO_ROLE: z.enum(['all', 'web', 'worker']).default('all'),
  HOST: z.string().default('127.0.0.1'),
  PORT: int(3000),
  PUBLIC_URL: z.url().optional(),
  /** Proxies in front of the admin HTTP port whose X-Forwarded-For counts: a hop count, or addresses (Express's `trust proxy`). */
  TRUST_PROXY: z.string().max(2000).optional(),
  /** Open HTTP connections in all, and from one client address (0: no per-address cap). */
  HTTP_MAX_CONNECTIONS: int(2048, 1),
  HTTP_MAX_CONNECTIONS_PER_ADDRESS: int(256),
  /** Hosts a health check may probe although they are (or resolve to) local or private addresses. */
  HEALTH_CHECK_ALLOW_HOSTS: list,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `auto`: readable lines on a terminal outside production, JSON lines otherwise. */
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  DATA_DIR: z.string().default('.data'),
  /** The embedded store's SQLite file (default `$DATA_DIR/distro.db`); unused with MONGODB_URI. */
  DATABASE_FILE: z.string().min(1).optional(),

  MONGODB_URI: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://').optional(),
  /** At start, exit (code 69) when MongoDB cannot be reached instead of retrying with backoff. */
  MONGODB_FAIL_FAST: bool,

  SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  SLACK_BOT_TOKEN: z.string().min(1).optional(),
  SLACK_API_URL: z.url().default('https://slack.com/api/'),
  SLACK_COMMAND: z.string().regex(/^\/[a-z0-9_-]+$/).default('/distro'),
  /** Slack user IDs allowed to Confirm upgrades; with SLACK_CONFIRMERS_USERGROUP empty too, anyone may. */
  SLACK_CONFIRMERS: list,
  SLACK_CONFIRMERS_USERGROUP: z.string().optional(),
  /** Channel for announcements of distributions that have none. */
  SLACK_DEFAULT_CHANNEL: z.string().optional(),

  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  SLACK_APP_TOKEN: z.string().regex(/^xapp-[A-Za-z0-9-]+$/, 'must be an app-level token (xapp-…) with connections:write').optional(),
  ADMIN_USER: z.string().optional(),
  ADMIN_PASSWORD: z.string().optional(),
  /** Named users of the sign-in page: `name:role:scrypt:…` entries separated by commas or newlines. */
  ADMIN_USERS: z.string().max(100_000).optional(),
  LINK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  LINK_TTL_HOURS: int(72, 1),

  GITHUB_TOKEN: z.string().optional(),
  GITHUB_API_URL: z.url().default('https://api.github.com'),
  GITHUB_WEBHOOK_SECRET: z.string().min(1).optional(),

  HOSTING_DRIVER: z.enum(['local', 'command']).default('local'),
  /** JSON object of shell templates for the command driver (see README). */
  HOSTING_COMMANDS: z.string().optional(),
  /** Commands run after a site moves, separated by `;;` (e.g. `drush updb -y;;drush cr`). */
  POST_MIGRATE_COMMANDS: z.string().default(''),
  /** Health check command run after a migration when a distribution's policy asks for it ({site} {platform} {platformPath} {server}). */
  HEALTH_CHECK_COMMAND: z.string().max(4096).optional(),
  MIGRATION_CONCURRENCY: int(4, 1),
  MIGRATION_CONCURRENCY_PER_SERVER: int(2, 1),
  JOB_MAX_ATTEMPTS: int(3, 1),
  POLL_DEFAULT_INTERVAL_MINUTES: int(60, 0),
  /** Days a migration's backup is kept (and the site may be rolled back from it); older ones are pruned hourly. */
  BACKUP_RETENTION_DAYS: int(14, 1),

  /**
   * Accept upstreams on this machine or its networks: file:// URLs, local paths, plain http:// and hosts that are
   * (or resolve to) loopback or private addresses. Off by default: an upstream URL is untrusted input.
   */
  ALLOW_LOCAL_UPSTREAMS: z.enum(['true', 'false']).default('false'),
  /**
   * Seconds an upstream may stay silent to a git ls-remote, clone or fetch before git (and every process it
   * started) is killed; 30 times this ends a transfer in all, however slowly it trickles.
   */
  GIT_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),

  /** Drupal security-advisory conflict map (composer.json of drupal-composer/drupal-security-advisories). */
  ADVISORIES_FILE: z.string().default('src/advisories/drupal-security-advisories.json'),

  /**
   * The security-advisory feed: a git repository whose branch holds the Drupal conflict map (composer.json), polled
   * with `git ls-remote` and fetched only when its head moves. `off` disables it (the bundled ADVISORIES_FILE stays).
   */
  ADVISORY_FEED_URL: z.string().min(1).max(2048).default('https://github.com/drupal-composer/drupal-security-advisories.git'),
  /** Branch of the feed: one per Drupal major line (`9.x` covers Drupal 9 and later). */
  ADVISORY_FEED_BRANCH: z
    .string()
    .max(255)
    .refine((b) => isValidRefName(b), 'must be a valid git branch name')
    .default('9.x'),
  /** An operator's own conflict map as well: a file path or an https:// URL, polled for changes. */
  ADVISORY_FEED_FILE: z.string().min(1).max(2048).optional(),
  /** Minutes between advisory polls; 0 polls only at start. */
  ADVISORY_POLL_MINUTES: int(60, 0),
  /** A feed snapshot larger than this is refused (the last good one stays in force). */
  ADVISORY_FEED_MAX_MB: int(5, 1),

  /** Test-only (test/crash): SIGKILL this process at the named point, or at the point named in the file. */
  DISTRO_TEST_CRASH_AT: z.string().max(100).optional(),
  DISTRO_TEST_CRASH_FILE: z.string().optional(),

});

export interface Config {
  env: 'development' | 'production' | 'test';
  role: Role;
  http: {
    host: string;
    port: number;
    publicUrl: string;
    /** Express `trust proxy`: false (forwarded headers ignored), a hop count, or the proxies' addresses. */
    trustProxy: false | number | string[];
    /** HTTP_MAX_CONNECTIONS and HTTP_MAX_CONNECTIONS_PER_ADDRESS. */
    connections: { max: number; perAddress: number };
  };
  logLevel: string;
  logFormat: 'auto' | 'json' | 'pretty';
  dataDir: string;
  /** SQLite database of the embedded store. */
  databaseFile: string;
  mongoUri: string | null;
  /** Exit at start when MongoDB is unreachable (MONGODB_FAIL_FAST) instead of retrying. */
  mongoFailFast: boolean;
  slack: {
    signingSecret: string;
    botToken: string | null;
    apiUrl: string;
    command: string;
    confirmers: string[];
    confirmersUsergroup: string | null;
    defaultChannel: string | null;
    /** SLACK_APP_TOKEN: Socket Mode (no public URL) instead of HTTP request URLs. */
    appToken?: string | null;
  };
  /** METRICS_TOKEN: bearer token for /metrics (without it, only loopback clients may read it). */
  metrics: { token: string | null };
  admin: { token: string | null; user: string | null; password: string | null; users: AdminUser[] };
  links: { secret: string; ttlMs: number };
  github: { token: string | null; apiUrl: string; webhookSecret: string | null };
  hosting: {
    driver: 'local' | 'command';
    commands: Record<string, string>;
    postMigrate: string[];
    /** HEALTH_CHECK_COMMAND (a template like the command driver's), or null. */
    healthCheckCommand: string | null;
    /** HEALTH_CHECK_ALLOW_HOSTS, lower case, IPv6 without brackets. */
    healthCheckAllowHosts: string[];
    concurrency: number;
    concurrencyPerServer: number;
    /** ALLOW_LOCAL_UPSTREAMS. */
    allowLocalUpstreams: boolean;
  };
  jobs: { maxAttempts: number; defaultPollIntervalMinutes: number };
  /** BACKUP_RETENTION_DAYS, in milliseconds. */
  backups: { retentionMs: number };
  /** GIT_TIMEOUT_SECONDS, in ms. */
  git: { timeoutMs: number };
  advisoriesFile: string;
  /** Advisory feeds (ADVISORY_FEED_*): the git feed (null when `off`), the operator's file/URL, poll interval, size limit. */
  advisoryFeed: {
    git: { url: string; branch: string } | null;
    file: string | null;
    pollMinutes: number;
    maxBytes: number;
  };
  /** Test-only crash points (src/lib/crash-point.ts); never set in production. */
  testCrash: { point: string | null; file: string | null };
  /** Settings that fell back to development defaults, for a start-up warning. */
  devDefaults: string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Builds the config from an environment (process.env by default). Throws ConfigError naming every bad variable. */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env, overrides: { role?: Role } = {}): Config => {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const devDefaults: string[] = [];
  const production = e.NODE_ENV === 'production';
  const required = <T>(name: string, value: T | undefined, dflt: () => T): T => {
    if (value !== undefined) return value;
    if (production) problems.push(`${name}: required when NODE_ENV=production`);
    devDefaults.push(name);
    return dflt();
  };

  // Socket Mode (SLACK_APP_TOKEN) receives no signed HTTP requests: Slack is reached over the socket Distro opens.
  const signingSecret = e.SLACK_APP_TOKEN && !e.SLACK_SIGNING_SECRET
    ? randomBytes(16).toString('hex')
    : required('SLACK_SIGNING_SECRET', e.SLACK_SIGNING_SECRET, () => randomBytes(16).toString('hex'));
  const linkSecret = required('LINK_SECRET', e.LINK_SECRET, () => randomBytes(24).toString('hex'));
  const adminUsers = parseAdminUsers(e.ADMIN_USERS ?? '');
  problems.push(...adminUsers.problems.map((p) => `ADMIN_USERS: ${p}`));
  if (production && !e.ADMIN_TOKEN && !(e.ADMIN_USER && e.ADMIN_PASSWORD) && !adminUsers.users.length) {
    problems.push('ADMIN_TOKEN: required (or ADMIN_USERS, or ADMIN_USER and ADMIN_PASSWORD) when NODE_ENV=production');
  }
  if (Boolean(e.ADMIN_USER) !== Boolean(e.ADMIN_PASSWORD)) problems.push('ADMIN_USER/ADMIN_PASSWORD: set both or neither');

  let commands: Record<string, string> = {};
  if (e.HOSTING_COMMANDS) {
    try {
      const raw: unknown = JSON.parse(e.HOSTING_COMMANDS);
      commands = z.record(z.string(), z.string()).parse(raw);
    } catch {
      problems.push('HOSTING_COMMANDS: must be a JSON object of step name → shell template');
    }
  }
  if (e.HEALTH_CHECK_COMMAND?.trim()) problems.push(...healthCommandProblems(e.HEALTH_CHECK_COMMAND));
  if (e.HOSTING_DRIVER === 'command' && !e.HOSTING_COMMANDS) problems.push('HOSTING_COMMANDS: required when HOSTING_DRIVER=command');
  // Checked here, not when the driver starts, so a template that would let a value reach the shell stops the start.
  if (e.HOSTING_DRIVER === 'command' && Object.keys(commands).length) {
    problems.push(...templateProblems(commands).map((p) => `HOSTING_COMMANDS: ${p}`));
  }
  const role = overrides.role ?? e.DISTRO_ROLE;
  if (role !== 'all' && !e.MONGODB_URI) {
    problems.push(`MONGODB_URI: required for DISTRO_ROLE=${role}; the embedded store lives inside one process (use DISTRO_ROLE=all)`);
  }
  if (production && (e.DISTRO_TEST_CRASH_AT || e.DISTRO_TEST_CRASH_FILE)) {
    problems.push('DISTRO_TEST_CRASH_AT/DISTRO_TEST_CRASH_FILE: test-only kill switches, refused when NODE_ENV=production');
  }
  for (const host of e.HEALTH_CHECK_ALLOW_HOSTS) {
    const name = host.split('.').every((label) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(label));
    if (!isIP(host.replace(/^\[(.*)\]$/, '$1')) && !name) {
      problems.push(`HEALTH_CHECK_ALLOW_HOSTS: \`${host.slice(0, 60)}\` is not a host name or an IP address (no scheme, port or path)`);
    }
  }
  const trustProxy = parseTrustProxy(e.TRUST_PROXY);
  if (typeof trustProxy === 'string') problems.push(`TRUST_PROXY: ${trustProxy}`);
  if (problems.length) throw new ConfigError(problems);

  const port = e.PORT;
  return {
    env: e.NODE_ENV,
    role,
    http: {
      host: e.HOST,
      port,
      publicUrl: (e.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/$/, ''),
      trustProxy: trustProxy as false | number | string[],
      connections: { max: e.HTTP_MAX_CONNECTIONS, perAddress: e.HTTP_MAX_CONNECTIONS_PER_ADDRESS },
    },
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    dataDir: resolve(e.DATA_DIR),
    databaseFile: resolve(e.DATABASE_FILE ?? join(e.DATA_DIR, 'distro.db')),
    mongoUri: e.MONGODB_URI ?? null,
    mongoFailFast: e.MONGODB_FAIL_FAST,
    slack: {
      signingSecret,
      botToken: e.SLACK_BOT_TOKEN ?? null,
      appToken: e.SLACK_APP_TOKEN ?? null,
      apiUrl: e.SLACK_API_URL.endsWith('/') ? e.SLACK_API_URL : `${e.SLACK_API_URL}/`,
      command: e.SLACK_COMMAND,
      confirmers: e.SLACK_CONFIRMERS,
      confirmersUsergroup: e.SLACK_CONFIRMERS_USERGROUP ?? null,
      defaultChannel: e.SLACK_DEFAULT_CHANNEL ?? null,
    },
    metrics: { token: e.METRICS_TOKEN ?? null },
    admin: { token: e.ADMIN_TOKEN ?? null, user: e.ADMIN_USER ?? null, password: e.ADMIN_PASSWORD ?? null, users: adminUsers.users },
    links: { secret: linkSecret, ttlMs: e.LINK_TTL_HOURS * 3_600_000 },
    github: { token: e.GITHUB_TOKEN ?? null, apiUrl: e.GITHUB_API_URL.replace(/\/$/, ''), webhookSecret: e.GITHUB_WEBHOOK_SECRET ?? null },
    hosting: {
      driver: e.HOSTING_DRIVER,
      commands,
      postMigrate: e.POST_MIGRATE_COMMANDS.split(';;').map((c) => c.trim()).filter(Boolean),
      healthCheckCommand: e.HEALTH_CHECK_COMMAND?.trim() || null,
      healthCheckAllowHosts: e.HEALTH_CHECK_ALLOW_HOSTS.map((h) => h.toLowerCase().replace(/^\[(.*)\]$/, '$1')),
      concurrency: e.MIGRATION_CONCURRENCY,
      concurrencyPerServer: e.MIGRATION_CONCURRENCY_PER_SERVER,
      allowLocalUpstreams: e.ALLOW_LOCAL_UPSTREAMS === 'true',
    },
    jobs: { maxAttempts: e.JOB_MAX_ATTEMPTS, defaultPollIntervalMinutes: e.POLL_DEFAULT_INTERVAL_MINUTES },
    backups: { retentionMs: e.BACKUP_RETENTION_DAYS * 86_400_000 },
    git: { timeoutMs: e.GIT_TIMEOUT_SECONDS * 1000 },
    advisoriesFile: resolve(e.ADVISORIES_FILE),
    advisoryFeed: {
      git: e.ADVISORY_FEED_URL === 'off' ? null : { url: e.ADVISORY_FEED_URL, branch: e.ADVISORY_FEED_BRANCH },
      file: e.ADVISORY_FEED_FILE ? (/^https:\/\//.test(e.ADVISORY_FEED_FILE) ? e.ADVISORY_FEED_FILE : resolve(e.ADVISORY_FEED_FILE)) : null,
      pollMinutes: e.ADVISORY_POLL_MINUTES,
      maxBytes: e.ADVISORY_FEED_MAX_MB * 1024 * 1024,
    },
    testCrash: { point: e.DISTRO_TEST_CRASH_AT ?? null, file: e.DISTRO_TEST_CRASH_FILE ? resolve(e.DISTRO_TEST_CRASH_FILE) : null },
    devDefaults,
  };
};
