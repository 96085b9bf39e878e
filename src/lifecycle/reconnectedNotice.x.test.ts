/**
 * The "reconnected" notice names every post whose time passed while the connection was broken:
 * those the grace sweep already failed (connection_needs_reconnect) as well as those failed at the
 * reconnect; a disconnect is recorded as a state transition like every other.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { disconnectConnection } from '../connections/disconnectConnection.ts';
import { claimPausedPastGrace, failPausedTarget } from '../publishing/failPausedTargets.ts';
import { getLifecycleConnection } from './connectionLifecycleRow.ts';
import { markNeedsReconnect } from './markNeedsReconnect.ts';
import { toDate } from './refreshesRepo.ts';
import { openLifecycleHarness, type LifecycleHarness } from './testing/lifecycleHarness.ts';

const H = 3_600_000;
const ALICE = '1500000000000000001';

let h: LifecycleHarness;
before(async () => {
  h = await openLifecycleHarness();
});
after(() => h.close());

test('the reconnected notice lists the posts the grace sweep failed and those failed at the reconnect', async () => {
  const id = await h.connect('x', ALICE);
  await h.runDue();
  const start = h.ctx.clock.nowMs();
  const swept = await h.scheduleTarget(id, start + 2 * H);
  const passed = await h.scheduleTarget(id, start + 5 * H);
  const ahead = await h.scheduleTarget(id, start + 48 * H);
  // An old failure of the same kind, before this episode, is not part of this notice.
  const older = await h.scheduleTarget(id, start + H);
  await h.ctx.db.execute(sql`update post_targets set status = 'failed', failure_code = 'connection_needs_reconnect', updated_at = ${new Date(start - H)} where id = ${older}`);

  h.ctx.clock.advance(60_000);
  await h.ctx.db.transaction((tx) => markNeedsReconnect(h.ctx, tx, { connectionId: id, reason: 'token_revoked', now: h.ctx.clock.now() }));
  h.ctx.clock.set(start + 3 * H);
  const claimed = await claimPausedPastGrace(h.ctx.db, { now: h.ctx.clock.now(), limit: 100, leaseMs: 60_000, owner: 'test-sweep', graceMs: 15 * 60_000 });
  for (const target of claimed) assert.ok(await failPausedTarget(h.ctx, target));
  assert.deepEqual(claimed.map((f) => f.id), [swept], 'the sweep failed the post past its grace');
  h.ctx.clock.set(start + 6 * H);

  await h.connect('x', ALICE, { connectionId: id });
  const notice = await h.ctx.db.execute(sql`select data from notifications where kind = 'reconnected' and connection_id = ${id}`);
  assert.equal(notice.rows.length, 1);
  const data = notice.rows[0]!.data as { passedTargetIds: string[]; resumedTargetIds: string[] };
  assert.deepEqual([...data.passedTargetIds].sort(), [swept, passed].sort());
  assert.deepEqual(data.resumedTargetIds, [ahead]);
});

test('a disconnect is a recorded transition with its reason and time', async () => {
  const id = (await h.ctx.db.execute(sql`select id from connections where platform = 'x'`)).rows[0]!.id as string;
  h.ctx.clock.advance(H);
  await disconnectConnection(h.ctx, { userId: h.userId, workspaceId: h.workspaceId, connectionId: id });
  assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'disconnected');
  const events = await h.ctx.db.execute(sql`select from_state, to_state, reason, at from connection_events where connection_id = ${id} order by at`);
  const last = events.rows.at(-1)!;
  assert.deepEqual([last.from_state, last.to_state, last.reason], ['active', 'disconnected', 'disconnected_by_user']);
  assert.equal(toDate(last.at)!.getTime(), h.ctx.clock.nowMs());
});
