/**
 * Headless Chromium for page tests, from the Debian package (`apt-get install -y chromium`).
 * Returns null when it is not installed, so suites can skip with a notice instead of failing.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export const chromiumAvailable = (): boolean => existsSync(CHROMIUM_PATH);

export const launchChromium = async (): Promise<Browser | null> => {
  if (!chromiumAvailable()) return null;
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
};
