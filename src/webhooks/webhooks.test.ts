import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { buildApp, type App } from '../http/app.ts';
import { routeModules } from '../http/routes.ts';
import { createHttpClient } from '../providers/httpClient.ts';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { createWorkspace, signUpAndSignIn, type TestAuth } from '../testing/testUsers.ts';
import { deliverWebhook } from './deliverWebhook.ts';
import { enqueueWebhookEvent } from './enqueueWebhookEvent.ts';
import { createWebhookEndpoint } from './webhookEndpointsRepo.ts';
import { verifyWebhookSignature } from './webhookSignature.ts';

let ctx: TestContext;
let app: App;
let admin: TestAuth;
let workspaceId: string;
let receiver: http.Server;
let receiverUrl: string;
const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
let answer = 200;

before(async () => {
  ctx = await openTestContext({ env: { ENCRYPTION_KEYS: `w1:${randomBytes(32).toString('base64')}` } });
  await ctx.jobs.start();
  app = await buildApp(ctx, { routes: routeModules });
  admin = await signUpAndSignIn(app);
  workspaceId = await createWorkspace(app, admin, 'Integrations');
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});
after(async () => {
  await app.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await ctx.close();
});

test('endpoint CRUD: private addresses and unknown events are refused; the secret is shown once; other workspaces see 404', async () => {
  const url = `/api/workspaces/${workspaceId}/webhooks`;
  for (const target of ['http://127.0.0.1:9/hook', 'https://10.1.2.3/hook', 'http://[::1]/x', 'https://169.254.169.254/latest']) {
    const res = await app.inject({ method: 'POST', url, headers: admin.headers, payload: { url: target, events: ['post.failed'] } });
    assert.equal(res.statusCode, 400, target);
    assert.equal((res.json() as { error: { code: string } }).error.code, 'unsafe_url', target);
  }
  const badEvent = await app.inject({ method: 'POST', url, headers: admin.headers, payload: { url: 'https://93.184.216.34/hook', events: ['connection.exploded'] } });
  assert.equal(badEvent.statusCode, 400);
  const ftp = await app.inject({ method: 'POST', url, headers: admin.headers, payload: { url: 'ftp://93.184.216.34/hook', events: ['post.failed'] } });
  assert.equal(ftp.statusCode, 400);
  assert.equal((await ctx.db.execute(sql`select count(*)::int as n from webhook_endpoints`)).rows[0]!.n, 0, 'nothing written');

  const created = await app.inject({ method: 'POST', url, headers: admin.headers, payload: { url: 'https://93.184.216.34/hook', events: ['connection.needs_reconnect', 'post.failed'] } });
  assert.equal(created.statusCode, 201);
  const { endpoint, secret } = created.json() as { endpoint: { id: string }; secret: string };
  assert.match(secret, /^whsec_/);
  const stored = await ctx.db.execute(sql`select secret_enc from webhook_endpoints where id = ${endpoint.id}`);
  assert.ok(!String(stored.rows[0]!.secret_enc).includes(secret), 'the secret is stored encrypted');
  const list = await app.inject({ method: 'GET', url, headers: admin.headers });
  assert.ok(!list.body.includes(secret), 'never returned again');

  const patched = await app.inject({ method: 'PATCH', url: `${url}/${endpoint.id}`, headers: admin.headers, payload: { enabled: false } });
  assert.equal((patched.json() as { enabled: boolean }).enabled, false);

  const other = await signUpAndSignIn(app);
  const otherWs = await createWorkspace(app, other, 'Elsewhere');
  assert.equal((await app.inject({ method: 'GET', url, headers: other.headers })).statusCode, 404);
  assert.equal((await app.inject({ method: 'DELETE', url: `/api/workspaces/${otherWs}/webhooks/${endpoint.id}`, headers: other.headers })).statusCode, 404);
  assert.equal((await app.inject({ method: 'DELETE', url: `${url}/${endpoint.id}`, headers: admin.headers })).statusCode, 204);
  assert.equal((await app.inject({ method: 'DELETE', url: `${url}/${endpoint.id}`, headers: admin.headers })).statusCode, 404);
});

test('delivery: signed POST, logged; failures retried then failed; private targets refused at delivery too', async () => {
  const now = ctx.clock.now();
  const { endpoint, secret } = await createWebhookEndpoint(ctx, ctx.db, { workspaceId, url: receiverUrl, events: ['connection.reconnected'], description: '', createdBy: null, now });
  await createWebhookEndpoint(ctx, ctx.db, { workspaceId, url: receiverUrl, events: ['post.failed'], description: 'not subscribed', createdBy: null, now });
  const count = await ctx.db.transaction((tx) => enqueueWebhookEvent(ctx, tx, { workspaceId, type: 'connection.reconnected', data: { connectionId: 'c-1' }, now }));
  assert.equal(count, 1, 'only subscribed endpoints get it');
  const delivery = (await ctx.db.execute(sql`select id from webhook_deliveries where endpoint_id = ${endpoint.id}`)).rows[0]!;
  const trusted = createHttpClient({ trustedOrigins: [new URL(receiverUrl).origin] });

  assert.equal(await deliverWebhook(ctx, String(delivery.id), { lastTry: false, http: trusted }), 'delivered');
  const got = received.at(-1)!;
  assert.equal(got.headers['perennial-event'], 'connection.reconnected');
  assert.equal(verifyWebhookSignature(secret, String(got.headers['perennial-signature']), got.body, Math.floor(now.getTime() / 1000)), true);
  assert.deepEqual((JSON.parse(got.body) as { data: unknown }).data, { connectionId: 'c-1' });
  assert.equal(await deliverWebhook(ctx, String(delivery.id), { lastTry: false, http: trusted }), 'skipped', 'delivered once only');

  answer = 500;
  await ctx.db.transaction((tx) => enqueueWebhookEvent(ctx, tx, { workspaceId, type: 'connection.reconnected', data: {}, now }));
  const failing = String((await ctx.db.execute(sql`select id from webhook_deliveries where status = 'pending'`)).rows[0]!.id);
  assert.equal(await deliverWebhook(ctx, failing, { lastTry: false, http: trusted }), 'retry');
  assert.equal(await deliverWebhook(ctx, failing, { lastTry: true, http: trusted }), 'failed');
  const log = (await ctx.db.execute(sql`select status, attempts, last_status_code, last_error from webhook_deliveries where id = ${failing}`)).rows[0]!;
  assert.deepEqual(log, { status: 'failed', attempts: 2, last_status_code: 500, last_error: 'http_500' });

  answer = 200;
  await ctx.db.transaction((tx) => enqueueWebhookEvent(ctx, tx, { workspaceId, type: 'connection.reconnected', data: {}, now }));
  const guarded = String((await ctx.db.execute(sql`select id from webhook_deliveries where status = 'pending'`)).rows[0]!.id);
  const before = received.length;
  assert.equal(await deliverWebhook(ctx, guarded, { lastTry: false }), 'failed', 'the default client refuses a private address');
  assert.equal(received.length, before);
  assert.equal((await ctx.db.execute(sql`select last_error from webhook_deliveries where id = ${guarded}`)).rows[0]!.last_error, 'unsafe_url');
  assert.ok(!ctx.logText().includes(secret), 'the secret is never logged');
});
