import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TEST_ENCRYPTION_KEYS } from '../connections/connectionTestHarness.ts';
import { buildApp, type App } from '../http/app.ts';
import { routeModules } from '../http/routes.ts';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { createWorkspace, signUpAndSignIn, type TestAuth } from '../testing/testUsers.ts';
import { isAdminPath } from './core/registerEmulator.ts';
import { inProcessEmulator } from './emulatorRoutes.ts';

/**
 * The emulator mounted inside Perennial is reachable by anyone who reaches Perennial: its admin
 * API (reset, revocations, faults, callback URLs) answers the instance owner only, and callbacks
 * go to Perennial itself only.
 */
describe('in-process emulator admin API', () => {
  let ctx: TestContext;
  let app: App;
  let owner: TestAuth;
  let member: TestAuth;
  let ownerToken: string;
  before(async () => {
    ctx = await openTestContext({ env: { ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS, PUBLIC_URL: 'http://perennial.test:3000' } });
    app = await buildApp(ctx, { routes: routeModules });
    owner = await signUpAndSignIn(app);
    member = await signUpAndSignIn(app);
    const token = await app.inject({ method: 'POST', url: '/api/tokens', headers: owner.headers, payload: { name: 'emulator admin' } });
    ownerToken = token.json().token;
  });
  after(async () => {
    await app?.close();
    await ctx?.close();
  });

  const call = (method: 'GET' | 'POST' | 'PUT', url: string, headers: Record<string, string> = {}, payload?: string | Record<string, unknown>) =>
    app.inject({ method, url: `/_emulator${url}`, headers, ...(payload === undefined ? {} : { payload }) });

  it('refuses anonymous callers and members who are not the instance owner, on every admin route', async () => {
    const routes: [('GET' | 'POST' | 'PUT'), string, Record<string, unknown>?][] = [
      ['GET', '/_admin/counters'],
      ['POST', '/_admin/reset', {}],
      ['POST', '/_admin/faults', { platform: 'x', kind: 'server_error', times: 1000 }],
      ['POST', '/_admin/users/x/1500000000000000001/revoke', {}],
      ['PUT', '/facebook/_meta/deauthorize-callback', { url: 'http://169.254.169.254/latest' }],
      ['POST', '/facebook/_meta/users/10001/deauthorize', {}],
      ['POST', '/tiktok/_admin/webhook', { url: 'http://169.254.169.254/latest' }],
      ['POST', '/youtube/_admin/settings', { quotaPerDay: 0 }],
    ];
    for (const [method, url, body] of routes) {
      const anonymous = await call(method, url, {}, body);
      assert.equal(anonymous.statusCode, 401, `${method} ${url}`);
      assert.equal(anonymous.json().error.code, 'unauthenticated');
      const notOwner = await call(method, url, member.headers, body);
      assert.equal(notOwner.statusCode, 403, `${method} ${url}`);
      assert.equal(notOwner.json().error.code, 'forbidden');
    }
    assert.deepEqual(inProcessEmulator(ctx)!.faults.list(), [], 'nothing was changed');
  });

  it('answers the instance owner, by session (with its CSRF token) or API token', async () => {
    assert.equal((await call('GET', '/_admin/counters', { cookie: owner.cookie })).statusCode, 200);
    const noCsrf = await call('POST', '/_admin/reset', { cookie: owner.cookie }, {});
    assert.equal(noCsrf.statusCode, 403);
    assert.equal(noCsrf.json().error.code, 'csrf_failed');
    assert.equal((await call('POST', '/_admin/reset', owner.headers, {})).statusCode, 200);
    const bearer = { authorization: `Bearer ${ownerToken}` };
    const fault = await call('POST', '/_admin/faults', bearer, { platform: 'x', kind: 'rate_limit' });
    assert.equal(fault.statusCode, 200, fault.body);
    assert.equal((await call('POST', '/_admin/reset', bearer, {})).statusCode, 200);
  });

  it('sends callbacks only to Perennial itself', async () => {
    const bearer = { authorization: `Bearer ${ownerToken}` };
    for (const url of ['http://169.254.169.254/latest/meta-data', 'http://perennial.test:3001/x', 'https://example.com/hook', 'file:///etc/passwd']) {
      assert.equal((await call('POST', '/tiktok/_admin/webhook', bearer, { url })).statusCode, 400, url);
      assert.equal((await call('PUT', '/facebook/_meta/deauthorize-callback', bearer, { url })).statusCode, 400, url);
    }
    const own = 'http://perennial.test:3000/api/webhooks/tiktok';
    assert.equal((await call('POST', '/tiktok/_admin/webhook', bearer, { url: own })).json().url, own);
    assert.equal((await call('PUT', '/facebook/_meta/deauthorize-callback', bearer, { url: 'http://perennial.test:3000/api/webhooks/facebook/deauthorize' })).statusCode, 200);
  });

  it('leaves the platform endpoints and the consent page open, as a platform would', async () => {
    const workspaceId = await createWorkspace(app, owner, 'Sandbox');
    const started = await app.inject({ method: 'POST', url: `/api/workspaces/${workspaceId}/connections/authorize`, headers: owner.headers, payload: { platform: 'x' } });
    const consent = new URL(started.json().authorizationUrl);
    const page = await app.inject({ method: 'GET', url: `${consent.pathname}${consent.search}` });
    assert.equal(page.statusCode, 200);
    const form = /action="([^"]+)"/.exec(page.body)?.[1];
    assert.ok(form?.startsWith('/_emulator/_consent/'));
    const allowed = await app.inject({ method: 'POST', url: form, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'decision=allow&account=1500000000000000001' });
    assert.equal(allowed.statusCode, 303);
    const code = new URL(String(allowed.headers.location)).searchParams.get('code');
    assert.ok(code);
    // The token endpoint answers as X does (its own error body for a client without credentials), not as Perennial.
    const token = await call('POST', '/x/api/2/oauth2/token', { 'content-type': 'application/x-www-form-urlencoded' }, `grant_type=authorization_code&code=${code}`);
    assert.equal(token.json().error, 'unauthorized_client');
  });

  it('never takes a consent page for the admin API, whatever its random id (one may start with "_")', () => {
    assert.equal(isAdminPath(['_consent', '_Ab3']), false);
    assert.equal(isAdminPath(['_samples', 'daily.jpg']), false);
    assert.equal(isAdminPath(['_admin', 'counters']), true);
    assert.equal(isAdminPath(['x', '_admin', 'settings']), true);
    assert.equal(isAdminPath(['x', '2', 'tweets']), false);
  });

  it('serves the sample media to anyone: the platforms fetch it without a Perennial session', async () => {
    const image = await call('GET', '/_samples/daily.jpg');
    assert.equal(image.statusCode, 200);
    assert.equal(image.headers['content-type'], 'image/jpeg');
  });
});
