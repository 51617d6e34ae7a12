/**
 * Update-polling benchmark: time from "new tag pushed" to "target.changed published" through the whole stack
 * (poll job → checker → platform → build job → real checkout → auto-target), for a git upstream and a GitHub
 * upstream (octokit → local API stand-in), plus the cost of an unchanged poll in time and rate-limit units.
 *   npx tsx scripts/bench-poll.ts [runs]
 */
import { rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { Distribution, UpstreamSource } from '../src/domain/distribution.js';
import { GitHubUpstreamChecker } from '../src/github/github-checker.js';
import { GitUpstreamChecker } from '../src/upstream/git-checker.js';
import { ADMIN, startPollingStack, type PollingStack } from '../test/e2e/polling-harness.js';
import { OPEN_SOCIAL_VERSIONS } from '../test/support/fixtures.js';
import { addVersion, createOpenSocialRepo, makeTempDir, type GitFixtureRepo } from '../test/support/git-fixtures.js';
import { startGitHubStandIn, type GitHubStandIn } from '../test/support/github-stand-in.js';

const runs = Math.max(1, Math.min(OPEN_SOCIAL_VERSIONS.length - 1, Number(process.argv[2] ?? 5)));
const polls = 20;
const OWNER = 'goalgorilla';
const NAME = 'social_template';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const ms = (x: number) => `${x.toFixed(1)} ms`;

/** Pushes each next release and times until the bus carries its target.changed. */
const pushToTarget = async (stack: PollingStack, repo: GitFixtureRepo, slug: string, versions: string[]): Promise<number[]> => {
  const times: number[] = [];
  for (const version of versions) {
    const started = performance.now();
    await addVersion(repo, version);
    const changed = new Promise<void>((resolve) => {
      const off = stack.services.events.subscribe(async (e) => {
        if (e.type !== 'target.changed') return;
        const target = await stack.repos.platforms.get(e.targetId);
        if (target?.source.ref === version) {
          off();
          resolve();
        }
      });
    });
    await stack.polls.pollNow(slug, ADMIN);
    await changed;
    times.push(performance.now() - started);
  }
  return times;
};

const timeChecks = async (check: () => Promise<unknown>): Promise<number[]> => {
  const times: number[] = [];
  for (let i = 0; i < polls; i++) {
    const t = performance.now();
    await check();
    times.push(performance.now() - t);
  }
  return times;
};

const main = async () => {
  const dir = await makeTempDir('distro-bench-poll-');
  const [first, ...rest] = OPEN_SOCIAL_VERSIONS;
  const next = rest.slice(0, runs);
  let gh: GitHubStandIn | undefined;
  let stack: PollingStack | undefined;
  try {
    const gitRepo = await createOpenSocialRepo(`${dir}/git`, [first!]);
    const ghRepo = await createOpenSocialRepo(`${dir}/gh`, [first!]);
    gh = await startGitHubStandIn();
    gh.addRepo(OWNER, NAME, ghRepo.path);
    stack = await startPollingStack({ githubApiUrl: gh.url });
    const policy = { pollIntervalMinutes: 0, autoTarget: true };
    const gitUpstream: UpstreamSource = { kind: 'git', url: gitRepo.url, tagPattern: '12.*', manifestPath: 'composer.lock' };
    const ghUpstream: UpstreamSource = { kind: 'github', owner: OWNER, repo: NAME, tagPattern: '12.*', manifestPath: 'composer.lock' };
    const gitDist = await stack.services.distributions.create({ slug: 'social-git', title: 'git', upstream: gitUpstream, policy });
    const ghDist = await stack.services.distributions.create({ slug: 'social-gh', title: 'GitHub', upstream: ghUpstream, policy });
    // Initial build of each, so the measured runs are the steady state: bookkeeping exists, mirrors are warm.
    await stack.polls.pollNow(gitDist.slug, ADMIN);
    await stack.polls.pollNow(ghDist.slug, ADMIN);
    await stack.idle();

    const gitTimes = await pushToTarget(stack, gitRepo, gitDist.slug, next);
    const ghTimes = await pushToTarget(stack, ghRepo, ghDist.slug, next);
    await stack.idle();

    // Unchanged polls, straight at the checkers with the bookkeeping the stack saved.
    const fresh = async (id: string): Promise<Distribution> => (await stack!.repos.distributions.get(id))!;
    const gitDistNow = await fresh(gitDist.id);
    const ghDistNow = await fresh(ghDist.id);
    const gitChecker = new GitUpstreamChecker({ allowLocalUpstreams: true });
    const ghChecker = new GitHubUpstreamChecker({ apiUrl: gh.url });
    const gitPoll = await timeChecks(() => gitChecker.check(gitDistNow));
    gh.resetStats();
    const ghPoll = await timeChecks(() => ghChecker.check(ghDistNow));
    const conditionalUnits = gh.stats.rateLimited;
    const withoutEtags: Distribution = { ...ghDistNow, pollState: Object.fromEntries(Object.entries(ghDistNow.pollState).filter(([k]) => !k.startsWith('etag:'))) };
    gh.resetStats();
    const ghPollNoEtag = await timeChecks(() => ghChecker.check(withoutEtags));
    const plainUnits = gh.stats.rateLimited;

    const gm = median(gitTimes);
    const hm = median(ghTimes);
    console.log(`bench-poll: ${next.length} releases per upstream (${next.join(', ')}), ${polls} unchanged polls each`);
    console.log(`  new tag → target.changed, git upstream:    median ${ms(gm)} (min ${ms(Math.min(...gitTimes))}, max ${ms(Math.max(...gitTimes))})`);
    console.log(`  new tag → target.changed, GitHub upstream: median ${ms(hm)} (min ${ms(Math.min(...ghTimes))}, max ${ms(Math.max(...ghTimes))})`);
    console.log(`  GitHub / git: ${(hm / gm).toFixed(2)}x`);
    console.log(`  unchanged poll, git ls-remote:            median ${ms(median(gitPoll))}`);
    console.log(`  unchanged poll, GitHub with ETags (304):  median ${ms(median(ghPoll))}, rate-limit units ${conditionalUnits} for ${polls} polls (${(conditionalUnits / polls).toFixed(2)}/poll)`);
    console.log(`  unchanged poll, GitHub without ETags:     median ${ms(median(ghPollNoEtag))}, rate-limit units ${plainUnits} for ${polls} polls (${(plainUnits / polls).toFixed(2)}/poll)`);
    console.log(`  unchanged polls per hour a 5000-unit budget allows: with ETags ${conditionalUnits === 0 ? 'unlimited' : Math.floor((5000 * polls) / conditionalUnits)}, without ${Math.floor((5000 * polls) / Math.max(1, plainUnits))}`);
    console.log(`  build share of tag → target (git): ${((1 - median(gitPoll) / gm) * 100).toFixed(0)}% (the rest is the poll)`);
  } finally {
    await stack?.close();
    await gh?.close();
    await rm(dir, { recursive: true, force: true });
  }
};

await main();
