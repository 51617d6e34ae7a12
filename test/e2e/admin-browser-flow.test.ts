/**
 * The whole admin flow in a real browser (Chromium through playwright-core), as a new user would do it, at desktop
 * and phone widths: sign in, register a distribution against a local git upstream (with a field error and the
 * "Test upstream" check on the way), poll, add sites, set the target, upgrade, confirm, watch the migrations
 * and check where the sites ended up. Screenshots of each step go to test-results/screenshots/.
 * Chromium missing is a failure, not a skip: .ci/run installs it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Browser, Locator, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { addVersion, createOpenSocialRepo, makeTempDir, type GitFixtureRepo } from '../support/git-fixtures.js';
import { ADMIN_TOKEN, api } from '../support/http.js';
import { startProduct, type ProductServer } from '../support/product-server.js';
import { adminUsersEnv, PASSWORDS } from '../support/sign-in.js';

const SHOTS = join('test-results', 'screenshots');
/** A release and the next one whose upgrade Compare finds clean (no errors): no "Move the target anyway" step. */
const [OLD, NEW] = ['12.3.3', '12.4.2'];
const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };

let product: ProductServer;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  product = await startProduct({ ADMIN_TOKEN, ADMIN_USERS: await adminUsersEnv(), ALLOW_LOCAL_UPSTREAMS: 'true' });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await product?.stop();
});

/** Reloads `page` until `done` holds (the worker runs in the background), within a generous bound. */
const reloadUntil = async (page: Page, done: () => Promise<boolean>, what: string, seconds = 90): Promise<void> => {
  for (let i = 0; i < seconds; i++) {
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 1000));
    await page.reload();
  }
  throw new Error(`Timed out after ${seconds} s waiting for ${what}`);
};

describe.each([
  ['desktop', 1280, 900],
  ['phone', 390, 844],
])('admin flow in Chromium at %s width', (label, width, height) => {
  test(`${width} px: sign in, register, poll, add sites, set target, upgrade, confirm, check`, async () => {
    const slug = `social-${label}`;
    // The upstream starts with one release; the second arrives after the sites are added.
    const repo: GitFixtureRepo = await createOpenSocialRepo(await makeTempDir('distro-browser-'), [OLD]);
    const sites = [`one.${label}.example.org`, `two.${label}.example.org`];
    const context = await browser.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    /** Clicks something that loads a page (a link or a form button) and waits for that page. */
    const go = async (target: Locator) => {
      await Promise.all([page.waitForNavigation(), target.click()]);
    };
    const shot = (step: string) => page.screenshot({ path: join(SHOTS, `${width}-${step}.png`), fullPage: true });

    // Sign in: the dashboard sends a visitor to the login page.
    await page.goto(`${product.url}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('User name').fill('alice');
    await page.getByLabel('Password').fill(PASSWORDS.alice);
    await shot('01-login');
    await go(page.getByRole('button', { name: 'Sign in' }));
    expect(await page.locator('header.top').innerText()).toContain('Signed in as alice (admin)');

    // Register a distribution: a bad slug first (error inline, input kept), then "Test upstream", then create.
    await go(page.getByRole('link', { name: 'New distribution' }));
    await page.getByLabel('Slug').fill('Not A Slug');
    await page.getByLabel('Title').fill(`Open Social (${label})`);
    await page.getByLabel('Git URL (git)').fill(repo.url);
    await page.getByLabel('Tag pattern').fill('12.*');
    await page.getByLabel('Poll every (minutes, 0 = off)').fill('0');
    await page.getByLabel('New builds become the upgrade target automatically').uncheck();
    await go(page.getByRole('button', { name: 'Create distribution' }));
    expect(await page.locator('#f-slug-error').innerText()).toContain('lowercase letters, digits and dashes');
    expect(await page.getByLabel('Slug').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Title').inputValue()).toBe(`Open Social (${label})`);
    expect(await page.getByLabel('Git URL (git)').inputValue()).toBe(repo.url);
    await shot('02-field-error');
    await page.getByLabel('Slug').fill(slug);
    await go(page.getByRole('button', { name: 'Test upstream' }));
    expect(await page.locator('#upstream-test').innerText()).toBe(`Upstream reachable: a poll now would record 1 new build: ${OLD}.`);
    await shot('03-upstream-tested');
    // Enter in a field saves (it does not run "Test upstream", the first visible button).
    await Promise.all([page.waitForNavigation(), page.getByLabel('Title').press('Enter')]);
    expect(new URL(page.url()).pathname).toBe(`/distributions/${slug}`);

    // Poll now: the release becomes a platform, built by the worker.
    const platformRows = page.locator('#platforms tbody tr');
    const pollFor = async (count: number) => {
      await go(page.getByRole('button', { name: 'Poll now' }));
      // Every action says what it did after its redirect (a status line).
      expect(await page.getByRole('status').filter({ hasText: 'Poll of' }).innerText()).toBe(`Poll of ${slug} started; the result shows under Last poll when it is done.`);
      await reloadUntil(page, async () => (await platformRows.count()) === count && (await page.locator('#platforms .b-ready').count()) === count, `${count} ready platforms`);
    };
    await pollFor(1);
    await shot('04-platform-built');

    // Add two sites on the older platform (each install is a task the worker runs).
    for (const site of sites) {
      await page.goto(`${product.url}/platforms/${slug}-${OLD}`);
      await go(page.getByRole('link', { name: 'Add a site here' }));
      await page.getByLabel('Site (host name)').fill(site);
      await page.getByLabel('Enabled modules').fill('node user');
      await go(page.getByRole('button', { name: 'Add site' }));
      expect(new URL(page.url()).pathname).toMatch(/^\/tasks\//);
      await reloadUntil(page, async () => (await page.locator('h1 .b-succeeded').count()) === 1, `install of ${site}`);
    }
    await shot('05-site-installed');

    // A new release upstream: poll again, then make it the target.
    await addVersion(repo, NEW);
    await page.goto(`${product.url}/distributions/${slug}`);
    await pollFor(2);
    await go(page.locator('#platforms tr', { hasText: `${slug}-${NEW}` }).getByRole('button', { name: 'Make target' }));
    await shot('06-target-set');
    expect(await page.locator('#platforms tr', { hasText: `${slug}-${NEW}` }).locator('.b-target').count()).toBe(1);
    await shot('06-target-set');

    // A first upgrade request is cancelled (through its confirmation page): nothing is scheduled.
    await go(page.getByRole('button', { name: 'Upgrade 2 outdated sites' }));
    await go(page.getByRole('link', { name: 'Cancel' }));
    await go(page.getByRole('button', { name: 'Cancel the upgrade' }));
    expect(await page.locator('h1').innerText()).toContain('cancelled');
    expect(await page.locator('#result-note').innerText()).toBe('Upgrade cancelled; nothing of it will be scheduled.');
    expect(await page.getByRole('button', { name: /Confirm/ }).count()).toBe(0);

    // Upgrade: the plan page shows the Compare summary and Confirm.
    await page.goto(`${product.url}/distributions/${slug}`);
    await go(page.getByRole('button', { name: 'Upgrade 2 outdated sites' }));
    expect(new URL(page.url()).pathname).toMatch(/^\/upgrades\//);
    const compareRow = page.locator('#plan-compare tbody tr');
    expect(await compareRow.count()).toBe(1);
    expect(await compareRow.first().innerText()).toContain(`${slug}-${OLD}`);
    await shot('07-plan');
    await go(page.getByRole('button', { name: 'Confirm: move 2 sites' }));
    expect(await page.locator('#result-note').innerText()).toMatch(new RegExp(`^Confirmed: Rollout \\d+ moves 2 sites to ${slug}-${NEW.replace(/\./g, '\\.')}\\.$`));

    // Watch progress until both migrations succeeded.
    await reloadUntil(page, async () => (await page.locator('#upgrade-sites .b-succeeded').count()) === 2, 'both migrations');
    expect(await page.locator('h1').innerText()).toContain('confirmed');
    expect(await page.locator('.sub').first().innerText()).toContain('confirmed by alice');
    await shot('08-upgraded');

    // The result, checked through the API: both sites on the new platform, the plan confirmed by alice from the pages.
    const target = (await api(product.url, 'GET', `/api/platforms/${slug}-${NEW}`, undefined, bearer)).body;
    for (const site of sites) {
      const s = (await api(product.url, 'GET', `/api/sites/${site}`, undefined, bearer)).body;
      expect(s.platformId).toBe(target.id);
      expect(s.status).toBe('enabled');
    }
    const plans = (await api(product.url, 'GET', `/api/upgrades?distribution=${slug}`, undefined, bearer)).body;
    expect(plans.items[0].confirmedBy).toEqual({ kind: 'user', id: 'alice', name: 'alice', via: 'page', requestId: expect.any(String) });
    expect(plans.items.map((p: { state: string }) => p.state)).toEqual(['confirmed', 'cancelled']);
    await page.goto(`${product.url}/sites/${sites[0]}`);
    expect(await page.locator('.sub').first().innerText()).toContain(`${slug}-${NEW}`);
    expect(errors).toEqual([]);
    await context.close();
  }, 300_000);
});
