/**
 * The refresh engine against the emulated X (2 h access tokens, rotating refresh tokens with
 * reuse detection that kills the whole grant): keep-alive without a tight loop, single flight
 * across runners and on-demand callers, a dropped response, a multi-day outage.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { getLifecycleConnection } from './connectionLifecycleRow.ts';
import { ensureFreshAccess } from './ensureFreshAccess.ts';
import { planConnectionRefresh, getRefreshRow } from './refreshesRepo.ts';
import { openLifecycleHarness, type LifecycleHarness } from './testing/lifecycleHarness.ts';

const H = 3_600_000;
const D = 24 * H;
const ALICE = '1500000000000000001';
const BOB = '1500000000000000002';

let h: LifecycleHarness;
before(async () => {
  h = await openLifecycleHarness();
});
after(() => h.close());
afterEach(() => h.emulator.core.faults.clear());

function grantOf(accountId: string) {
  const grants = h.emulator.core.grants.listGrants('x').filter((g) => g.accountId === accountId && !g.revoked);
  assert.equal(grants.length, 1, `one live grant for ${accountId}`);
  return grants[0]!;
}

async function rows(query: ReturnType<typeof sql>) {
  return (await h.ctx.db.execute(query)).rows;
}

test('an idle X connection stays active for 30 days with one keep-alive refresh a day, not one every 2 hours', async () => {
  const id = await h.connect('x', ALICE);
  const start = h.ctx.clock.nowMs();
  await h.runUntil(start + 30 * D);
  const c = (await getLifecycleConnection(h.ctx.db, id))!;
  assert.equal(c.state, 'active');
  const refreshes = grantOf(ALICE).refreshCount;
  assert.ok(refreshes >= 28 && refreshes <= 31, `about one refresh a day, got ${refreshes}`);
  assert.equal(h.emulator.core.grants.reuseDetections.size, 0);
  assert.deepEqual(await rows(sql`select * from connection_events where connection_id = ${id}`), []);
  assert.deepEqual(await rows(sql`select * from notifications`), []);
  // Each refresh is in the access register.
  const logged = await rows(sql`select count(*)::int as n from access_log where connection_id = ${id} and action = 'refreshed'`);
  assert.equal(logged[0]!.n, refreshes);
  const fresh = await ensureFreshAccess(h.ctx, id, { validForMs: 10 * 60_000 });
  assert.ok(fresh.credential.accessExpiresAt!.getTime() > h.ctx.clock.nowMs() + 10 * 60_000);
  assert.ok(!h.ctx.logText().includes(fresh.credential.accessToken), 'no token in the logs');
});

test('two runners and a burst of on-demand callers produce exactly one refresh and no reuse detection', async () => {
  const id = await h.connect('x', BOB);
  h.ctx.clock.advance(3 * H); // the 2 h access token is dead
  const before = grantOf(BOB).refreshCount;
  const now = h.ctx.clock.now();
  await planConnectionRefresh(h.ctx.db, { connectionId: id, platform: 'x', dueAt: now, purpose: 'refresh', now });
  const results = await Promise.all([
    h.runDue('worker-1'),
    h.runDue('worker-2'),
    ...Array.from({ length: 8 }, () => ensureFreshAccess(h.ctx, id, { validForMs: 15 * 60_000 })),
  ]);
  assert.equal(grantOf(BOB).refreshCount - before, 1, 'one refresh for one due time');
  assert.equal(h.emulator.core.grants.reuseDetections.size, 0);
  const tokens = new Set(results.slice(2).map((r) => (r as { credential: { accessToken: string } }).credential.accessToken));
  assert.equal(tokens.size, 1, 'every caller got the one fresh token');
  assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'active');
});

test('a dropped refresh response on a rotating platform ends in needs_reconnect with reason rotation_lost, counted', async () => {
  const id = await h.connect('x', ALICE); // reconnects Alice's existing connection with a new grant
  h.ctx.clock.advance(3 * H);
  const now = h.ctx.clock.now();
  await planConnectionRefresh(h.ctx.db, { connectionId: id, platform: 'x', dueAt: now, purpose: 'refresh', now });
  h.emulator.core.faults.add({ platform: 'x', endpoint: '/2/oauth2/token', kind: 'drop_after_commit', times: 1 });
  assert.deepEqual(await h.runDue(), ['failed']);
  const row = (await getRefreshRow(h.ctx.db, id))!;
  assert.notEqual(row.inFlightTokenVersion, null, 'the unknown outcome is remembered');
  assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'degraded');
  h.ctx.clock.set(row.dueAt!.getTime());
  assert.deepEqual(await h.runDue(), ['failed']);
  const c = (await getLifecycleConnection(h.ctx.db, id))!;
  assert.equal(c.state, 'needs_reconnect');
  assert.equal(c.stateReason, 'rotation_lost');
  const lost = await rows(sql`select platform from rotation_losses where connection_id = ${id}`);
  assert.deepEqual(lost, [{ platform: 'x' }]);
  const events = await rows(sql`select from_state, to_state, reason from connection_events where connection_id = ${id} order by at, to_state`);
  assert.deepEqual(events.slice(-2), [
    { from_state: 'active', to_state: 'degraded', reason: events.at(-2)!.reason },
    { from_state: 'degraded', to_state: 'needs_reconnect', reason: 'rotation_lost' },
  ]);
  const notes = await rows(sql`select kind, user_id from notifications where connection_id = ${id}`);
  assert.deepEqual(notes, [{ kind: 'needs_reconnect', user_id: h.userId }]);
});

test('a 3-day token-endpoint outage leaves the connection degraded without alerts, and it recovers', async () => {
  const id = await h.connect('x', ALICE); // reconnect after the lost rotation above
  assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'active');
  await h.ctx.db.execute(sql`delete from notifications`);
  const reuseBefore = h.emulator.core.grants.reuseDetections.get('x') ?? 0;
  h.ctx.clock.advance(3 * H);
  const now = h.ctx.clock.now();
  await planConnectionRefresh(h.ctx.db, { connectionId: id, platform: 'x', dueAt: now, purpose: 'refresh', now });
  h.emulator.core.faults.add({ platform: 'x', endpoint: '/2/oauth2/token', kind: 'server_error', status: 503, times: 10_000 });
  const outcomes = await h.runUntil(h.ctx.clock.nowMs() + 3 * D);
  assert.ok(outcomes.every((o) => o === 'failed'));
  const tries = (await getRefreshRow(h.ctx.db, id))!.attempts;
  assert.ok(tries >= 12 && tries <= 30, `exponential backoff capped at 6 h, not a loop: ${tries} tries in 3 days`);
  assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'degraded');
  assert.deepEqual(await rows(sql`select kind from notifications`), [], 'the refresh token outlives the outage: nobody is bothered');
  h.emulator.core.faults.clear();
  const row = (await getRefreshRow(h.ctx.db, id))!;
  await h.runUntil(row.dueAt!.getTime());
  const c = (await getLifecycleConnection(h.ctx.db, id))!;
  assert.equal(c.state, 'active');
  assert.equal(h.emulator.core.grants.reuseDetections.get('x') ?? 0, reuseBefore, 'a 503 did not rotate: no rotation lost');
});
