import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { loadConfig } from '../../config.ts';
import { TEST_ENCRYPTION_KEYS } from '../../connections/connectionTestHarness.ts';
import { buildApp, type App } from '../../http/app.ts';
import { routeModules } from '../../http/routes.ts';
import { launchBrowser } from '../../testing/browser.ts';
import { openTestContext, type TestContext } from '../../testing/testContext.ts';
import { createWorkspace, signUpAndSignIn, type TestAuth } from '../../testing/testUsers.ts';

/**
 * The sandbox as a newcomer meets it: the app with the emulator mounted in-process under
 * /_emulator, and a person clicking through X's consent page in a real browser.
 */
describe('connecting X in a browser through the sandbox consent page', () => {
  let ctx: TestContext;
  let app: App;
  let browser: Browser;
  let base: string;
  let auth: TestAuth;
  let workspaceId: string;
  before(async () => {
    ctx = await openTestContext({ env: { ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS } });
    app = await buildApp(ctx, { routes: routeModules });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    // The routes read ctx.config per request: point PUBLIC_URL at where the app really listens.
    Object.assign(ctx, { config: loadConfig({ NODE_ENV: 'test', DATA_DIR: '.tmp/test-data', ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS, PUBLIC_URL: base }) });
    auth = await signUpAndSignIn(app);
    workspaceId = await createWorkspace(app, auth, 'Browser test');
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await ctx?.close();
  });

  it('shows the fake accounts, and Allow as Bob creates the connection', async () => {
    const started = await app.inject({ method: 'POST', url: `/api/workspaces/${workspaceId}/connections/authorize`, headers: auth.headers, payload: { platform: 'x' } });
    assert.equal(started.statusCode, 200, started.body);
    const authorizationUrl = started.json().authorizationUrl as string;
    assert.ok(authorizationUrl.startsWith(`${base}/_emulator/x/www/i/oauth2/authorize?`));

    const context = await browser.newContext();
    const [name, value] = auth.cookie.split('=');
    await context.addCookies([{ name: name!, value: value!, url: base }]);
    const page = await context.newPage();
    await page.goto(authorizationUrl);
    assert.match(await page.title(), /X \(sandbox\)/);
    assert.deepEqual(await page.locator('label.account .handle').allInnerTexts(), ['@sandbox_alice', '@sandbox_bob']);
    await page.getByLabel(/Bob \(sandbox\)/).check();
    await Promise.all([page.waitForURL(/\/connections\?/), page.click('#allow')]);

    const landed = new URL(page.url());
    assert.equal(landed.pathname, '/connections');
    const connectionId = landed.searchParams.get('connected');
    assert.ok(connectionId);
    const res = await app.inject({ method: 'GET', url: `/api/workspaces/${workspaceId}/connections/${connectionId}`, headers: auth.headers });
    assert.equal(res.json().handle, 'sandbox_bob');
    assert.equal(res.json().state, 'active');
    await context.close();
  });

  it('Deny comes back as an error on the connections screen', async () => {
    const started = await app.inject({ method: 'POST', url: `/api/workspaces/${workspaceId}/connections/authorize`, headers: auth.headers, payload: { platform: 'x' } });
    const context = await browser.newContext();
    const [name, value] = auth.cookie.split('=');
    await context.addCookies([{ name: name!, value: value!, url: base }]);
    const page = await context.newPage();
    await page.goto(started.json().authorizationUrl);
    await Promise.all([page.waitForURL(/\/connections\?/), page.click('#deny')]);
    assert.equal(new URL(page.url()).searchParams.get('error'), 'oauth_denied');
    await context.close();
  });
});
