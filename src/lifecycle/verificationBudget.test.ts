/**
 * The per-platform, per-minute cap on verification calls, shared through the database: a check
 * over the cap waits for a later minute without calling the platform; a herd drains at the cap.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { getRefreshRow, planConnectionRefresh } from './refreshesRepo.ts';
import { openLifecycleHarness, type LifecycleHarness } from './testing/lifecycleHarness.ts';
import { takeVerificationBudget } from './verificationBudget.ts';
import { verificationRule } from './verificationPolicy.ts';

const MINUTE = 60_000;

let h: LifecycleHarness;
before(async () => {
  h = await openLifecycleHarness();
});
after(() => h.close());

test('a herd of checks is let through at the cap per minute, the rest spread over the following minutes', async () => {
  const now = new Date(Math.floor(h.ctx.clock.nowMs() / MINUTE) * MINUTE + 5_000);
  const cap = verificationRule('mastodon').perMinute;
  const results = [];
  for (let i = 0; i < cap * 3 + 10; i++) results.push(await takeVerificationBudget(h.ctx.db, { platform: 'mastodon', now, random: () => 0.5 }));
  assert.equal(results.filter((r) => r === null).length, cap, 'the cap passes this minute');
  const minuteOf = (d: Date) => Math.floor((d.getTime() - now.getTime() + 5_000) / MINUTE);
  const later = results.filter((r): r is Date => r !== null).map(minuteOf);
  assert.deepEqual([...new Set(later)], [1, 2, 3], 'the next minutes, one cap each');
  assert.equal(later.filter((m) => m === 1).length, cap);
  // Another platform has its own budget; the next minute starts afresh.
  assert.equal(await takeVerificationBudget(h.ctx.db, { platform: 'linkedin', now, random: () => 0.5 }), null);
  assert.equal(await takeVerificationBudget(h.ctx.db, { platform: 'mastodon', now: new Date(now.getTime() + MINUTE), random: () => 0.5 }), null);
});

test('a check over its platform\'s budget waits without calling the platform, then runs', async () => {
  const id = await h.connect('pinterest', '1150000000000000001');
  await h.runDue();
  const now = h.ctx.clock.now();
  const windowStart = new Date(Math.floor(now.getTime() / MINUTE) * MINUTE);
  // Other workers used this minute's budget already.
  await h.ctx.db.execute(sql`insert into verification_budgets (platform, window_start, used) values ('pinterest', ${windowStart}, ${verificationRule('pinterest').perMinute})
    on conflict (platform) do update set window_start = excluded.window_start, used = excluded.used`);
  await planConnectionRefresh(h.ctx.db, { connectionId: id, platform: 'pinterest', dueAt: now, purpose: 'verify', now });
  const calls = () => h.emulator.core.requests.list({ platform: 'pinterest', path: '/v5/user_account' }).length;
  const before = calls();
  assert.deepEqual(await h.runDue(), ['deferred']);
  assert.equal(calls(), before, 'no call over the budget');
  const row = (await getRefreshRow(h.ctx.db, id))!;
  assert.equal(row.purpose, 'verify');
  assert.ok(row.dueAt!.getTime() >= windowStart.getTime() + MINUTE && row.dueAt!.getTime() < windowStart.getTime() + 2 * MINUTE, 'in the next minute');
  assert.equal(row.attempts, 0, 'waiting is not a failure');
  h.ctx.clock.set(row.dueAt!.getTime());
  assert.deepEqual(await h.runDue(), ['verified']);
  assert.equal(calls(), before + 1);
});
