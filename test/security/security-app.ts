/**
 * The product as `npm start` composes it (src/app.ts, embedded store, real drivers, real git), with every secret
 * configured, Slack pointed at the recording stand-in, for the attacks of the security suite. Also the canaries:
 * a secrets file outside every root and a directory that must stay empty.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildApp, type DistroApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { runGit } from '../../src/upstream/git-exec.js';
import { makeTempDir, type GitFixtureRepo } from '../support/git-fixtures.js';
import { startSlackStandIn, type LooseJson, type SlackStandIn } from '../support/slack-stand-in.js';

export const SECRETS = {
  ADMIN_TOKEN: 'sec-admin-token-4f9c2a7d1e',
  LINK_SECRET: 'sec-link-secret-8b3e6f0a2c',
  GITHUB_WEBHOOK_SECRET: 'sec-webhook-secret-5d1a9c7e',
  SLACK_SIGNING_SECRET: 'sec-signing-secret-2e7b4c9f',
  SLACK_BOT_TOKEN: 'xoxb-sec-bot-token-7c2d9e4a',
  GITHUB_TOKEN: 'ghp_secGithubToken3a8f1b6d',
} as const;

export const SECRET_VALUES: string[] = Object.values(SECRETS);

export interface SecurityApp {
  app: DistroApp;
  slack: SlackStandIn;
  /** Temp directory of this app (data, upstreams, canaries). */
  dir: string;
  /** A file outside every root holding the secrets, as an attacker's link target. */
  secretsFile: string;
  /** A directory outside every root that nothing may write into. */
  outsideDir: string;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; text: string; json: LooseJson }>;
  close(): Promise<void>;
}

export const startSecurityApp = async (env: Record<string, string> = {}): Promise<SecurityApp> => {
  const dir = await makeTempDir('distro-security-');
  const secretsFile = join(dir, 'outside', 'secrets.env');
  const outsideDir = join(dir, 'outside', 'must-stay-empty');
  await mkdir(outsideDir, { recursive: true });
  await writeFile(secretsFile, Object.entries(SECRETS).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const slack = await startSlackStandIn();
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: join(dir, 'data'),
    LOG_LEVEL: 'silent',
    SLACK_API_URL: slack.apiUrl,
    SLACK_DEFAULT_CHANNEL: 'C0SECURITY',
    JOB_MAX_ATTEMPTS: '1',
    ...SECRETS,
    ...env,
  });
  const app = await buildApp(config, { logger: silentLogger() });
  await app.start();
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${SECRETS.ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // A page, not JSON.
    }
    return { status: res.status, text, json: (json ?? {}) as LooseJson };
  };
  return {
    app,
    slack,
    dir,
    secretsFile,
    outsideDir,
    api,
    close: async () => {
      await app.stop();
      await slack.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
};

/** A create-distribution body for a git upstream, polled only when asked, never auto-targeted. */
export const gitDistribution = (slug: string, upstream: Record<string, unknown>) => ({
  slug,
  title: slug,
  upstream: { kind: 'git', manifestPath: 'composer.json', ...upstream },
  policy: { pollIntervalMinutes: 0, autoTarget: false },
});

/** Entries of a directory (empty when it does not exist). */
export const entriesOf = (dir: string): Promise<string[]> => readdir(dir).catch(() => []);

/** Adds an annotated tag named `name` at HEAD of a fixture repository (names git accepts but a shell would not). */
export const tagHead = (repo: GitFixtureRepo, name: string): Promise<unknown> =>
  runGit(['-c', 'user.name=Attacker', '-c', 'user.email=attacker@example.test', '-c', 'tag.gpgsign=false', '-C', repo.path, 'tag', '-a', name, '-m', name]);

/** Asserts text carries none of the configured secrets (the caller's expect gives the failure message). */
export const leakedSecrets = (text: string): string[] => SECRET_VALUES.filter((s) => text.includes(s));
