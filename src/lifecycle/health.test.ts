/** Connection health (per connection, per workspace, across my workspaces) and the access register export. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildApp, type App } from '../http/app.ts';
import { routeModules } from '../http/routes.ts';
import { createWorkspace, signUpAndSignIn, type TestAuth } from '../testing/testUsers.ts';
import { openLifecycleHarness, type LifecycleHarness } from './testing/lifecycleHarness.ts';

let h: LifecycleHarness;
let app: App;
let owner: TestAuth;
let wsA: string;
let wsB: string;
let xId: string;
let liId: string;

type Health = { connectionId: string; status: string; urgency: number; daysLeft: number | null; endReason: string | null; nextRefreshAt: string | null; platform: string };

before(async () => {
  h = await openLifecycleHarness({ seedUser: false });
  app = await buildApp(h.ctx, { routes: routeModules });
  owner = await signUpAndSignIn(app, { email: 'agency@example.test' });
  wsA = await createWorkspace(app, owner, 'Client A');
  wsB = await createWorkspace(app, owner, 'Client B');
  xId = await h.connect('x', '1500000000000000001', { userId: owner.userId, workspaceId: wsA });
  liId = await h.connect('linkedin', 'li-alice', { userId: owner.userId, workspaceId: wsB });
  await h.runDue();
});
after(async () => {
  await app.close();
  await h.close();
});

test('health shows state, end, days left and the next planned refresh; the overview puts the urgent first', async () => {
  const one = await app.inject({ method: 'GET', url: `/api/workspaces/${wsB}/connections/${liId}/health`, headers: owner.headers });
  assert.equal(one.statusCode, 200);
  const li = one.json() as Health;
  assert.equal(li.status, 'healthy');
  assert.equal(li.endReason, 'refresh_token_end');
  assert.equal(li.daysLeft, 365);
  assert.ok(li.nextRefreshAt, 'a refresh is planned');

  h.emulator.core.grants.revokeAccount('x', '1500000000000000001', 'user_revoked');
  // The first check comes on the connection's slot, at most 1.5 check intervals after the connect.
  await h.runUntil(h.ctx.clock.nowMs() + 37 * 3_600_000);
  const overview = await app.inject({ method: 'GET', url: '/api/me/connections-health', headers: owner.headers });
  const items = (overview.json() as { items: Health[] }).items;
  assert.deepEqual(items.map((i) => [i.connectionId, i.status]), [[xId, 'needs_reconnect'], [liId, 'healthy']]);

  const wrongWs = await app.inject({ method: 'GET', url: `/api/workspaces/${wsA}/connections/${liId}/health`, headers: owner.headers });
  assert.equal(wrongWs.statusCode, 404, "another workspace's connection is not found");
  const stranger = await signUpAndSignIn(app);
  assert.equal((await app.inject({ method: 'GET', url: `/api/workspaces/${wsA}/connections-health`, headers: stranger.headers })).statusCode, 404);
  assert.deepEqual((await app.inject({ method: 'GET', url: '/api/me/connections-health', headers: stranger.headers })).json(), { items: [] });
});

test('access register: JSON and CSV with account, app, scopes, granted by/at, refreshes and revocations', async () => {
  const json = await app.inject({ method: 'GET', url: `/api/workspaces/${wsA}/access-register`, headers: owner.headers });
  assert.equal(json.statusCode, 200);
  const body = json.json() as { entries: { account: string; app: string; grantedBy: string; scopes: string[]; refreshes: number }[]; events: { action: string }[] };
  assert.equal(body.entries.length, 1);
  assert.equal(body.entries[0]!.grantedBy, 'agency@example.test');
  assert.equal(body.entries[0]!.app, 'sandbox-x');
  assert.ok(body.entries[0]!.scopes.includes('offline.access'));
  assert.deepEqual(body.events.map((e) => e.action).filter((a) => a !== 'refreshed'), ['granted', 'refresh_failed']);
  const csv = await app.inject({ method: 'GET', url: `/api/workspaces/${wsA}/access-register?format=csv`, headers: owner.headers });
  assert.equal(csv.statusCode, 200);
  assert.match(String(csv.headers['content-type']), /^text\/csv/);
  const lines = csv.body.trim().split('\r\n');
  assert.equal(lines[0], 'account,platform,app,scopes,grantedBy,grantedAt,refreshes,lastRefreshedAt,revocations,lastRevokedAt,disconnectedAt,state,connectionId');
  assert.equal(lines.length, 2);
  assert.match(lines[1]!, /,x,sandbox-x,.*agency@example\.test,/);
  const bad = await app.inject({ method: 'GET', url: `/api/workspaces/${wsA}/access-register?format=xml`, headers: owner.headers });
  assert.equal(bad.statusCode, 400);
  assert.ok(!json.body.includes('token') || !/"accessToken"|"refreshToken"/.test(json.body), 'no secrets');
});
