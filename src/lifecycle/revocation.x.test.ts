/**
 * A user revokes the app on X: within one check interval the connection is needs_reconnect, its
 * scheduled posts are paused, one in-app notification and one email (through a real SMTP server)
 * are out, the pop-up lists it; reconnecting resumes the posts and says so.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { buildApp, type App } from '../http/app.ts';
import { routeModules } from '../http/routes.ts';
import { createWorkspace, signUpAndSignIn, type TestAuth } from '../testing/testUsers.ts';
import { getLifecycleConnection } from './connectionLifecycleRow.ts';
import { getRefreshRow } from './refreshesRepo.ts';
import { openLifecycleHarness, type LifecycleHarness } from './testing/lifecycleHarness.ts';
import { startSmtpCapture } from './testing/smtpCapture.ts';

const H = 3_600_000;
const D = 24 * H;
const ALICE = '1500000000000000001';

let h: LifecycleHarness;
let smtp: Awaited<ReturnType<typeof startSmtpCapture>>;
let app: App;
let owner: TestAuth;
let workspaceId: string;

before(async () => {
  smtp = await startSmtpCapture();
  h = await openLifecycleHarness({ env: { SMTP_URL: smtp.url }, seedUser: false });
  await h.ctx.jobs.work(h.ctx);
  app = await buildApp(h.ctx, { routes: routeModules });
  owner = await signUpAndSignIn(app, { email: 'owner@agency.test' });
  workspaceId = await createWorkspace(app, owner, 'Client A');
});
after(async () => {
  await app.close();
  await h.close();
  await smtp.close();
});

async function targetStatus(id: string) {
  return (await h.ctx.db.execute(sql`select status, paused_reason, failure_code from post_targets where id = ${id}`)).rows[0];
}

test('revocation: needs_reconnect within a check interval, posts paused, one notification, one email, pop-up; reconnect resumes', async () => {
  const id = await h.connect('x', ALICE, { userId: owner.userId, workspaceId });
  await h.runDue(); // the first plan of the new connection: its first check, on its own slot
  const firstCheck = (await getRefreshRow(h.ctx.db, id))!.dueAt!.getTime();
  await h.runUntil(firstCheck);
  assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'active');
  const start = h.ctx.clock.nowMs();
  const soon = await h.scheduleTarget(id, start + 5 * D); // still ahead after the reconnect
  const passes = await h.scheduleTarget(id, start + 26 * H); // its time passes while the connection is broken
  h.emulator.core.grants.revokeAccount('x', ALICE, 'user_revoked');

  await h.runUntil(start + D + 60_000); // one check interval (24 h) after the last check
  const c = (await getLifecycleConnection(h.ctx.db, id))!;
  assert.equal(c.state, 'needs_reconnect');
  assert.equal((await targetStatus(soon))!.status, 'paused');
  assert.equal((await targetStatus(passes))!.status, 'paused');

  const list = await app.inject({ method: 'GET', url: '/api/notifications', headers: owner.headers });
  assert.equal(list.statusCode, 200);
  const body = list.json() as { items: { kind: string; title: string }[]; unread: number };
  assert.deepEqual(body.items.map((n) => n.kind), ['needs_reconnect']);
  assert.equal(body.unread, 1);

  const mails = await smtp.waitFor(1);
  assert.equal(mails.length, 1);
  assert.deepEqual(mails[0]!.to, ['owner@agency.test']);
  assert.match(mails[0]!.raw, /Reconnect: http:\/\/perennial\.test\/connections\//);
  assert.match(mails[0]!.raw, /Alice/);

  const popup = await app.inject({ method: 'GET', url: '/api/alerts/popup', headers: owner.headers });
  const items = (popup.json() as { items: { connectionId: string; notificationId: string; reconnectUrl: string }[] }).items;
  assert.equal(items.length, 1);
  assert.equal(items[0]!.connectionId, id);

  // More checks do not repeat the alert.
  await h.runUntil(start + 27 * H);
  assert.equal((await h.ctx.db.execute(sql`select count(*)::int as n from notifications`)).rows[0]!.n, 1);

  const ack = await app.inject({ method: 'POST', url: `/api/alerts/popup/${items[0]!.notificationId}/acknowledge`, headers: owner.headers });
  assert.equal(ack.statusCode, 204);
  const empty = await app.inject({ method: 'GET', url: '/api/alerts/popup', headers: owner.headers });
  assert.deepEqual((empty.json() as { items: unknown[] }).items, []);

  await h.connect('x', ALICE, { userId: owner.userId, workspaceId, connectionId: id });
  assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'active');
  assert.equal((await targetStatus(soon))!.status, 'scheduled');
  assert.equal((await targetStatus(passes))!.status, 'failed', 'its time passed: offered for retry, not posted late');
  const after = await app.inject({ method: 'GET', url: '/api/notifications?unreadOnly=true', headers: owner.headers });
  const reconnected = (after.json() as { items: { kind: string; data: { passedTargetIds: string[] } }[] }).items[0]!;
  assert.equal(reconnected.kind, 'reconnected');
  assert.deepEqual(reconnected.data.passedTargetIds, [passes]);
  const events = await h.ctx.db.execute(sql`select from_state, to_state from connection_events where connection_id = ${id} order by at`);
  assert.deepEqual(events.rows.map((e) => `${e.from_state}->${e.to_state}`), ['active->needs_reconnect', 'needs_reconnect->active']);
});

test('notification routes: another user cannot read or acknowledge mine; bad ids are rejected', async () => {
  const other = await signUpAndSignIn(app, { email: 'other@agency.test' });
  const mine = (await app.inject({ method: 'GET', url: '/api/notifications', headers: owner.headers })).json() as { items: { id: string }[] };
  const id = mine.items[0]!.id;
  assert.equal((await app.inject({ method: 'POST', url: `/api/notifications/${id}/read`, headers: other.headers })).statusCode, 404);
  assert.equal((await app.inject({ method: 'POST', url: `/api/alerts/popup/${id}/acknowledge`, headers: other.headers })).statusCode, 404);
  const bad = await app.inject({ method: 'POST', url: '/api/notifications/not-a-uuid/read', headers: owner.headers });
  assert.equal(bad.statusCode, 400);
  assert.equal((bad.json() as { error: { code: string } }).error.code, 'validation_failed');
  assert.equal((await app.inject({ method: 'GET', url: '/api/notifications' })).statusCode, 401);
  assert.equal((await app.inject({ method: 'POST', url: `/api/notifications/${id}/read`, headers: owner.headers })).statusCode, 204);
  assert.equal(((await app.inject({ method: 'GET', url: '/api/notifications/unread-count', headers: owner.headers })).json() as { unread: number }).unread, 0);
  const all = await app.inject({ method: 'POST', url: '/api/notifications/read-all', headers: owner.headers });
  assert.deepEqual(all.json(), { marked: 0 });
});

test('preferences: daily digest or off, validated strictly', async () => {
  const put = await app.inject({ method: 'PUT', url: '/api/me/notification-preferences', headers: owner.headers, payload: { emailMode: 'daily_digest', digestHourUtc: 7 } });
  assert.equal(put.statusCode, 200);
  assert.deepEqual(put.json(), { emailMode: 'daily_digest', digestHourUtc: 7 });
  const bad = await app.inject({ method: 'PUT', url: '/api/me/notification-preferences', headers: owner.headers, payload: { emailMode: 'hourly' } });
  assert.equal(bad.statusCode, 400);
  const extra = await app.inject({ method: 'PUT', url: '/api/me/notification-preferences', headers: owner.headers, payload: { emailMode: 'off', spam: true } });
  assert.equal(extra.statusCode, 400);
  const get = await app.inject({ method: 'GET', url: '/api/me/notification-preferences', headers: owner.headers });
  assert.deepEqual(get.json(), { emailMode: 'daily_digest', digestHourUtc: 7 });
});
