import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, driven by Playwright, as CI runs it. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * How long one browser step (a click, a navigation, an expected text) may take: generous, since
 * the suite shares two cores with the app, its database and a second test file. A broken step
 * still fails; a slow machine does not.
 */
export const BROWSER_STEP_TIMEOUT_MS = 45_000;
