/**
 * HOSTING_COMMANDS values reach the shell only as separate arguments. A template with a placeholder inside quotes
 * (`echo "ref={ref}"`) once let a tag named `1.0.1$(touch pwned)` run commands; such templates now stop the start
 * (the real process exits 78 naming the step and template), and tags full of shell syntax go through polling and
 * the command driver's builds as plain data.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';
import { scanPlaceholders } from '../../src/hosting/command-templates.js';
import { addBranchCommit, createOpenSocialRepo, makeTempDir, type GitFixtureRepo } from '../support/git-fixtures.js';
import { waitFor } from '../support/wait.js';
import { gitDistribution, startSecurityApp, tagHead, type SecurityApp } from './security-app.js';

const STEPS = { maintenanceOn: 'true', backup: 'echo /b', moveSite: 'true', postMigrate: 'true', verify: 'true', maintenanceOff: 'true', restore: 'true' };

const configProblems = (build: string): string[] => {
  try {
    loadConfig({ HOSTING_DRIVER: 'command', HOSTING_COMMANDS: JSON.stringify({ ...STEPS, build }) });
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
};

describe('templates with quoted placeholders are refused at start', () => {
  test.each([
    ['double quotes', 'echo "ref={ref}"'],
    ['single quotes', "echo 'ref={ref}'"],
    ['double quotes', `sh -c "echo '{ref}'"`],
    ['single quotes', `sh -c 'echo "{ref}"'`],
    ['backticks', 'echo `echo {ref}`'],
    ['$( … )', 'echo $(echo {ref})'],
    ['$( … )', 'echo "$(printf %s {ref})"'],
    ['$( … )', 'echo $((1 + {commit}))'],
    ['${ … }', 'echo ${REF:-{ref}}'],
    ["ANSI-C quotes ($'…')", "echo $'{ref}'"],
    ['a here-document', 'cat <<EOF > /tmp/x\n{ref}\nEOF'],
  ])('inside %s: %j', (context, build) => {
    expect(configProblems(build)).toEqual([
      `HOSTING_COMMANDS: build: placeholder {${build.includes('{commit}') ? 'commit' : 'ref'}} is inside ${context} in \`${build}\`; write it as a plain word (its value is passed as one separate argument) or use $DISTRO_${build.includes('{commit}') ? 'COMMIT' : 'REF'}`,
    ]);
  });

  test.each([
    'echo ref={ref} --root={platformPath}',
    `echo {platform}'->'{ref} "$DISTRO_REF" # it's a comment with {ref}`,
    'git clone -q {repo} {platformPath} && git -C {platformPath} checkout -q {commit}',
    'echo "${HOME}" {ref} \\"{ref}',
  ])('plain words are accepted: %j', (build) => {
    expect(configProblems(build)).toEqual([]);
  });

  test('the lexer reports where each placeholder sits', () => {
    expect(scanPlaceholders(`a {site} "b {ref}" 'c {commit}' \`d {repo}\` $(e {platform}) f{server}`).map((u) => [u.name, u.context])).toEqual([
      ['site', null],
      ['ref', 'double quotes'],
      ['commit', 'single quotes'],
      ['repo', 'backticks'],
      ['platform', '$( … )'],
      ['server', null],
    ]);
  });

  test('the real process stops with exit 78, naming the step and the template', async () => {
    const dir = await makeTempDir('distro-sec-quoting-');
    const build = `echo "ref={ref}" >> ${join(dir, 'journal')}`;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: process.cwd(),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', DATA_DIR: join(dir, 'data'), HOSTING_DRIVER: 'command', HOSTING_COMMANDS: JSON.stringify({ ...STEPS, build }) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(78);
    expect(stderr).toContain(`HOSTING_COMMANDS: build: placeholder {ref} is inside double quotes in \`${build}\``);
  }, 60_000);
});

describe('tags full of shell syntax through polling and command-driver builds', () => {
  let sec: SecurityApp;
  let repo: GitFixtureRepo;
  let journal: string;
  let marker: string;

  beforeAll(async () => {
    const dir = await makeTempDir('distro-sec-tags-');
    journal = join(dir, 'journal');
    marker = join(dir, 'pwned');
    sec = await startSecurityApp({
      ALLOW_LOCAL_UPSTREAMS: 'true',
      HOSTING_DRIVER: 'command',
      HOSTING_COMMANDS: JSON.stringify({ ...STEPS, build: `printf '%s|%s\\n' {ref} {platform} >> ${journal}` }),
    });
    repo = await createOpenSocialRepo(join(dir, 'up'), ['12.3.3']);
  });
  afterAll(() => sec?.close());

  test('each tag reaches the build command as one literal argument; nothing runs', async () => {
    const created = await sec.api('POST', '/api/distributions', gitDistribution('social', { url: repo.url, tagPattern: '12.*' }));
    expect(created.status).toBe(201);
    const built = async (count: number) =>
      waitFor(
        async () => {
          const items = (await sec.api('GET', '/api/platforms?distribution=social')).json.items as { status: string }[];
          return items.length >= count && items.every((p) => ['ready', 'failed', 'locked'].includes(p.status));
        },
        `${count} builds`,
        60_000,
      );
    expect((await sec.api('POST', '/api/distributions/social/poll')).status).toBe(202);
    await built(1);

    const evil = [
      `12.4.1$(touch${'${IFS}'}${marker})`,
      `12.4.2\`touch${'${IFS}'}${marker}\``,
      `12.4.3;touch${'${IFS}'}${marker};'"`,
      `12.4.4$(touch${'${IFS}'}${marker})'"$(touch${'${IFS}'}${marker})`,
    ];
    for (const tag of evil) {
      await addBranchCommit(repo, `release ${tag}`);
      await tagHead(repo, tag);
    }
    expect((await sec.api('POST', '/api/distributions/social/poll')).status).toBe(202);
    await built(1 + evil.length);

    const lines = (await readFile(journal, 'utf8')).trim().split('\n');
    expect(lines.map((l) => l.split('|')[0]).sort()).toEqual(['12.3.3', ...evil].sort());
    expect(existsSync(marker)).toBe(false);
  }, 90_000);
});
