/**
 * The rollout policy form in real headless Chromium at 1280 and 390 px: no script or CSP error, no sideways page
 * scroll at 390 px, no serious or critical axe-core violation (also with errors shown), the next openings shown in
 * the viewer's own time zone (the browser's, here America/New_York) beside the window's zone and UTC, and a save by
 * hand: a mistake comes back next to its field, the fix saves, and the distribution page shows the policy.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { ADMIN_TOKEN, startHttpServer, type HttpTestServer } from '../support/http.js';
import { seedOpenSocial } from '../support/seed.js';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SCREENSHOTS = join(process.cwd(), 'test-results', 'screenshots');
const WIDTHS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;

let server: HttpTestServer;
let browser: Browser;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

const newContext = (width: number, height: number): Promise<BrowserContext> =>
  browser.newContext({ viewport: { width, height }, timezoneId: 'America/New_York', extraHTTPHeaders: { authorization: `Bearer ${ADMIN_TOKEN}` } });

const watch = (page: Page): string[] => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of (400|404)/.test(m.text())) errors.push(m.text());
  });
  return errors;
};

/** Problems of the page as shown: sideways scroll at 390 px, serious or critical axe violations. */
const check = async (page: Page, label: string, width: number): Promise<string[]> => {
  const problems: string[] = [];
  const scrollWidth = (await page.evaluate('document.documentElement.scrollWidth')) as number;
  if (width === 390 && scrollWidth > width) problems.push(`${label}: page is ${scrollWidth} px wide at ${width} px`);
  await page.evaluate(AXE_SOURCE);
  const violations = (await page.evaluate(
    'axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target })) })))',
  )) as AxeViolation[];
  for (const v of violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) {
    problems.push(`${label}: axe ${v.impact} ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`);
  }
  return problems;
};

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  server = await startHttpServer();
  await seedOpenSocial(server.services, { sites: { '12.3.3': ['alumni.example.org', 'a.example.org', 'b.example.org', 'c.example.org'], '12.4.2': ['new.example.org'] } });
  await server.services.distributions.update('social', {
    policy: { rollout: { waves: { canarySites: ['alumni.example.org'], batchSize: 2 }, windows: ['Tue,Thu 01:00-04:00 Europe/Amsterdam'], bakeMinutes: 15 } },
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe.each(WIDTHS)('the policy form at $width px', ({ name: widthName, width, height }) => {
  test('loads without errors, fits, passes axe, shows openings in the viewer zone; a mistake is shown at its field, the fix saves', async () => {
    const context = await newContext(width, height);
    const page = await context.newPage();
    const errors = watch(page);
    const problems: string[] = [];
    expect((await page.goto(`${server.baseUrl}/distributions/social/policy`))?.status()).toBe(200);
    problems.push(...(await check(page, 'policy form', width)));
    await page.screenshot({ path: join(SCREENSHOTS, `policy-form-${widthName}.png`), fullPage: true });
    // The openings: window zone, UTC, and the viewer's own zone filled in by the page's script.
    const rows = page.locator('#window-openings tbody tr');
    expect(await rows.count()).toBe(3);
    const first = await rows.first().locator('td').allInnerTexts();
    expect(first[0]).toMatch(/^(Tue|Thu) 01:00 Europe\/Amsterdam$/);
    expect(first[1]).toMatch(/^(Mon|Tue|Wed|Thu) (23|00):00 UTC$/);
    expect(first[2]).toMatch(/America\/New_York$/);
    // (The desktop run saves 30 min before the phone run loads.)
    expect(await page.locator('#policy-preview').innerText()).toMatch(/canary: alumni\.example\.org; then 1 batch of 2 and 1 of 1; (15|30) min bake between waves/);

    // A mistake: shown next to its field, the input kept, still accessible.
    await page.getByLabel('Bake time between waves (minutes)').fill('-3');
    await page.getByLabel('Windows', { exact: true }).fill('Tue 01:00-04:00 Europe/Amsterdam\nWeekends 02:00-06:00 UTC');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.locator('#f-policy-rollout-bakeMinutes-error').waitFor();
    expect(await page.locator('#f-policy-rollout-bakeMinutes-error').innerText()).toBe('a whole number from 0 to 10080');
    expect(await page.locator('#f-policy-rollout-windows-error').innerText()).toMatch(/^line 2: "Weekends" is not a day/);
    expect(await page.getByLabel('Bake time between waves (minutes)').inputValue()).toBe('-3');
    problems.push(...(await check(page, 'policy form with errors', width)));
    await page.screenshot({ path: join(SCREENSHOTS, `policy-form-errors-${widthName}.png`), fullPage: true });

    // Fixed and saved.
    await page.getByLabel('Bake time between waves (minutes)').fill(width === 390 ? '20' : '30');
    await page.getByLabel('Windows', { exact: true }).fill('Tue 01:00-04:00 Europe/Amsterdam');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.locator('#policy-saved').waitFor();
    expect(new URL(page.url()).pathname).toBe('/distributions/social/policy');
    await page.goto(`${server.baseUrl}/distributions/social`);
    expect(await page.locator('#policy-summary').innerText()).toContain(`${width === 390 ? 20 : 30} min bake between waves`);
    problems.push(...(await check(page, 'distribution page', width)));
    for (const e of errors) problems.push(e);
    await context.close();
    expect(problems).toEqual([]);
  }, 120_000);
});
