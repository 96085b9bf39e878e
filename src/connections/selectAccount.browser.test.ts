import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { BROWSER_STEP_TIMEOUT_MS, launchBrowser } from '../testing/browser.ts';
import { createWorkspace, signUpAndSignIn, type TestAuth } from '../testing/testUsers.ts';
import { openWebTestApp, type WebTestApp } from '../web/webTestApp.ts';

/**
 * A grant that reaches several accounts, in a real browser: the consent page sends the browser
 * back with `?select=<id>`, the web app's picker lists the choices (GET .../selections/:id) and
 * connects the one picked. A Facebook Page, then a LinkedIn organization.
 */
describe('picking a Facebook Page and a LinkedIn organization in the browser', () => {
  let w: WebTestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let auth: TestAuth;
  let workspaceId: string;
  before(async () => {
    w = await openWebTestApp({ startMs: Date.now() });
    auth = await signUpAndSignIn(w.app);
    workspaceId = await createWorkspace(w.app, auth, 'Picker test');
    browser = await launchBrowser();
    context = await browser.newContext();
    const [name, value] = auth.cookie.split('=');
    await context.addCookies([{ name: name!, value: value!, url: w.base }]);
    page = await context.newPage();
    page.setDefaultTimeout(BROWSER_STEP_TIMEOUT_MS);
  });
  after(async () => {
    await browser?.close();
    await w?.close();
  });

  const connection = async (platformAccountId: string) => {
    const res = await w.app.inject({ method: 'GET', url: `/api/workspaces/${workspaceId}/connections`, headers: auth.headers });
    return (res.json().connections as { platformAccountId: string; kind: string; state: string; displayName: string }[]).find((c) => c.platformAccountId === platformAccountId);
  };

  /** From the connections screen through the consent page (as `account`) into the picker; returns the selection id. */
  async function throughConsent(button: RegExp, account: RegExp): Promise<string> {
    await page.goto(`${w.base}/connections`);
    await page.getByRole('button', { name: button }).click();
    await page.waitForURL(/\/_emulator\//);
    await page.getByLabel(account).check();
    const listed = page.waitForResponse(/\/connections\/selections\//);
    await page.locator('#allow').click();
    const response = await listed;
    assert.equal(response.status(), 200);
    await page.getByRole('heading', { name: 'Choose the account to connect' }).waitFor();
    return new URL(response.url()).pathname.split('/').at(-1)!;
  }

  it('lists the Pages of the grant and connects the one picked', async () => {
    await throughConsent(/^Connect Facebook Pages/, /Alice \(sandbox\)/);
    const choices = page.locator('#select-account label.choice');
    assert.deepEqual((await choices.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim()), ['Alice Bakery (sandbox) page', 'Alice Books (sandbox) page']);
    await page.getByLabel(/Alice Books/).check();
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByText(/is connected\./).waitFor();
    const picked = await connection('20002');
    assert.equal(picked?.kind, 'page');
    assert.equal(picked?.state, 'active');
    assert.equal(await connection('20001'), undefined, 'the other Page is not connected');
  });

  it('connects a LinkedIn organization the member administers', async () => {
    await throughConsent(/^Connect LinkedIn/, /Alice/);
    await page.getByLabel(/Acme Gardens/).check();
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByText(/is connected\./).waitFor();
    const org = await connection('urn:li:organization:2414183');
    assert.equal(org?.kind, 'organization');
    assert.equal(org?.displayName, 'Acme Gardens (sandbox)');
  });

  it('a choice already used says so, instead of an empty picker', async () => {
    const selectionId = await throughConsent(/^Connect Facebook Pages/, /Alice \(sandbox\)/);
    await page.getByLabel(/Alice Bakery/).check();
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByText(/is connected\./).waitFor();
    await page.goto(`${w.base}/connections?workspace=${workspaceId}&select=${selectionId}`);
    await page.getByRole('alert').filter({ hasText: /already used/ }).waitFor();
  });
});
