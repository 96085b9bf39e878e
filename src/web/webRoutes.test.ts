import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildApp, type App } from '../http/app.ts';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { WEBHOOK_EVENT_TYPES } from '../webhooks/enqueueWebhookEvent.ts';
import { APP_PATHS, WEB_DIR, webRoutes } from './webRoutes.ts';

describe('web app routes', () => {
  let ctx: TestContext;
  let app: App;
  before(async () => {
    ctx = await openTestContext();
    app = await buildApp(ctx, { routes: [webRoutes] });
  });
  after(async () => {
    await app.close();
    await ctx.close();
  });

  it('answers the app shell at every app path, with a strict content security policy', async () => {
    const paths = APP_PATHS.map((p) => p.replace(/:\w+/g, '5f0c5a52-1d7c-4d43-9d3e-1a2b3c4d5e6f'));
    for (const url of [...paths, '/connections?workspace=x&connected=y']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      assert.match(String(res.headers['content-type']), /^text\/html/);
      assert.match(res.body, /<script type="module" src="\/web\/main.js">/);
      assert.match(String(res.headers['content-security-policy']), /script-src 'self'/);
      assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/);
    }
  });

  it('answers the shell at every path the app routes, so a reload or a shared link lands on its screen', async () => {
    const main = await fs.readFile(path.join(WEB_DIR, 'main.js'), 'utf8');
    const routes = main.slice(main.indexOf('const ROUTES'), main.indexOf('];', main.indexOf('const ROUTES')));
    const patterns = [...routes.matchAll(/\['(\/[^']*)'/g)].map((m) => m[1]);
    assert.ok(patterns.length >= 15, `found ${patterns.length} routes`);
    for (const pattern of patterns) assert.ok(APP_PATHS.includes(pattern!), `${pattern} is routed by web/main.js but not served by webRoutes.ts`);
  });

  it('offers exactly the webhook events the API knows', async () => {
    const screen = await import(new URL('../../web/screens/webhooks.js', import.meta.url).href);
    assert.deepEqual((screen.WEBHOOK_EVENTS as [string, string][]).map(([type]) => type), [...WEBHOOK_EVENT_TYPES]);
  });

  it('serves the modules and styles with their types', async () => {
    const js = await app.inject({ method: 'GET', url: '/web/main.js' });
    assert.equal(js.statusCode, 200);
    assert.match(String(js.headers['content-type']), /^text\/javascript/);
    assert.equal(js.headers['x-content-type-options'], 'nosniff');
    const screen = await app.inject({ method: 'GET', url: '/web/screens/connections.js' });
    assert.equal(screen.statusCode, 200);
    assert.match(screen.body, /export async function renderConnections/);
    const css = await app.inject({ method: 'GET', url: '/web/app.css' });
    assert.match(String(css.headers['content-type']), /^text\/css/);
  });

  it('answers 404 with the API error body for unknown or unsafe asset names', async () => {
    for (const url of ['/web/nope.js', '/web/../package.json', '/web/%2e%2e/package.json', '/web/..%2fpackage.json', '/web/index.html', '/web/a/b/c.js', '/web/main.ts']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
      assert.equal(res.json().error.code, 'not_found', url);
    }
  });

  it('leaves unknown API paths to the API (JSON 404, not the app shell)', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/nothing-here' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, 'not_found');
    assert.equal((await app.inject({ method: 'GET', url: '/not-an-app-path' })).statusCode, 404);
  });
});
