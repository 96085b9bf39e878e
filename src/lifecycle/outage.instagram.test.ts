/**
 * Platform outages (every Instagram endpoint answering 503) through the whole engine, against the
 * emulated Instagram (60-day tokens refreshed in place; an expired one cannot be refreshed):
 * a 3-day outage that the token outlives bothers nobody; one that outlasts the token is told to
 * the user a day ahead (in-app and by email), and the connection then needs reconnecting.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { getLifecycleConnection } from './connectionLifecycleRow.ts';
import { toDate } from './refreshesRepo.ts';
import { openLifecycleHarness, type LifecycleHarness } from './testing/lifecycleHarness.ts';
import { startSmtpCapture } from './testing/smtpCapture.ts';

const H = 3_600_000;
const D = 24 * H;
const ALICE = '17841400000021001';
const BOB = '17841400000021002';

let h: LifecycleHarness;
let smtp: Awaited<ReturnType<typeof startSmtpCapture>>;
before(async () => {
  smtp = await startSmtpCapture();
  h = await openLifecycleHarness({ env: { SMTP_URL: smtp.url } });
  await h.ctx.jobs.work(h.ctx);
});
after(async () => {
  await h.close();
  await smtp.close();
});
afterEach(() => h.emulator.core.faults.clear());

const outage = () => h.emulator.core.faults.add({ platform: 'instagram', kind: 'server_error', status: 503, times: 1_000_000 });
const notes = async (id: string) =>
  (await h.ctx.db.execute(sql`select kind, created_at from notifications where connection_id = ${id} order by created_at`)).rows.map((r) => ({ kind: String(r.kind), at: toDate(r.created_at)!.getTime() }));

test('a 3-day outage the token outlives: degraded, retried with backoff, nobody alerted, active again after', async () => {
  const id = await h.connect('instagram', ALICE);
  await h.runUntil(h.ctx.clock.nowMs() + 5 * D);
  outage();
  await h.runUntil(h.ctx.clock.nowMs() + 3 * D);
  assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'degraded');
  assert.deepEqual(await notes(id), [], 'the token lives 55 more days: no alert');
  h.emulator.core.faults.clear();
  await h.runUntil(h.ctx.clock.nowMs() + 7 * H); // the backoff is capped at 6 h
  assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'active');
  assert.deepEqual(await notes(id), []);
});

test('an outage across the token\'s end: the user is told at least a day ahead, then the connection needs reconnecting', async () => {
  const start = h.ctx.clock.nowMs();
  const id = await h.connect('instagram', BOB);
  const expiry = (await getLifecycleConnection(h.ctx.db, id))!.accessExpiresAt!.getTime();
  assert.ok(Math.abs(expiry - (start + 60 * D)) < 60_000);
  await h.runUntil(start + 49 * D); // the refresh is planned 10 days ahead (a little earlier with jitter)
  outage();
  await h.runUntil(expiry - 60_000);
  const c = (await getLifecycleConnection(h.ctx.db, id))!;
  assert.equal(c.state, 'degraded');
  assert.equal(c.accessExpiresAt!.getTime(), expiry, 'the refresh never got through');
  const alerts = await notes(id);
  assert.deepEqual(alerts.map((n) => n.kind), ['refresh_failing'], 'one alert for the episode');
  assert.ok(alerts[0]!.at <= expiry - D, 'at least a day before the token ends');
  assert.ok(alerts[0]!.at >= expiry - 31 * H, 'not needlessly early');
  const mail = await smtp.waitFor(1);
  assert.match(mail.map((m) => m.raw.replace(/=\r\n/g, '').replace(/\r\n /g, ' ')).join('\n'), /Subject: \[Perennial\] Renewing access to Bob \(sandbox\).* on Instagram keeps failing/);

  await h.runUntil(expiry + 2 * D);
  h.emulator.core.faults.clear();
  await h.runUntil(h.ctx.clock.nowMs() + 7 * H);
  const ended = (await getLifecycleConnection(h.ctx.db, id))!;
  assert.equal(ended.state, 'needs_reconnect', 'an expired Instagram token cannot be refreshed');
  assert.deepEqual((await notes(id)).map((n) => n.kind), ['refresh_failing', 'needs_reconnect']);
});
