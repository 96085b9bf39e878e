/**
 * Facebook Pages losing access two ways: the user changes their Facebook password (found by the
 * daily check: debug_token answers subcode 460) and the user removes the app (Facebook's
 * deauthorize callback, a signed_request). Each time, within one check interval: needs_reconnect,
 * scheduled posts paused, one in-app notification, one email (a real SMTP server), listed by the
 * pop-up endpoint; the reconnect resumes the posts.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { buildApp, type App } from '../http/app.ts';
import { routeModules } from '../http/routes.ts';
import { createSignedRequest } from '../providers/meta/signedRequest.ts';
import { sandboxClient } from '../providers/registry.ts';
import { createWorkspace, signUpAndSignIn, type TestAuth } from '../testing/testUsers.ts';
import { getLifecycleConnection } from './connectionLifecycleRow.ts';
import { getRefreshRow } from './refreshesRepo.ts';
import { openLifecycleHarness, type LifecycleHarness } from './testing/lifecycleHarness.ts';
import { startSmtpCapture } from './testing/smtpCapture.ts';

const H = 3_600_000;
const D = 24 * H;
const ALICE = '10001'; // manages the Page 20001
const BOB = '10002'; // manages the Page 20003

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
  owner = await signUpAndSignIn(app, { email: 'owner@bakery.test' });
  workspaceId = await createWorkspace(app, owner, 'Bakery');
});
after(async () => {
  await app.close();
  await h.close();
  await smtp.close();
});

const status = async (targetId: string) => String((await h.ctx.db.execute(sql`select status from post_targets where id = ${targetId}`)).rows[0]!.status);
const mailsTo = (page: RegExp) => smtp.mails.map((m) => m.raw.replace(/=\r\n/g, '').replace(/\r\n /g, ' ')).filter((t) => page.test(t));

async function waitForMails(page: RegExp, count: number): Promise<string[]> {
  for (let waited = 0; mailsTo(page).length < count && waited < 15_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  return mailsTo(page);
}

/** Asserts the user-facing side of a lost connection: one notification, one email, the pop-up. */
async function assertAlertedOnce(connectionId: string, page: RegExp, reason: string): Promise<void> {
  const c = (await getLifecycleConnection(h.ctx.db, connectionId))!;
  assert.equal(c.state, 'needs_reconnect');
  assert.equal(c.stateReason, reason);
  const list = (await app.inject({ method: 'GET', url: '/api/notifications', headers: owner.headers })).json() as { items: { kind: string; connectionId: string }[] };
  assert.deepEqual(list.items.filter((n) => n.connectionId === connectionId).map((n) => n.kind), ['needs_reconnect']);
  const mails = await waitForMails(page, 1);
  assert.equal(mails.length, 1, 'one email');
  assert.match(mails[0]!, /To: owner@bakery\.test/);
  assert.match(mails[0]!, new RegExp(`Reconnect: http://perennial\\.test/connections/${connectionId}/reconnect`));
  const popup = (await app.inject({ method: 'GET', url: '/api/alerts/popup', headers: owner.headers })).json() as { items: { connectionId: string; reason: string }[] };
  assert.deepEqual(popup.items.filter((p) => p.connectionId === connectionId).map((p) => p.reason), [reason]);
}

test('password change: found by the next check, posts paused, one notification and email, pop-up; reconnect resumes', async () => {
  const id = await h.connect('facebook', ALICE, { userId: owner.userId, workspaceId });
  await h.runDue();
  const firstCheck = (await getRefreshRow(h.ctx.db, id))!.dueAt!.getTime();
  await h.runUntil(firstCheck);
  const changedAt = h.ctx.clock.nowMs();
  const post = await h.scheduleTarget(id, changedAt + 5 * D);
  h.emulator.core.grants.revokeAccount('facebook', ALICE, 'password_changed');

  await h.runUntil(changedAt + D + 60_000); // one check interval
  await assertAlertedOnce(id, /Alice Bakery/, 'password_changed');
  assert.equal(await status(post), 'paused');
  await h.runUntil(h.ctx.clock.nowMs() + 2 * D);
  assert.equal(mailsTo(/Alice Bakery/).length, 1, 'not repeated by later runs');

  await h.connect('facebook', ALICE, { userId: owner.userId, workspaceId, connectionId: id });
  assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'active');
  assert.equal(await status(post), 'scheduled', 'the paused post goes out at its time');
  const popup = (await app.inject({ method: 'GET', url: '/api/alerts/popup', headers: owner.headers })).json() as { items: { connectionId: string }[] };
  assert.deepEqual(popup.items.filter((p) => p.connectionId === id), [], 'the pop-up clears on reconnect');
});

test('deauthorize callback: needs_reconnect at once, posts paused, one notification and email, pop-up; reconnect resumes', async () => {
  const id = await h.connect('facebook', BOB, { userId: owner.userId, workspaceId });
  await h.runDue();
  const post = await h.scheduleTarget(id, h.ctx.clock.nowMs() + 2 * D);
  const signed = createSignedRequest({ algorithm: 'HMAC-SHA256', user_id: BOB, issued_at: Math.floor(h.ctx.clock.nowMs() / 1000) }, sandboxClient('facebook').clientSecret);
  const res = await app.inject({ method: 'POST', url: '/api/webhooks/facebook/deauthorize', payload: `signed_request=${signed}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(res.statusCode, 200);
  await assertAlertedOnce(id, /Bob Garage/, 'deauthorized');
  assert.equal(await status(post), 'paused');
  // Facebook retries callbacks; the next checks see the dead token too: still one alert.
  await app.inject({ method: 'POST', url: '/api/webhooks/facebook/deauthorize', payload: `signed_request=${signed}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  await h.runUntil(h.ctx.clock.nowMs() + D + H);
  assert.equal(mailsTo(/Bob Garage/).length, 1);

  await h.connect('facebook', BOB, { userId: owner.userId, workspaceId, connectionId: id });
  assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'active');
  assert.equal(await status(post), 'scheduled');
});
