/**
 * Ends that no refresh can pass, warned before they come, in-app and by email (a real SMTP
 * server): Facebook's 90-day data access (a Page token never expires, but the user's data access
 * does, from their last login), and Google's testing mode (every YouTube grant ends 7 days after
 * consent: warned at connect, 3 and 1 days before). On the day the connection needs reconnecting;
 * a reconnect is a new grant with a new end.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { getLifecycleConnection } from './connectionLifecycleRow.ts';
import { toDate } from './refreshesRepo.ts';
import { openLifecycleHarness, type LifecycleHarness } from './testing/lifecycleHarness.ts';
import { startSmtpCapture, type CapturedMail } from './testing/smtpCapture.ts';

const H = 3_600_000;
const D = 24 * H;

let h: LifecycleHarness;
let smtp: Awaited<ReturnType<typeof startSmtpCapture>>;
before(async () => {
  smtp = await startSmtpCapture();
  h = await openLifecycleHarness({ env: { SMTP_URL: smtp.url, GOOGLE_OAUTH_TESTING_MODE: 'true' } });
  await h.ctx.jobs.work(h.ctx);
});
after(async () => {
  await h.close();
  await smtp.close();
});

const notes = async (id: string) =>
  (await h.ctx.db.execute(sql`select kind, data->>'thresholdDays' as days, data->>'reason' as reason, created_at from notifications where connection_id = ${id} order by created_at`)).rows.map(
    (r) => ({ what: r.days ? `${String(r.kind)}:${String(r.days)}` : String(r.kind), reason: r.reason, at: toDate(r.created_at)!.getTime() }),
  );

/** Mails about one account, with quoted-printable wrapping and folded headers undone. */
const mailsAbout = (mails: CapturedMail[], account: RegExp) => mails.map((m) => m.raw.replace(/=\r\n/g, '').replace(/\r\n /g, ' ')).filter((t) => account.test(t));

/** Waits (real time: the mail job runs on its own) until `count` mails about the account arrived. */
async function mailsFor(account: RegExp, count: number): Promise<string[]> {
  for (let waited = 0; mailsAbout(smtp.mails, account).length < count && waited < 15_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  return mailsAbout(smtp.mails, account);
}

test('Facebook: the data-access end 90 days after the login is warned 7, 3 and 1 days ahead by email and in-app', async () => {
  const start = h.ctx.clock.nowMs();
  const id = await h.connect('facebook', '10001');
  await h.runDue();
  const c = (await getLifecycleConnection(h.ctx.db, id))!;
  assert.equal(c.accessExpiresAt, null, 'the Page token itself never expires');
  const end = c.dataAccessExpiresAt!.getTime();
  assert.ok(Math.abs(end - (start + 90 * D)) < 60_000, 'data access ends 90 days after the login');

  await h.runUntil(end - 60_000);
  assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'active', 'checked daily, active until the end');
  const before = await notes(id);
  assert.deepEqual(before.map((n) => n.what), ['expiring:7', 'expiring:3', 'expiring:1']);
  assert.deepEqual(before.map((n) => n.at), [end - 7 * D, end - 3 * D, end - D], 'each at its threshold');
  assert.ok(before.every((n) => n.reason === 'data_access_expired'));
  const mails = await mailsFor(/Alice Bakery/, 3);
  assert.equal(mails.length, 3, 'one email per warning, before the end');
  assert.match(mails[0]!, /Subject: \[Perennial\] Alice Bakery \(sandbox\) on Facebook Pages needs reconnecting within 7 day/);
  assert.match(mails[0]!, /data-access period ended/);
  assert.match(mails[0]!, new RegExp(`Reconnect: http://perennial\\.test/connections/${id}/reconnect`));

  await h.runUntil(end + 60_000);
  const ended = (await getLifecycleConnection(h.ctx.db, id))!;
  assert.equal(ended.state, 'needs_reconnect');
  assert.equal(ended.stateReason, 'data_access_expired');
  assert.deepEqual((await notes(id)).map((n) => n.what), ['expiring:7', 'expiring:3', 'expiring:1', 'needs_reconnect']);
  assert.equal((await mailsFor(/Alice Bakery/, 4)).length, 4);

  // Logging in again (the reconnect) gives 90 new days of data access.
  await h.connect('facebook', '10001', { connectionId: id });
  const back = (await getLifecycleConnection(h.ctx.db, id))!;
  assert.equal(back.state, 'active');
  assert.ok(back.dataAccessExpiresAt!.getTime() >= h.ctx.clock.nowMs() + 90 * D - 60_000);
});

test('Google testing mode: a YouTube grant ends on day 7, warned at connect, 3 and 1 days before, by email and in-app', async () => {
  const testing = await fetch(`${h.emulator.url}/youtube/_admin/clients/sandbox-youtube/testing-mode`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ enabled: true }),
  });
  assert.equal(testing.status, 200);
  const start = h.ctx.clock.nowMs();
  const id = await h.connect('youtube', '109876543210000000001');
  const c = (await getLifecycleConnection(h.ctx.db, id))!;
  assert.equal(c.hardEndAt!.getTime(), start + 7 * D, 'the grant ends 7 days after consent');
  await h.runDue();
  assert.deepEqual((await notes(id)).map((n) => n.what), ['expiring:7'], 'told at connect');

  await h.runUntil(start + 7 * D - 60_000);
  assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'active', 'refreshed until the end');
  const warned = await notes(id);
  assert.deepEqual(warned.map((n) => n.what), ['expiring:7', 'expiring:3', 'expiring:1']);
  assert.deepEqual(warned.map((n) => n.at), [start, start + 4 * D, start + 6 * D]);
  assert.ok(warned.every((n) => n.reason === 'google_testing_mode'));
  const mails = await mailsFor(/on YouTube/, 3);
  assert.equal(mails.length, 3);
  assert.match(mails[0]!, /testing mode 7 days after consent/);

  await h.runUntil(start + 7 * D + 60_000);
  const ended = (await getLifecycleConnection(h.ctx.db, id))!;
  assert.equal(ended.state, 'needs_reconnect');
  assert.equal(ended.stateReason, 'google_testing_mode');
  assert.equal((await mailsFor(/on YouTube/, 4)).length, 4);

  // A reconnect is a new 7-day grant, warned again at once.
  const reconnectAt = h.ctx.clock.nowMs();
  await h.connect('youtube', '109876543210000000001', { connectionId: id });
  await h.runDue();
  const back = (await getLifecycleConnection(h.ctx.db, id))!;
  assert.equal(back.state, 'active');
  assert.equal(back.hardEndAt!.getTime(), reconnectAt + 7 * D);
  assert.deepEqual((await notes(id)).map((n) => n.what).slice(-2), ['reconnected', 'expiring:7']);
});
