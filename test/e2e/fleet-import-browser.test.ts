/**
 * The import page in headless Chromium, signed in: a CSV file chosen in the file field is read into the box (the
 * format follows its name), previewed per row, then imported; no script or CSP error on the way.
 */
import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { api, ADMIN_TOKEN } from '../support/http.js';
import { startProduct, type ProductServer } from '../support/product-server.js';
import { openSocialBuild } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';

let product: ProductServer;
let browser: Browser;

beforeAll(async () => {
  product = await startProduct({ ADMIN_TOKEN });
  browser = await launchChromium();
  const call = (method: string, path: string, body?: unknown) => api(product.url, method, path, body);
  await call('POST', '/api/distributions', { slug: 'social', title: 'Open Social' });
  const build = openSocialBuild('12.3.3');
  expect((await call('POST', '/api/platforms', { name: 'social-12.3.3', distribution: 'social', ref: '12.3.3', commit: build.commit, files: build.files })).status).toBe(201);
  // The hand-registered platform's directory holds one existing site.
  await mkdir(join(product.app.config.dataDir, 'platforms', 'social-12.3.3', 'sites', 'uploaded.example.org'), { recursive: true });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await product?.stop();
});

test('upload a CSV, preview it, import it', async () => {
  const context = await browser.newContext({ extraHTTPHeaders: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  expect((await page.goto(`${product.url}/import`))?.status()).toBe(200);
  await page.setInputFiles('#f-file', { name: 'sites.csv', mimeType: 'text/csv', buffer: Buffer.from('site,platform,server\nuploaded.example.org,social-12.3.3,master\nmissing.example.org,social-12.3.3,master\n') });
  // Polled through the DevTools protocol: the page's CSP (rightly) refuses evaluated strings.
  await waitFor(async () => (await page.inputValue('#f-content')).includes('uploaded.example.org'), 'the file read into the box');
  expect(await page.inputValue('#f-format')).toBe('csv');
  await page.click('button[value="no"]');
  await expect(page.locator('#import-result h2').textContent()).resolves.toBe('Preview (nothing written yet)');
  const rows = await page.locator('#import-rows tbody tr').allTextContents();
  expect(rows[0]).toContain('create');
  expect(rows[1]).toMatch(/refused.*not found/);
  await page.click('button[value="yes"]');
  await expect(page.locator('#import-result h2').textContent()).resolves.toBe('Imported 1 site');
  expect((await api(product.url, 'GET', '/api/sites/uploaded.example.org')).status).toBe(200);
  expect(errors).toEqual([]);
  await context.close();
}, 60_000);
