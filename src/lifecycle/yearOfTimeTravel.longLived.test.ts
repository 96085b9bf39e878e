/**
 * A year of time travel, on the emulator's clock, for the platforms with long-lived or
 * non-expiring tokens: Instagram and Threads (60-day tokens refreshed in place), Pinterest
 * (30-day tokens, a refresh token that dies after 60 idle days), Mastodon (never expires) stay
 * active all year with exactly the planned refreshes and no alert. Where the platform ends the
 * grant whatever we do (Facebook Pages and Instagram through Facebook: data access 90 days after
 * the login; LinkedIn: the refresh token at day 365), the 7, 3 and 1-day warnings came before the
 * end, in-app and by email (a real SMTP server), then the connection needs reconnecting, once.
 * The check interval is 72 h here (CONNECTION_VERIFY_INTERVAL_HOURS) to keep the year quick.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'drizzle-orm';
import type { PlatformId } from '../providers/types.ts';
import { getLifecycleConnection } from './connectionLifecycleRow.ts';
import { checkPhase, nextCheckSlot } from './planRefresh.ts';
import { toDate } from './refreshesRepo.ts';
import { openLifecycleHarness, type LifecycleHarness } from './testing/lifecycleHarness.ts';
import { startSmtpCapture } from './testing/smtpCapture.ts';

const H = 3_600_000;
const D = 24 * H;

/** Refreshes in 365 days from the rules: a 60-day token 10 days ahead (7: days ~50 ... ~350), Pinterest's idle keep-alive every 10 days (36). */
const PLAN: { platform: PlatformId; account: string; refreshes: number; end: null | { days: number; reason: string; page: RegExp } }[] = [
  { platform: 'instagram', account: '17841400000021001', refreshes: 7, end: null },
  { platform: 'threads', account: '25000000000000001', refreshes: 7, end: null },
  { platform: 'pinterest', account: '1150000000000000001', refreshes: 36, end: null },
  { platform: 'mastodon', account: '109000000000000001', refreshes: 0, end: null },
  { platform: 'linkedin', account: 'li-alice', refreshes: 7, end: { days: 365, reason: 'refresh_token_end', page: /Alice Martin \(sandbox\) on LinkedIn/ } },
  { platform: 'facebook', account: '10001', refreshes: 0, end: { days: 90, reason: 'data_access_expired', page: /Alice Bakery \(sandbox\) on Facebook Pages/ } },
  { platform: 'instagram_fb', account: '11001', refreshes: 0, end: { days: 90, reason: 'data_access_expired', page: /on Instagram \(via Facebook\)/ } },
];

let h: LifecycleHarness;
let smtp: Awaited<ReturnType<typeof startSmtpCapture>>;
before(async () => {
  smtp = await startSmtpCapture();
  h = await openLifecycleHarness({ env: { SMTP_URL: smtp.url, CONNECTION_VERIFY_INTERVAL_HOURS: '72' } });
  await h.ctx.jobs.work(h.ctx);
});
after(async () => {
  await h.close();
  await smtp.close();
});

const mails = (page: RegExp) => smtp.mails.map((m) => m.raw.replace(/=\r\n/g, '').replace(/\r\n /g, ' ')).filter((t) => page.test(t));
async function waitForMails(page: RegExp, count: number): Promise<string[]> {
  for (let waited = 0; mails(page).length < count && waited < 20_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  return mails(page);
}

test('a year: long-lived tokens kept alive with exactly the planned refreshes; grant ends warned 7, 3 and 1 days ahead', async () => {
  const start = h.ctx.clock.nowMs();
  const ids = new Map<PlatformId, string>();
  for (const p of PLAN) ids.set(p.platform, await h.connect(p.platform, p.account));
  const end = start + 365 * D + 60_000;
  await h.runUntil(end);

  for (const p of PLAN) {
    const id = ids.get(p.platform)!;
    const c = (await getLifecycleConnection(h.ctx.db, id))!;
    const grants = h.emulator.core.grants.listGrants(p.platform).filter((g) => g.accountId === p.account);
    assert.equal(grants.reduce((n, g) => n + g.refreshCount, 0), p.refreshes, `${p.platform}: refreshes`);
    const notes = (await h.ctx.db.execute(sql`select kind, data->>'thresholdDays' as days, data->>'reason' as reason, created_at from notifications where connection_id = ${id} order by created_at`)).rows;
    if (!p.end) {
      assert.equal(c.state, 'active', `${p.platform} stays active with no user action`);
      assert.deepEqual(notes, [], `${p.platform}: nobody bothered`);
      continue;
    }
    const endAt = start + p.end.days * D;
    assert.equal(c.state, 'needs_reconnect', `${p.platform} ends`);
    assert.equal(c.stateReason, p.end.reason);
    assert.deepEqual(notes.map((n) => (n.days ? `${String(n.kind)}:${String(n.days)}` : String(n.kind))), ['expiring:7', 'expiring:3', 'expiring:1', 'needs_reconnect'], `${p.platform}: warned once per threshold, then told once`);
    const times = notes.map((n) => toDate(n.created_at)!.getTime());
    for (const [i, days] of [7, 3, 1].entries()) assert.ok(Math.abs(times[i]! - (endAt - days * D)) < 5 * 60_000, `${p.platform}: the ${days}-day warning at its time`);
    assert.ok(Math.abs(times[3]! - endAt) < 5 * 60_000, `${p.platform}: needs_reconnect at the end`);
    const sent = await waitForMails(p.end.page, 4);
    assert.equal(sent.length, 4, `${p.platform}: three warnings and the end, by email`);
    // One email per threshold, each with the reconnect link (their times are asserted above, on the notifications).
    for (const days of [7, 3, 1]) {
      const about = sent.filter((m) => new RegExp(`needs reconnecting within ${days} day`).test(m));
      assert.equal(about.length, 1, `${p.platform}: one ${days}-day email`);
      assert.match(about[0]!, new RegExp(`Reconnect: http://perennial\\.test/connections/${id}/reconnect`));
    }
  }
  assert.deepEqual((await h.ctx.db.execute(sql`select * from rotation_losses`)).rows, []);
  // Mastodon never expires: one call at connect, then one check per slot of its 72-hour grid, the
  // first at least 36 h after connecting (planRefresh.ts); the grid's phase comes from the id.
  const mastodon = (await getLifecycleConnection(h.ctx.db, ids.get('mastodon')!))!;
  const interval = 72 * H;
  let slots = 0;
  for (let at = nextCheckSlot(checkPhase(mastodon.id, interval), mastodon.connectedAt.getTime() + interval / 2, interval); at <= end; at += interval) slots++;
  const checked = h.emulator.core.requests.list({ platform: 'mastodon', path: '/api/v1/accounts/verify_credentials' }).length;
  assert.equal(checked, 1 + slots, `Mastodon, which never expires, was checked every 72 h: ${checked}`);
});
