import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, driven by Playwright, as CI runs it. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
