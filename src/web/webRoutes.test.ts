import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApp, type App } from '../http/app.ts';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { APP_PATHS, webRoutes } from './webRoutes.ts';

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
