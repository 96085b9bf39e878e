/**
 * Facebook's deauthorize callback and TikTok's authorization.removed webhook mark the connection
 * needs_reconnect at once; a forged or stale signature answers 400 and changes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { buildApp, type App } from '../http/app.ts';
import { createSignedRequest } from '../providers/meta/signedRequest.ts';
import { sandboxClient } from '../providers/registry.ts';
import { signTikTokWebhook } from '../providers/tiktok/tiktokWebhook.ts';
import { getLifecycleConnection } from './connectionLifecycleRow.ts';
import { platformWebhookRoutes } from './platformWebhookRoutes.ts';
import { openLifecycleHarness, type LifecycleHarness } from './testing/lifecycleHarness.ts';

let h: LifecycleHarness;
let app: App;
before(async () => {
  h = await openLifecycleHarness();
  app = await buildApp(h.ctx, { routes: [platformWebhookRoutes] });
});
after(async () => {
  await app.close();
  await h.close();
});

test('Facebook deauthorize: a valid signed_request marks every Page of that user needs_reconnect; a forged one is refused', async () => {
  const id = await h.connect('facebook', '10001');
  const meta = (await h.ctx.db.execute(sql`select meta->>'userId' as user_id from connections where id = ${id}`)).rows[0]!;
  const userId = String(meta.user_id);
  const secret = sandboxClient('facebook').clientSecret;
  const issuedAt = Math.floor(h.ctx.clock.nowMs() / 1000);

  const forged = createSignedRequest({ algorithm: 'HMAC-SHA256', user_id: userId, issued_at: issuedAt }, 'not-the-secret');
  const bad = await app.inject({ method: 'POST', url: '/api/webhooks/facebook/deauthorize', payload: `signed_request=${forged}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(bad.statusCode, 400);
  assert.equal((bad.json() as { error: { code: string } }).error.code, 'bad_request');
  assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'active');
  const missing = await app.inject({ method: 'POST', url: '/api/webhooks/facebook/deauthorize', payload: 'other=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(missing.statusCode, 400);

  const signed = createSignedRequest({ algorithm: 'HMAC-SHA256', user_id: userId, issued_at: issuedAt }, secret);
  const ok = await app.inject({ method: 'POST', url: '/api/webhooks/facebook/deauthorize', payload: `signed_request=${signed}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(ok.statusCode, 200);
  const c = (await getLifecycleConnection(h.ctx.db, id))!;
  assert.equal(c.state, 'needs_reconnect');
  assert.equal(c.stateReason, 'deauthorized');
  const log = await h.ctx.db.execute(sql`select action from access_log where connection_id = ${id} order by action`);
  assert.deepEqual(log.rows.map((r) => r.action), ['granted', 'revoked']);
  assert.equal((await h.ctx.db.execute(sql`select count(*)::int as n from notifications where connection_id = ${id}`)).rows[0]!.n, 1);
  // The same callback again does not alert twice.
  await app.inject({ method: 'POST', url: '/api/webhooks/facebook/deauthorize', payload: `signed_request=${signed}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal((await h.ctx.db.execute(sql`select count(*)::int as n from notifications where connection_id = ${id}`)).rows[0]!.n, 1);
});

test('TikTok authorization.removed: a signed event marks the connection; a bad or stale signature is refused', async () => {
  const id = await h.connect('tiktok', '-000AbCdEfGhAlice');
  const openId = String((await h.ctx.db.execute(sql`select platform_account_id from connections where id = ${id}`)).rows[0]!.platform_account_id);
  const client = sandboxClient('tiktok');
  const nowS = Math.floor(h.ctx.clock.nowMs() / 1000);
  const body = JSON.stringify({ client_key: client.clientId, event: 'authorization.removed', create_time: nowS, user_openid: openId, content: JSON.stringify({ reason: 1 }) });
  const post = (signature: string) =>
    app.inject({ method: 'POST', url: '/api/webhooks/tiktok', payload: body, headers: { 'content-type': 'application/json', 'tiktok-signature': signature } });

  assert.equal((await post(signTikTokWebhook(body, 'wrong-secret', nowS))).statusCode, 400);
  assert.equal((await post(signTikTokWebhook(body, client.clientSecret, nowS - 3600))).statusCode, 400, 'replayed an hour later');
  assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'active');

  const ok = await post(signTikTokWebhook(body, client.clientSecret, nowS));
  assert.equal(ok.statusCode, 200);
  const c = (await getLifecycleConnection(h.ctx.db, id))!;
  assert.equal(c.state, 'needs_reconnect');
  assert.equal(c.stateReason, 'authorization_removed');
});
