/**
 * The Compare page in real headless Chromium, on the real Open Social 12.3.3 → 12.4.2 builds:
 * rows, security first, sorting, filtering (kept in the URL), the file diff. Fails when Chromium is absent.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import type { CompareResult } from '../../src/domain/compare/types.js';
import { launchChromium } from '../support/browser.js';
import { api, pathOf, startHttpServer, type HttpTestServer } from '../support/http.js';
import { seedOpenSocial } from '../support/seed.js';

describe('Compare page in Chromium', () => {
  let server: HttpTestServer;
  let browser: Browser;
  let page: Page;
  let expected: CompareResult;

  const visibleNames = () => page.locator('#packages tbody tr:visible').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')!));
  const column = (key: 'from' | 'to' | 'name') =>
    page.locator('#packages tbody tr').evaluateAll((rows, k) => rows.map((r) => r.getAttribute(`data-${k}`)!), key);

  beforeAll(async () => {
    server = await startHttpServer();
    const seeded = await seedOpenSocial(server.services, { versions: ['12.3.3', '12.4.2'] });
    expected = (await api(server.baseUrl, 'GET', '/api/compare?from=social-12.3.3&to=social-12.4.2')).body;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Signed link, as posted to Slack: no login.
    const url = server.services.links.compareUrl(seeded.platforms['12.3.3']!.id, seeded.platforms['12.4.2']!.id);
    const res = await page.goto(server.baseUrl + pathOf(url));
    expect(res?.status()).toBe(200);
    await page.locator('#compare-controls').waitFor({ state: 'visible' });
    expect(errors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test('all rows are present; unchanged ones start hidden; security rows come first', async () => {
    expect(await page.locator('#packages tbody tr').count()).toBe(expected.packages.length);
    const flagged = expected.packages.filter((p) => p.change !== 'same' || p.security || p.severity !== 'ok');
    expect(await visibleNames()).toEqual(flagged.map((p) => p.name.toLowerCase()));
    expect(await page.locator('#row-count').textContent()).toBe(`${flagged.length} of ${expected.packages.length} packages shown`);

    const security = expected.packages.filter((p) => p.security);
    expect(security.length).toBeGreaterThan(0);
    const first = await page.locator('#packages tbody tr').evaluateAll((rows, n) => rows.slice(0, n).map((r) => r.classList.contains('sec')), security.length);
    expect(first.every(Boolean)).toBe(true);
    expect(await page.locator('#packages tbody tr').first().locator('.b-still-insecure, .b-security-fixed').count()).toBe(1);
  });

  test('clicking a column header sorts by it, and again reverses', async () => {
    const header = page.locator('th[data-sort="name"] button');
    await header.click();
    expect(await page.locator('th[data-sort="name"]').getAttribute('aria-sort')).toBe('ascending');
    const ascending = await column('name');
    expect(ascending).toEqual([...ascending].sort((a, b) => a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' })));
    expect(ascending).not.toEqual(expected.packages.map((p) => p.name.toLowerCase()));

    await header.click();
    expect(await page.locator('th[data-sort="name"]').getAttribute('aria-sort')).toBe('descending');
    expect(await column('name')).toEqual([...ascending].reverse());

    await page.locator('th[data-sort="to"] button').click();
    expect(await page.locator('th[data-sort="name"]').getAttribute('aria-sort')).toBe('none');
    const targets = await column('to');
    const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
    for (let i = 1; i < targets.length; i++) expect(collator.compare(targets[i - 1]!, targets[i]!)).toBeLessThanOrEqual(0);

    // Sorting by Change puts attention-needing rows (security) back on top.
    await page.locator('th[data-sort="change"] button').click();
    expect(await page.locator('#packages tbody tr').first().getAttribute('class')).toMatch(/sec/);
  });

  test('the text box and the change-type checkboxes filter rows', async () => {
    await page.locator('#filter-text').fill('symfony/');
    const symfony = await visibleNames();
    expect(symfony.length).toBeGreaterThan(0);
    expect(symfony.every((n) => n.includes('symfony/'))).toBe(true);
    expect(symfony.length).toBe(expected.packages.filter((p) => p.name.includes('symfony/') && p.change !== 'same').length);

    await page.locator('#hide-unchanged').uncheck();
    expect((await visibleNames()).length).toBe(expected.packages.filter((p) => p.name.includes('symfony/')).length);

    await page.locator('#filter-text').fill('');
    await page.locator('input.filter-change[value="upgrade"]').uncheck();
    const noUpgrades = await page.locator('#packages tbody tr:visible').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-change')));
    expect(noUpgrades).not.toContain('upgrade');
    expect(noUpgrades.length).toBe(expected.packages.filter((p) => p.change !== 'upgrade').length);

    await page.locator('#filter-text').fill('no-such-package-anywhere');
    expect(await page.locator('#no-rows').isVisible()).toBe(true);
    expect(await visibleNames()).toEqual([]);
    await page.locator('#filter-text').fill('');
    await page.locator('input.filter-change[value="upgrade"]').check();
    await page.locator('#hide-unchanged').check();
  });

  test('the file diff renders with added and removed lines', async () => {
    const diff = page.locator('#file-diffs details', { hasText: 'composer.json' });
    expect(await diff.count()).toBe(1);
    expect(await diff.locator('span.del', { hasText: '"goalgorilla/open_social": "~12.3.0"' }).isVisible()).toBe(true);
    expect(await diff.locator('span.add', { hasText: '"goalgorilla/open_social": "~12.4.0"' }).isVisible()).toBe(true);
    // Colouring comes from the stylesheet, so check what the browser computed.
    const colours = await diff.locator('span.add, span.del').evaluateAll((spans) =>
      // Runs in the page; the project's TS lib has no DOM, hence the cast.
      spans.map((s) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(s).backgroundColor),
    );
    expect(new Set(colours).size).toBe(2);
    const lock = page.locator('#file-diffs details', { hasText: 'composer.lock' });
    expect(await lock.locator('.note').textContent()).toBe('Changes are listed in the package table.');
  });

  test('filters and sort are kept in the URL and restored from it', async () => {
    await page.locator('#filter-text').fill('drupal/');
    await page.locator('input.filter-change[value="added"]').uncheck();
    await page.locator('#hide-unchanged').uncheck();
    await page.locator('th[data-sort="name"] button').click();
    await page.locator('th[data-sort="name"] button').click();
    const url = new URL(page.url());
    expect(url.searchParams.get('q')).toBe('drupal/');
    expect(url.searchParams.get('show')).toBe('upgrade,downgrade,unknown,missing');
    expect(url.searchParams.get('unchanged')).toBe('show');
    expect(url.searchParams.get('sort')).toBe('name');
    expect(url.searchParams.get('dir')).toBe('desc');
    // The signed link's own parameters are kept.
    expect(url.searchParams.get('sig')).toBeTruthy();
    const before = await visibleNames();

    await page.reload();
    await page.locator('#compare-controls').waitFor({ state: 'visible' });
    expect(await page.locator('#filter-text').inputValue()).toBe('drupal/');
    expect(await page.locator('input.filter-change[value="added"]').isChecked()).toBe(false);
    expect(await page.locator('#hide-unchanged').isChecked()).toBe(false);
    expect(await page.locator('th[data-sort="name"]').getAttribute('aria-sort')).toBe('descending');
    expect(await visibleNames()).toEqual(before);

    // Back to the defaults: the URL loses the parameters again.
    await page.locator('#filter-text').fill('');
    await page.locator('input.filter-change[value="added"]').check();
    await page.locator('#hide-unchanged').check();
    const clean = new URL(page.url());
    expect([...clean.searchParams.keys()].filter((k) => !['exp', 'sig', 'sort', 'dir'].includes(k))).toEqual([]);
  });

  test('screenshot for review', async () => {
    await page.screenshot({ path: '/tmp/compare-page.png', fullPage: false });
    await page.locator('#file-diffs').scrollIntoViewIfNeeded();
    await page.screenshot({ path: '/tmp/compare-page-diffs.png' });
  });
});
