/**
 * The API tokens page in headless Chromium, signed in as a user, at 1280 and 390 px: create a token with the form
 * (shown once), revoke it; no script or CSP error, no sideways scroll at 390 px, no serious or critical axe-core
 * violation.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { startProduct, type ProductServer } from '../support/product-server.js';
import { adminUsersEnv, PASSWORDS, SessionClient } from '../support/sign-in.js';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let product: ProductServer;
let browser: Browser;

beforeAll(async () => {
  product = await startProduct({ ADMIN_USERS: await adminUsersEnv() });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await product?.stop();
});

describe.each([
  { width: 1280, height: 900 },
  { width: 390, height: 844 },
])('/tokens at $width px', ({ width, height }) => {
  test('create and revoke with the form; fits; passes axe-core', async () => {
    const session = new SessionClient(product.url);
    expect((await session.login('olivia', PASSWORDS.olivia)).status).toBe(303);
    const [name, value] = session.cookie.split('=') as [string, string];
    const context = await browser.newContext({ viewport: { width, height } });
    await context.addCookies([{ name, value, url: product.url }]);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    expect((await page.goto(`${product.url}/tokens`))?.status()).toBe(200);
    await page.getByLabel('Name').fill(`deploy ${width}`);
    await page.getByLabel('Role').selectOption('viewer');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = await page.locator('#new-token').textContent();
    expect(secret).toMatch(/^dst_[A-Za-z0-9_-]{43}$/);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
    await page.evaluate(AXE_SOURCE);
    const violations = (await page.evaluate(
      'axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id + ": " + v.help))',
    )) as string[];
    expect(violations).toEqual([]);
    await page.getByRole('row', { name: new RegExp(`deploy ${width}`) }).getByRole('button', { name: 'Revoke' }).click();
    // The redirect carries the action's result note (`/tokens?note=…`), shown on the page.
    await page.waitForURL((url) => url.pathname === '/tokens');
    expect(await page.locator('#result-note').innerText()).toMatch(/revoked/i);
    expect(await page.locator('#tokens').count()).toBe(0);
    expect((await fetch(`${product.url}/api/me`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(401);
    expect(errors).toEqual([]);
    await context.close();
  });
});
