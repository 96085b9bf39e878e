import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../testing/browser.ts';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { buildApp, type App } from './app.ts';

describe('interactive API docs', () => {
  let ctx: TestContext;
  let app: App;
  let browser: Browser;
  let base: string;
  before(async () => {
    ctx = await openTestContext();
    app = await buildApp(ctx);
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await app.close();
    await ctx.close();
  });

  it('renders the OpenAPI document at /docs', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/docs`);
    await page.waitForSelector('.swagger-ui .info .title', { timeout: 15_000 });
    assert.match(await page.locator('.swagger-ui .info .title').innerText(), /Perennial API/);
  });
});
