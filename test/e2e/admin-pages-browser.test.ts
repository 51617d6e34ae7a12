/**
 * Every admin page in real headless Chromium (Debian's chromium), at a desktop width and at 390 px: no script or
 * CSP error, no horizontal page scroll on the phone width, no serious or critical axe-core violation, and a
 * screenshot of each under test-results/screenshots/. Then what an operator without Slack needs: failures first on
 * the dashboard, the true current step updating in place, rollout progress, and the CSV exports.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Task } from '../../src/domain/task.js';
import { PollService } from '../../src/services/poll-service.js';
import { GitUpstreamChecker } from '../../src/upstream/git-checker.js';
import { launchChromium } from '../support/browser.js';
import { ADMIN_TOKEN, pathOf, startHttpServer, type HttpTestServer } from '../support/http.js';
import { ADMIN, seedOpenSocial } from '../support/seed.js';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SCREENSHOTS = join(process.cwd(), 'test-results', 'screenshots');
const WIDTHS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;
const FORMULA_ERROR = '=HYPERLINK("http://evil.example/","click")';
const LEASE = new Date(Date.now() + 3_600_000);

let server: HttpTestServer;
let browser: Browser;
let running: Task;
let failed: Task;
let planId: string;
const pages: { name: string; path: string; status?: number }[] = [];

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

const newContext = (width: number, height: number): Promise<BrowserContext> =>
  browser.newContext({ viewport: { width, height }, extraHTTPHeaders: { authorization: `Bearer ${ADMIN_TOKEN}` } });

/** Collects page errors and console errors (a CSP refusal is a console error). */
const watch = (page: Page): string[] => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 404/.test(m.text())) errors.push(m.text());
  });
  return errors;
};

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  server = await startHttpServer();
  const { services, repos } = server;
  const seeded = await seedOpenSocial(services, {
    sites: { '12.3.3': ['old-1.example.org', 'old-2.example.org', 'old-3.example.org'], '12.4.1': ['mid.example.org'], '12.4.2': ['new.example.org'] },
  });

  // An upgrade of every outdated site: one running (its intent already past the last completed step), one failed.
  const proposal = await services.upgrades.propose({ kind: 'distribution', slug: 'social' }, ADMIN);
  const confirmed = await services.upgrades.confirm(proposal.plan.id, ADMIN);
  planId = proposal.plan.id;
  const [first, second] = confirmed.view.tasks;
  running = (await repos.tasks.claim(first!.id, 'browser-test', LEASE, new Date()))!;
  await repos.tasks.setStep(running.id, 'backup', { intent: 'moveSite' });
  await repos.tasks.appendLog(running.id, [{ at: new Date(), level: 'info', message: 'Step moveSite' }]);
  running = (await repos.tasks.get(running.id))!;
  await repos.tasks.claim(second!.id, 'browser-test', LEASE, new Date());
  failed = (await repos.tasks.transition(second!.id, ['processing'], 'failed', { error: FORMULA_ERROR, finishedAt: new Date() }))!;

  // A build that failed after the target, and a distribution whose upstream cannot be reached.
  const broken = await repos.platforms.create({
    name: 'social-12.5.0',
    distributionId: seeded.distribution.id,
    source: { ref: '12.5.0', commit: 'f'.repeat(40) },
    createdBy: { kind: 'poll' },
    status: 'failed',
  });
  await repos.platforms.appendBuildLog(broken.id, ['Cloning', 'Build failed: composer install exited with status 2']);
  await services.distributions.create({
    slug: 'unreachable',
    title: 'Unreachable upstream',
    upstream: { kind: 'git', url: 'file:///nonexistent/distro-upstream.git', manifestPath: 'composer.lock' },
    policy: { pollIntervalMinutes: 0, autoTarget: true },
  });
  const polls = new PollService({ repos, jobs: server.jobs, checkers: { git: new GitUpstreamChecker({ allowLocalUpstreams: true }) } });
  await expect(polls.checkDistribution((await services.distributions.get('unreachable')).id, { kind: 'poll' })).rejects.toThrow();

  pages.push(
    { name: 'dashboard', path: '/' },
    { name: 'distribution', path: '/distributions/social' },
    { name: 'distribution-unreachable', path: '/distributions/unreachable' },
    { name: 'platform', path: '/platforms/social-12.3.3' },
    { name: 'platform-failed', path: '/platforms/social-12.5.0' },
    { name: 'site', path: '/sites/old-1.example.org' },
    { name: 'task', path: `/tasks/${running.number}` },
    { name: 'upgrade', path: pathOf(services.links.planUrl(planId)) },
    { name: 'compare', path: pathOf(services.links.compareUrl(seeded.platforms['12.3.3']!.id, seeded.platforms['12.4.2']!.id)) },
    { name: 'import', path: '/import' },
    { name: 'sites', path: '/sites' },
    { name: 'sites-filtered', path: '/sites?distribution=social&status=enabled&limit=2' },
    { name: 'exposure', path: '/exposure' },
    { name: 'rollouts', path: '/rollouts' },
    // A page after an action, with its result message (sealed for that page, as the action's redirect does).
    { name: 'platform-with-note', path: `/platforms/social-12.3.3?note=${services.links.sealNote('/platforms/social-12.3.3', 'Locked social-12.3.3.')}` },
    { name: 'not-found', path: '/no-such-page', status: 404 },
  );
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe.each(WIDTHS)('every page at $width px', ({ name: widthName, width, height }) => {
  test('loads without errors, fits the width, passes axe-core (no serious or critical violations), screenshot saved', async () => {
    const context = await newContext(width, height);
    const problems: string[] = [];
    for (const p of pages) {
      const page = await context.newPage();
      const errors = watch(page);
      const res = await page.goto(server.baseUrl + p.path);
      expect({ page: p.name, status: res?.status() }).toEqual({ page: p.name, status: p.status ?? 200 });
      if (p.name === 'compare') await page.locator('#compare-controls').waitFor({ state: 'visible' });
      const scrollWidth = await page.evaluate('document.documentElement.scrollWidth');
      if (width === 390 && (scrollWidth as number) > width) problems.push(`${p.name}: page is ${String(scrollWidth)} px wide at ${width} px`);
      // Evaluated through the DevTools protocol: the page's CSP (rightly) refuses an injected inline script.
      await page.evaluate(AXE_SOURCE);
      const violations = (await page.evaluate(
        'axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target })) })))',
      )) as AxeViolation[];
      for (const v of violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) {
        problems.push(`${p.name}: axe ${v.impact} ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`);
      }
      await page.screenshot({ path: join(SCREENSHOTS, `${p.name}-${widthName}.png`), fullPage: true });
      for (const e of errors) problems.push(`${p.name}: ${e}`);
      await page.close();
    }
    await context.close();
    expect(problems).toEqual([]);
  }, 120_000);
});

describe('what an operator without Slack sees', () => {
  let context: BrowserContext;
  beforeAll(async () => {
    context = await newContext(1280, 900);
  });
  afterAll(() => context.close());

  test('the dashboard leads with failed tasks, builds and polls, insecure sites, and lists each running task once', async () => {
    const page = await context.newPage();
    await page.goto(server.baseUrl + '/');
    const headings = await page.locator('main h2').allTextContents();
    expect(headings[0]).toBe('Needs attention');
    expect(await page.locator('#failed-tasks').textContent()).toContain(`#${failed.number}`);
    expect(await page.locator('#failed-tasks').textContent()).toContain(FORMULA_ERROR);
    expect(await page.locator('#failed-builds').textContent()).toContain('composer install exited with status 2');
    const polls = (await page.locator('#failed-polls').textContent())!;
    expect(polls).toContain('Unreachable upstream');
    expect(polls).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(await page.locator('#insecure-sites').textContent()).toMatch(/3 sites on social-12\.3\.3/);
    expect(await page.locator('#fleet-security svg').getAttribute('aria-label')).toMatch(/All sites: \d+ insecure, fix waiting/);
    // The last poll column of the distribution table says when and how.
    expect(await page.locator('#distributions tr', { hasText: 'Unreachable upstream' }).locator('.b-failed').count()).toBe(1);

    const running = await page.locator('#running-tasks tbody tr').allTextContents();
    const recent = await page.locator('#recent-tasks tbody tr').allTextContents();
    const numbers = (rows: string[]) => rows.map((r) => /#(\d+)/.exec(r)![1]);
    expect(new Set(numbers(running)).size).toBe(running.length);
    expect(numbers(recent).filter((n) => numbers(running).includes(n))).toEqual([]);
    expect(recent.every((r) => /succeeded|failed|cancelled/.test(r))).toBe(true);
    await page.close();
  });

  test('a distribution whose upstream cannot be reached says so, with the time, instead of only "No platforms yet"', async () => {
    const page = await context.newPage();
    await page.goto(server.baseUrl + '/distributions/unreachable');
    expect(await page.locator('#poll-error').textContent()).toMatch(/The last check of the upstream failed \(\d{4}-.* UTC\): .+/);
    expect(await page.locator('#last-poll .b-failed').count()).toBe(1);
    expect(await page.locator('main').textContent()).toContain('the upstream could not be checked');
    await page.close();
  });

  test('a failed migration is marked on its distribution and site pages, with its error', async () => {
    const page = await context.newPage();
    await page.goto(server.baseUrl + '/distributions/social');
    expect(await page.locator('#failed-tasks').textContent()).toContain(`#${failed.number}`);
    expect(await page.locator('.card', { hasText: failed.subject.name }).locator('.b-failed', { hasText: 'migration failed' }).count()).toBe(1);
    await page.goto(server.baseUrl + `/sites/${failed.subject.name}`);
    expect(await page.locator('#site-failure').textContent()).toContain(`#${failed.number} (migrate), failed`);
    expect(await page.locator('#site-failure').textContent()).toContain(FORMULA_ERROR);
    await page.close();
  });

  test('the task page shows the step the task is on and follows it without a reload', async () => {
    const page = await context.newPage();
    const errors = watch(page);
    await page.goto(server.baseUrl + `/tasks/${running.number}`);
    // The last completed step is backup; the task is on moveSite (its write-ahead intent), as its log says.
    expect(await page.locator('#task-step').textContent()).toMatch(/^moveSite \(\d+ of \d+ steps done\)/);
    await page.evaluate('window.__sameDocument = true');

    await server.repos.tasks.setStep(running.id, 'moveSite', { intent: 'postMigrate' });
    await server.repos.tasks.appendLog(running.id, [{ at: new Date(), level: 'info', message: 'Step postMigrate' }]);
    await page.locator('#task-step', { hasText: 'postMigrate' }).waitFor({ timeout: 20_000 });
    expect(await page.locator('#task-log').textContent()).toContain('Step postMigrate');

    await server.repos.tasks.transition(running.id, ['processing'], 'succeeded', { finishedAt: new Date() });
    await page.locator('#task-head .b-succeeded').waitFor({ timeout: 20_000 });
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    // Finished: it stops asking for updates.
    await page.locator('body:not([data-refresh])').waitFor({ state: 'attached', timeout: 20_000 });
    expect(errors).toEqual([]);
    await page.close();
  });

  test('the upgrade page draws its progress and updates it in place', async () => {
    const page = await context.newPage();
    await page.goto(server.baseUrl + pathOf(server.services.links.planUrl(planId)));
    const label = async () => (await page.locator('#upgrade-progress svg').getAttribute('aria-label'))!;
    expect(await label()).toMatch(/Progress: \d+ succeeded, 1 failed, \d+ running, \d+ waiting/);
    const before = /(\d+) succeeded/.exec(await label())![1];
    await page.evaluate('window.__sameDocument = true');
    const queued = (await server.repos.tasks.list({ planId, state: ['queued'] })).items[0]!;
    await server.repos.tasks.claim(queued.id, 'browser-test', LEASE, new Date());
    await server.repos.tasks.transition(queued.id, ['processing'], 'succeeded', { finishedAt: new Date() });
    await page.locator(`#upgrade-progress svg[aria-label*="${Number(before) + 1} succeeded"]`).waitFor({ state: 'attached', timeout: 20_000 });
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    await page.close();
  });

  test('sites, tasks and Compare rows download as CSV, quoted, with formulas defused', async () => {
    const get = async (path: string) => {
      const res = await fetch(server.baseUrl + path, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      return { status: res.status, type: res.headers.get('content-type'), disposition: res.headers.get('content-disposition'), text: await res.text() };
    };
    const sites = await get('/sites.csv');
    expect(sites).toMatchObject({ status: 200, type: 'text/csv; charset=utf-8', disposition: 'attachment; filename="sites.csv"' });
    const siteLines = sites.text.trimEnd().split('\r\n');
    expect(siteLines[0]).toBe('site,status,platform,modules,created_at,on_platform_since');
    expect(siteLines).toHaveLength(1 + 5);
    expect(siteLines.find((l) => l.startsWith('new.example.org,'))).toMatch(/^new\.example\.org,enabled,social-12\.4\.2,/);

    const tasks = await get('/tasks.csv');
    expect(tasks.disposition).toBe('attachment; filename="tasks.csv"');
    const failedLine = tasks.text.split('\r\n').find((l) => l.startsWith(`${failed.number},`))!;
    // The error cell starts with '=': a spreadsheet must show it, not run it.
    expect(failedLine.endsWith(`"'=HYPERLINK(""http://evil.example/"",""click"")"`)).toBe(true);

    const comparePage = pages.find((p) => p.name === 'compare')!;
    const page = await context.newPage();
    await page.goto(server.baseUrl + comparePage.path);
    const href = (await page.locator('#compare-csv').getAttribute('href'))!;
    await page.close();
    expect(href).toMatch(/format=csv/);
    expect(href).toMatch(/sig=/);
    const compare = await fetch(server.baseUrl + href); // the signed link alone, no login
    expect(compare.status).toBe(200);
    expect(compare.headers.get('content-disposition')).toBe('attachment; filename="compare-social-12.3.3-social-12.4.2.csv"');
    const rows = (await compare.text()).trimEnd().split('\r\n');
    expect(rows[0]).toBe('package,type,current,target,change,severity,security_fixed,still_insecure,reason');
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.some((r) => r.includes(',yes,'))).toBe(true);
  });
});
