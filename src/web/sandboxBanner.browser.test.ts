import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { BROWSER_STEP_TIMEOUT_MS, launchBrowser } from '../testing/browser.ts';
import { signUpAndSignIn } from '../testing/testUsers.ts';
import { apiFromPage, openSignedInPage, openWebTestApp, type WebTestApp } from './webTestApp.ts';

/** The sandbox banner of a time-travel instance: its clock, and "advance" for the instance owner. */
describe('web app: sandbox banner on a time-travel instance', () => {
  let w: WebTestApp;
  let browser: Browser;
  const start = Date.UTC(2026, 0, 5, 9, 0, 0);
  before(async () => {
    w = await openWebTestApp({ startMs: start, timeTravel: true });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await w?.close();
  });

  it('shows the sandbox clock and moves it forward for the owner', async () => {
    const owner = await signUpAndSignIn(w.app);
    const context = await browser.newContext({ viewport: { width: 1280, height: 700 } });
    const [name, value] = owner.cookie.split('=') as [string, string];
    await context.addCookies([{ name, value, url: w.base }]);
    const page = await context.newPage();
    page.setDefaultTimeout(BROWSER_STEP_TIMEOUT_MS);
    await page.goto(`${w.base}/workspaces`);
    const banner = page.locator('#sandbox-banner');
    await banner.getByText(/Sandbox time: Mon, 05 Jan 2026 09:00:00 GMT/).waitFor();
    await banner.getByRole('button', { name: '+1d' }).click();
    await banner.getByText(/Sandbox time: Tue, 06 Jan 2026 09:00:00 GMT/).waitFor();
    assert.equal(w.ctx.clock.nowMs(), start + 86_400_000);
    // The workspace form offers the browser's zone (headless Chromium: UTC, which Intl leaves out of its list).
    assert.equal(await page.getByLabel('Time zone').inputValue(), 'UTC');
    await page.screenshot({ path: '/tmp/perennial-web-sandbox.png' });
    await context.close();
  });

  it('shows other users the sandbox clock without the advance buttons; the API refuses them', async () => {
    const member = await signUpAndSignIn(w.app);
    const { page, context, pageErrors } = await openSignedInPage(browser, w, member);
    await page.goto(`${w.base}/workspaces`);
    const banner = page.locator('#sandbox-banner');
    await banner.getByText(/Sandbox time: Tue, 06 Jan 2026 09:00:00 GMT/).waitFor();
    assert.equal(await banner.getByRole('button').count(), 0);
    assert.deepEqual(await apiFromPage(page, 'POST', '/api/sandbox/advance', { duration: '1d' }), { status: 403, code: 'forbidden' });
    assert.equal(w.ctx.clock.nowMs(), start + 86_400_000, 'the clock did not move');
    assert.deepEqual(pageErrors, []);
    await context.close();
  });
});
