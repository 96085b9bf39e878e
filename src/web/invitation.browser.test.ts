import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { unsealEmail, type SealedEmail } from '../mail/sendEmailJob.ts';
import { BROWSER_STEP_TIMEOUT_MS, launchBrowser } from '../testing/browser.ts';
import { createWorkspace, signUpAndSignIn, TEST_PASSWORD } from '../testing/testUsers.ts';
import { openWebTestApp, type WebTestApp } from './webTestApp.ts';

/** An invitation link opened signed out: the account is created with the invitation and joins the workspace. */
describe('web app: invitation link', () => {
  let w: WebTestApp;
  let browser: Browser;
  before(async () => {
    w = await openWebTestApp({ startMs: Date.now() });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await w?.close();
  });

  /** The invitation token exists only in the queued mail. */
  const tokenOfMailTo = async (email: string) => {
    const { rows } = await w.ctx.database.query<{ data: SealedEmail }>("select data from pgboss.job where name = 'mail.send'");
    const mail = rows.map((r) => unsealEmail(w.ctx, r.data)).find((m) => m.to === email);
    return /#token=([A-Za-z0-9_-]+)/.exec(mail?.text ?? '')?.[1] ?? assert.fail('no invitation mail');
  };

  it('signs the invited person up and opens the workspace', async () => {
    const owner = await signUpAndSignIn(w.app);
    const workspaceId = await createWorkspace(w.app, owner, 'Client B', 'America/New_York');
    const res = await w.app.inject({ method: 'POST', url: `/api/workspaces/${workspaceId}/invitations`, headers: owner.headers, payload: { email: 'dana@example.test', role: 'editor' } });
    assert.equal(res.statusCode, 201, res.body);
    const token = await tokenOfMailTo('dana@example.test');

    const page = await browser.newPage();
    page.setDefaultTimeout(BROWSER_STEP_TIMEOUT_MS);
    await page.goto(`${w.base}/invitation#token=not-a-real-token`);
    await page.locator('[role=alert]').filter({ hasText: /not_found|invitation/i }).first().waitFor();

    await page.goto(`${w.base}/invitation#token=${token}`);
    await page.getByText(/invited to Client B as editor \(dana@example\.test\)/).waitFor();
    await page.getByLabel('Your name').fill('Dana');
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Create account and join' }).click();
    await page.getByRole('heading', { name: 'Connections' }).waitFor();
    assert.equal(await page.locator('#workspace-switcher option:checked').innerText(), 'Client B');
    assert.match(await page.locator('.who').innerText(), /Dana/);
  });
});
