/**
 * `distro`: the command line over the admin REST API (bin/distro runs the compiled copy of this file). Reads the
 * server URL and a personal API token from --url/--token, DISTRO_URL/DISTRO_TOKEN, or the file `distro login` wrote
 * (mode 0600 in the user's config directory). Only node built-ins: it runs from a fresh clone once `npm start` built.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, failed: 1, usage: 2, auth: 3, notFound: 4, refused: 5, unavailable: 6 } as const;

class CliError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

type Format = 'table' | 'json' | 'csv';
interface Parsed {
  args: string[];
  flags: Record<string, string | true>;
}

const FLAGS_WITH_VALUE = new Set(['kind', 'url', 'token', 'format', 'distro', 'platform', 'site', 'distribution', 'limit', 'state', 'package', 'action']);

export const parseArgs = (argv: string[]): Parsed => {
  const args: string[] = [];
  const flags: Record<string, string | true> = Object.create(null) as Record<string, string | true>;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      args.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (inline !== undefined) flags[name] = inline;
    else if (FLAGS_WITH_VALUE.has(name)) {
      const value = argv[++i];
      if (value === undefined) throw new CliError(`--${name} needs a value`, EXIT.usage);
      flags[name] = value;
    } else flags[name] = true;
  }
  return { args, flags };
};

export const configFile = (env: NodeJS.ProcessEnv = process.env): string =>
  join(env['XDG_CONFIG_HOME'] || join(env['HOME'] || homedir(), '.config'), 'distro', 'config.json');

interface Connection {
  url: string;
  token: string;
}

const readConfig = async (env: NodeJS.ProcessEnv): Promise<Partial<Connection>> => {
  try {
    return JSON.parse(await readFile(configFile(env), 'utf8')) as Partial<Connection>;
  } catch {
    return {};
  }
};

const connection = async (p: Parsed, env: NodeJS.ProcessEnv): Promise<Connection> => {
  const saved = await readConfig(env);
  const url = (typeof p.flags['url'] === 'string' ? p.flags['url'] : env['DISTRO_URL']) ?? saved.url;
  const token = (typeof p.flags['token'] === 'string' ? p.flags['token'] : env['DISTRO_TOKEN']) ?? saved.token;
  if (!url || !token) throw new CliError('Not logged in: run `distro login --url <server> --token <token>` (make a token on <server>/tokens).', EXIT.auth);
  return { url: url.replace(/\/+$/, ''), token };
};

const VERSION = '0.1.0';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const request = async (c: Connection, method: string, path: string, body?: unknown): Promise<Json> => {
  let res: Response;
  try {
    res = await fetch(c.url + path, {
      method,
      headers: {
        authorization: `Bearer ${c.token}`,
        'user-agent': `distro-cli/${VERSION}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    throw new CliError(`Cannot reach ${c.url}: ${(error as Error).message}`, EXIT.unavailable);
  }
  const text = await res.text();
  let json: Json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (res.ok) return json;
  const err = json?.error;
  const detail = [err?.message ?? `${res.status} ${res.statusText}`, ...((err?.issues as string[] | undefined) ?? []).map((i) => `  ${i}`)].join('\n');
  const hint = err?.hint?.endpoint ? `\n(next: ${err.hint.endpoint})` : '';
  const code = res.status === 401 || res.status === 403 ? EXIT.auth : res.status === 404 ? EXIT.notFound : res.status >= 500 ? EXIT.unavailable : EXIT.refused;
  throw new CliError(detail + hint, code);
};

// ------------------------------------------------------------------ output

const cell = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
const csvCell = (v: string): string => (/[",\n\r]/.test(v) || /^[=+\-@\t]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** Prints rows as an aligned table, JSON, or CSV (RFC 4180, formula-safe). */
export const render = (rows: Record<string, unknown>[], columns: string[], format: Format): string => {
  if (format === 'json') return JSON.stringify(rows, null, 2);
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  if (format === 'csv') return [columns, ...cells].map((line) => line.map(csvCell).join(',')).join('\n');
  if (!rows.length) return '(none)';
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n');
};

const formatOf = (p: Parsed): Format => {
  const f = p.flags['format'] ?? 'table';
  if (f !== 'table' && f !== 'json' && f !== 'csv') throw new CliError('--format must be table, json or csv', EXIT.usage);
  return f;
};

const q = (params: Record<string, unknown>): string => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (typeof v === 'string' && v) s.set(k, v);
  const text = s.toString();
  return text ? `?${text}` : '';
};
const seg = (s: string | undefined, what: string): string => {
  if (!s) throw new CliError(`missing ${what}`, EXIT.usage);
  return encodeURIComponent(s);
};

// ------------------------------------------------------------------ commands

const USAGE = `distro — Distro from the command line (over the admin API)

  distro login --url <server> [--token <token>]   store a personal API token (token from --token, DISTRO_TOKEN or stdin)
  distro list                                       distributions, targets, site counts
  distro show <distro>                              one distribution's platforms
  distro status [<distro>]                          out-of-date sites per distribution
  distro upgrade --distro <d> | --platform <p> | --site <s> [--yes]
                                                    print the Compare summary; --yes confirms it
  distro rollouts [--distribution <d>] [--state running,paused]
  distro pause|resume|cancel-rollout <n>
  distro rollback <site>
  distro lock <platform> <reason> · unlock <platform>
  distro pin <site> <reason> · pin --distro <d> <reason> · unpin <site> · unpin --distro <d>
  distro exposure [--distribution <d>] [--package <vendor/name>]
  distro audit [--limit <n>] [--action <a>]
  distro import <file|-> [--kind drush-json|csv] [--distribution <d>] [--apply]
                                                    preview a fleet import (drush site:alias JSON or CSV); --apply writes it

Every listing takes --format table|json|csv. --url and --token override the stored login.
Exit codes: 0 ok · 1 failed (e.g. an upgrade with errors) · 2 usage · 3 not logged in or not allowed · 4 not found ·
5 refused (invalid, conflict; an import preview or apply with refused rows) · 6 server unreachable or failing.`;

type Out = (text: string) => void;

const readStdin = async (): Promise<string> => {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
};

const login = async (p: Parsed, env: NodeJS.ProcessEnv, out: Out): Promise<void> => {
  const url = typeof p.flags['url'] === 'string' ? p.flags['url'].replace(/\/+$/, '') : undefined;
  if (!url) throw new CliError('login needs --url <server>', EXIT.usage);
  const token = (typeof p.flags['token'] === 'string' ? p.flags['token'] : env['DISTRO_TOKEN']) || (await readStdin());
  if (!token) throw new CliError('login needs a token: --token <token>, DISTRO_TOKEN, or on stdin (make one on <server>/tokens)', EXIT.usage);
  const me = await request({ url, token }, 'GET', '/api/me');
  const file = configFile(env);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify({ url, token }, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  out(`Logged in to ${url} as ${me.user} (${me.role}${me.token ? `, token "${me.token}"` : ''}). Saved in ${file}.`);
};

const upgrade = async (c: Connection, p: Parsed, out: Out): Promise<number> => {
  const scope =
    typeof p.flags['distro'] === 'string'
      ? { kind: 'distribution', slug: p.flags['distro'] }
      : typeof p.flags['platform'] === 'string'
        ? { kind: 'platform', name: p.flags['platform'] }
        : typeof p.flags['site'] === 'string'
          ? { kind: 'site', name: p.flags['site'] }
          : null;
  if (!scope) throw new CliError('upgrade needs --distro <d>, --platform <p> or --site <s>', EXIT.usage);
  const created = await request(c, 'POST', '/api/upgrades', { scope });
  const plan = await request(c, 'GET', `/api/upgrades/${encodeURIComponent(created.id)}`);
  const lines = [`Upgrade ${plan.id} of ${plan.distribution.slug} to ${plan.target?.name ?? '(no target)'}: ${plan.moves?.length ?? 0} site(s)`];
  for (const g of plan.groups ?? []) {
    const n = g.counts ?? {};
    lines.push(`  from ${g.from?.name}: ${g.sites.length} site(s) · ${n.upgrade ?? 0} upgrades, ${n.downgrade ?? 0} downgrades, ${n.added ?? 0} added, ${n.missing ?? 0} missing, ${n.securityFixes ?? 0} security fixes`);
    for (const problem of g.problems ?? []) lines.push(`    ${problem.severity}: ${problem.name}${problem.reason ? ` (${problem.reason})` : ''}`);
  }
  for (const h of plan.held ?? []) lines.push(`  held: ${h.site} (${h.reason})`);
  out(lines.join('\n'));
  const errors = (plan.groups ?? []).some((g: Json) => (g.problems ?? []).some((x: Json) => x.severity === 'error'));
  if (!p.flags['yes']) {
    out(errors ? 'This upgrade has errors and cannot be confirmed.' : `Confirm with: distro upgrade ... --yes   (or POST /api/upgrades/${plan.id}/confirm)`);
    return errors ? EXIT.failed : EXIT.ok;
  }
  if (errors) {
    out('Not confirmed: this upgrade has errors.');
    return EXIT.failed;
  }
  const confirmed = await request(c, 'POST', `/api/upgrades/${encodeURIComponent(plan.id)}/confirm`);
  const rollout = confirmed.plan?.rollout;
  out(`Confirmed: ${confirmed.scheduled?.length ?? 0} migration(s) scheduled${rollout ? `, rollout #${rollout.number} (${rollout.state})` : ''}.`);
  return EXIT.ok;
};

const hold = async (c: Connection, p: Parsed, out: Out, word: 'lock' | 'pin', set: boolean): Promise<void> => {
  const [key, ...reason] = typeof p.flags['distro'] === 'string' ? [p.flags['distro'], ...p.args.slice(1)] : p.args.slice(1);
  const base = word === 'lock' ? 'platforms' : typeof p.flags['distro'] === 'string' ? 'distributions' : 'sites';
  const path = `/api/${base}/${seg(key, word === 'lock' ? 'platform' : 'site or --distro')}/${word}`;
  if (set && !reason.join(' ').trim()) throw new CliError(`${word} needs a reason`, EXIT.usage);
  await request(c, set ? 'PUT' : 'DELETE', path, set ? { reason: reason.join(' ') } : undefined);
  out(`${set ? (word === 'lock' ? 'Locked' : 'Pinned') : word === 'lock' ? 'Unlocked' : 'Unpinned'} ${key}.`);
};

/** Runs one command line; returns the exit code. */
export const run = async (argv: string[], env: NodeJS.ProcessEnv = process.env, out: Out = (t) => console.log(t), err: Out = (t) => console.error(t)): Promise<number> => {
  try {
    const p = parseArgs(argv);
    const [command, ...rest] = p.args;
    if (!command || command === 'help' || p.flags['help']) {
      out(USAGE);
      return command || p.flags['help'] ? EXIT.ok : EXIT.usage;
    }
    if (command === 'login') {
      await login(p, env, out);
      return EXIT.ok;
    }
    const c = await connection(p, env);
    const format = formatOf(p);
    const show = (rows: Record<string, unknown>[], columns: string[]) => out(render(rows, columns, format));
    switch (command) {
      case 'list': {
        const page = await request(c, 'GET', '/api/distributions?limit=200');
        show(
          page.items.map((d: Json) => ({ slug: d.slug, title: d.title, target: d.target?.name ?? '', platforms: d.platformCount, sites: d.siteCount, outdated: d.outdatedSiteCount, pinned: d.pin?.reason ?? '' })),
          ['slug', 'title', 'target', 'platforms', 'sites', 'outdated', 'pinned'],
        );
        return EXIT.ok;
      }
      case 'show': {
        const d = await request(c, 'GET', `/api/distributions/${seg(rest[0], 'distribution')}`);
        show(
          (d.platforms ?? []).map((pl: Json) => ({ platform: pl.name ?? pl.platform?.name, status: pl.status ?? pl.platform?.status, target: pl.isTarget ?? pl.target ?? '', sites: pl.siteCount ?? '', locked: pl.lock?.reason ?? pl.locked ?? '' })),
          ['platform', 'status', 'target', 'sites', 'locked'],
        );
        return EXIT.ok;
      }
      case 'status': {
        const page = await request(c, 'GET', '/api/distributions?limit=200');
        const rows = page.items
          .filter((d: Json) => !rest[0] || d.slug === rest[0])
          .map((d: Json) => ({ distribution: d.slug, target: d.target?.name ?? '(none)', sites: d.siteCount, outdated: d.outdatedSiteCount }));
        if (rest[0] && !rows.length) throw new CliError(`No distribution ${rest[0]}.`, EXIT.notFound);
        show(rows, ['distribution', 'target', 'sites', 'outdated']);
        return EXIT.ok;
      }
      case 'upgrade':
        return await upgrade(c, p, out);
      case 'rollouts': {
        const page = await request(c, 'GET', `/api/rollouts${q({ distribution: p.flags['distribution'], state: p.flags['state'], limit: '200' })}`);
        show(
          page.items.map((r: Json) => ({ number: r.number, state: r.state, waves: r.waves?.length ?? 0, sites: (r.waves ?? []).reduce((n: number, w: Json) => n + (w.sites?.length ?? 0), 0), created: r.createdAt, reason: r.pauseReason ?? r.reason ?? '' })),
          ['number', 'state', 'waves', 'sites', 'created', 'reason'],
        );
        return EXIT.ok;
      }
      case 'pause':
      case 'resume':
      case 'cancel-rollout': {
        const verb = command === 'cancel-rollout' ? 'cancel' : command;
        const r = await request(c, 'POST', `/api/rollouts/${seg(rest[0], 'rollout number')}/${verb}`);
        out(`Rollout #${r.number}: ${r.state}.`);
        return EXIT.ok;
      }
      case 'rollback': {
        const r = await request(c, 'POST', `/api/sites/${seg(rest[0], 'site')}/rollback`);
        out(`Rollback of ${rest[0]} queued${r?.task?.number ? ` as task #${r.task.number}` : ''}.`);
        return EXIT.ok;
      }
      case 'lock':
      case 'unlock':
        await hold(c, p, out, 'lock', command === 'lock');
        return EXIT.ok;
      case 'pin':
      case 'unpin':
        await hold(c, p, out, 'pin', command === 'pin');
        return EXIT.ok;
      case 'exposure': {
        const page = await request(c, 'GET', `/api/exposure${q({ distribution: p.flags['distribution'], package: p.flags['package'], limit: '200' })}`);
        show(
          page.items.map((r: Json) => ({ site: r.site, platform: r.platform, distribution: r.distribution, packages: (r.packages ?? []).map((x: Json) => x.name ?? x).join(' '), fix: r.fixedBy ?? r.fix ?? '' })),
          ['site', 'platform', 'distribution', 'packages', 'fix'],
        );
        return EXIT.ok;
      }
      case 'audit': {
        const page = await request(c, 'GET', `/api/audit${q({ limit: typeof p.flags['limit'] === 'string' ? p.flags['limit'] : '50', action: p.flags['action'] })}`);
        show(
          page.items.map((e: Json) => ({ at: e.at, actor: e.actor?.token ? `${e.actorId} (token ${e.actor.token})` : e.actorId, source: e.source, action: e.action, subject: e.subject?.name, details: e.details })),
          ['at', 'actor', 'source', 'action', 'subject', 'details'],
        );
        return EXIT.ok;
      }
      case 'import': {
        const file = p.args[1];
        if (!file) throw new CliError('import needs a file (or - for standard input)', EXIT.usage);
        const content = file === '-' ? await readStdin() : await readFile(file, 'utf8').catch(() => {
          throw new CliError(`cannot read ${file}`, EXIT.usage);
        });
        // The file's kind from --kind (--format is the output's), else its name: .csv is CSV, else drush's alias JSON.
        const kind = typeof p.flags['kind'] === 'string' ? p.flags['kind'] : /\.csv$/i.test(file) ? 'csv' : 'drush-json';
        const body = { format: kind, content, ...(typeof p.flags['distribution'] === 'string' ? { distribution: p.flags['distribution'] } : {}), apply: p.flags['apply'] === true };
        const result = await request(c, 'POST', '/api/import', body);
        show(
          result.rows.map((r: Json) => ({ line: r.line, site: r.site ?? r.label, platform: r.platform ?? '', action: r.action, reason: r.reason ?? '' })),
          ['line', 'site', 'platform', 'action', 'reason'],
        );
        const n = result.counts;
        err(`${result.applied ? `Applied: ${n.created} created` : `Preview: ${n.create} to create`}, ${n.already} already there, ${n.refused} refused, ${n.skipped} skipped.`);
        return n.refused > 0 ? EXIT.refused : EXIT.ok;
      }
      default:
        throw new CliError(`Unknown command ${command}. Run \`distro help\`.`, EXIT.usage);
    }
  } catch (error) {
    if (error instanceof CliError) {
      err(`distro: ${error.message}`);
      return error.code;
    }
    err(`distro: ${(error as Error).stack ?? String(error)}`);
    return EXIT.failed;
  }
};
