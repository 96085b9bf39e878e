/**
 * A year of time travel on LinkedIn: the access token (60 days) is refreshed without the user,
 * but the refresh token's end is fixed at day 365 from the first grant. The 7/3/1-day warnings
 * arrive before it (in-app and by email, once each), and on the day the connection moves to
 * needs_reconnect with its posts paused.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { getLifecycleConnection } from './connectionLifecycleRow.ts';
import { openLifecycleHarness, type LifecycleHarness } from './testing/lifecycleHarness.ts';
import { startSmtpCapture } from './testing/smtpCapture.ts';

const D = 86_400_000;

let h: LifecycleHarness;
let smtp: Awaited<ReturnType<typeof startSmtpCapture>>;
before(async () => {
  smtp = await startSmtpCapture();
  // Weekly verification keeps a year of time travel quick; the refresh plan does not depend on it.
  h = await openLifecycleHarness({ env: { SMTP_URL: smtp.url, CONNECTION_VERIFY_INTERVAL_HOURS: '168' } });
  await h.ctx.jobs.work(h.ctx);
});
after(async () => {
  await h.close();
  await smtp.close();
});

test('LinkedIn: refreshed all year, warned 7, 3 and 1 days before the fixed end, needs_reconnect on the day', async () => {
  const start = h.ctx.clock.nowMs();
  const id = await h.connect('linkedin', 'li-alice');
  const c0 = (await getLifecycleConnection(h.ctx.db, id))!;
  assert.ok(c0.refreshExpiresAt, 'LinkedIn grants carry a refresh token end');
  const end = c0.refreshExpiresAt!.getTime();
  assert.ok(Math.abs(end - (start + 365 * D)) < D);

  await h.runUntil(end - 8 * D);
  const mid = (await getLifecycleConnection(h.ctx.db, id))!;
  assert.equal(mid.state, 'active', 'no user action needed until the end');
  assert.ok(mid.lastRefreshedAt && mid.lastRefreshedAt.getTime() > start + 300 * D, 'the 60-day access token kept being refreshed');
  assert.deepEqual((await h.ctx.db.execute(sql`select kind from notifications`)).rows, []);

  // The end moves by rounding of refresh_token_expires_in (seconds) at each refresh: stop a minute short.
  await h.runUntil(end - 60_000);
  const warnings = await h.ctx.db.execute(sql`select data->>'thresholdDays' as days, created_at from notifications where kind = 'expiring' order by created_at`);
  assert.deepEqual(warnings.rows.map((r) => r.days), ['7', '3', '1']);
  assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'active');

  await h.runUntil(end + 60_000);
  const c = (await getLifecycleConnection(h.ctx.db, id))!;
  assert.equal(c.state, 'needs_reconnect');
  assert.equal(c.stateReason, 'refresh_token_end');
  const kinds = (await h.ctx.db.execute(sql`select kind from notifications order by created_at`)).rows.map((r) => r.kind);
  assert.deepEqual(kinds, ['expiring', 'expiring', 'expiring', 'needs_reconnect']);
  const mails = await smtp.waitFor(4);
  assert.equal(mails.length, 4, 'one email per warning and one for the end');
  const text = mails[0]!.raw.replace(/=\r\n/g, ''); // undo quoted-printable line wrapping
  assert.match(text, /Subject: \[Perennial\] Alice Martin \(sandbox\) on LinkedIn needs reconnecting/);
  assert.match(text, new RegExp(`Reconnect: http://perennial\\.test/connections/${id}/reconnect`));
});
