/**
 * One alert per connection, end and threshold: LinkedIn reports the refresh token's end again at
 * every refresh (`refresh_token_expires_in`, in seconds, computed on its side), so the stored end
 * can move a little; the 7-day warning is raised once, whatever refreshes and checks happen
 * before the next threshold, and whatever runs at the same time.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { getLifecycleConnection } from './connectionLifecycleRow.ts';
import { raiseExpiryWarnings } from './raiseExpiryWarnings.ts';
import { planConnectionRefresh } from './refreshesRepo.ts';
import { openLifecycleHarness, type LifecycleHarness } from './testing/lifecycleHarness.ts';

const H = 3_600_000;
const D = 24 * H;

let h: LifecycleHarness;
before(async () => {
  h = await openLifecycleHarness();
  h.emulator.core.setPolicy('linkedin', { refreshTtlMs: 20 * D });
});
after(() => h.close());

const expiring = async (id: string) =>
  (await h.ctx.db.execute(sql`select data->>'thresholdDays' as days from notifications where kind = 'expiring' and connection_id = ${id} order by created_at`)).rows.map((r) => r.days);

test('a refresh that moves the end by rounding does not repeat the warning; concurrent runs raise it once', async () => {
  const id = await h.connect('linkedin', 'li-alice');
  await h.runDue();
  const end0 = (await getLifecycleConnection(h.ctx.db, id))!.refreshExpiresAt!.getTime();
  await h.runUntil(end0 - 7 * D);
  assert.deepEqual(await expiring(id), ['7']);

  h.ctx.clock.advance(6 * H + 500);
  const now = h.ctx.clock.now();
  await planConnectionRefresh(h.ctx.db, { connectionId: id, platform: 'linkedin', dueAt: now, purpose: 'refresh', now });
  assert.deepEqual(await h.runDue(), ['refreshed']);
  // As if LinkedIn had answered a remaining lifetime 90 s shorter than ours (its clock, its rounding).
  await h.ctx.db.execute(sql`update connections set refresh_expires_at = ${new Date(end0 - 90_000)} where id = ${id}`);
  const moved = (await getLifecycleConnection(h.ctx.db, id))!;
  assert.equal(moved.refreshExpiresAt!.getTime(), end0 - 90_000, 'the end moved');
  // Checks and runs between the thresholds see the moved end: still one 7-day warning.
  h.ctx.clock.advance(D);
  await Promise.all([raiseExpiryWarnings(h.ctx, moved, h.ctx.clock.now()), raiseExpiryWarnings(h.ctx, moved, h.ctx.clock.now())]);
  await planConnectionRefresh(h.ctx.db, { connectionId: id, platform: 'linkedin', dueAt: h.ctx.clock.now(), purpose: 'verify', now: h.ctx.clock.now() });
  assert.deepEqual(await h.runDue(), ['verified']);
  assert.deepEqual(await expiring(id), ['7']);

  // The 3-day threshold, raised by two runs at once, exists once.
  h.ctx.clock.set(moved.refreshExpiresAt!.getTime() - 3 * D + 60_000);
  const c = (await getLifecycleConnection(h.ctx.db, id))!;
  await Promise.all([raiseExpiryWarnings(h.ctx, c, h.ctx.clock.now()), raiseExpiryWarnings(h.ctx, c, h.ctx.clock.now()), h.runDue('another')]);
  assert.deepEqual(await expiring(id), ['7', '3']);
  assert.equal((await h.ctx.db.execute(sql`select count(*)::int as n from alert_events where connection_id = ${id}`)).rows[0]!.n, 2);
});

test('a reconnect is a new grant: its end is warned about again', async () => {
  const id = (await h.ctx.db.execute(sql`select id from connections where platform = 'linkedin'`)).rows[0]!.id as string;
  await h.connect('linkedin', 'li-alice', { connectionId: id });
  const end = (await getLifecycleConnection(h.ctx.db, id))!.refreshExpiresAt!.getTime();
  await h.runUntil(end - 7 * D + 60_000);
  assert.deepEqual(await expiring(id), ['7', '3', '7'], 'the new grant has its own 7-day warning');
});
