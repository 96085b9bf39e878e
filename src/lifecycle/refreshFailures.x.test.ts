/**
 * Failure paths against the emulated X: a worker killed right after the platform rotated, and
 * an app-level error (the instance's client secret no longer accepted) that pauses the platform
 * instead of flagging every connection.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { loadCredential } from '../connections/credentials.ts';
import { getProvider, providerContext } from '../providers/registry.ts';
import { ProviderError } from '../providers/types.ts';
import { getLifecycleConnection } from './connectionLifecycleRow.ts';
import { ensureFreshAccess } from './ensureFreshAccess.ts';
import { claimDueRefreshes, getRefreshRow, markRefreshInFlight, planConnectionRefresh } from './refreshesRepo.ts';
import { REFRESH_LEASE_MS } from './refreshQueue.ts';
import { openLifecycleHarness, type LifecycleHarness } from './testing/lifecycleHarness.ts';

const H = 3_600_000;
const ALICE = '1500000000000000001';
const BOB = '1500000000000000002';

let h: LifecycleHarness;
before(async () => {
  h = await openLifecycleHarness();
});
after(() => h.close());

async function makeDue(id: string) {
  const now = h.ctx.clock.now();
  await planConnectionRefresh(h.ctx.db, { connectionId: id, platform: 'x', dueAt: now, purpose: 'refresh', now });
}

test('a worker killed after X rotated the token: the next try knows the outcome was unknown and records rotation_lost', async () => {
  const id = await h.connect('x', ALICE);
  await h.runDue();
  h.ctx.clock.advance(3 * H);
  await makeDue(id);
  // The doomed worker: claims, marks the call, the platform rotates, and the process dies before saving.
  const [item] = await claimDueRefreshes(h.ctx.db, { now: h.ctx.clock.now(), limit: 1, leaseMs: REFRESH_LEASE_MS, owner: 'doomed' });
  const { credential, tokenVersion } = await loadCredential(h.ctx, h.ctx.db, id);
  assert.ok(await markRefreshInFlight(h.ctx.db, { connectionId: id, owner: 'doomed', tokenVersion, now: h.ctx.clock.now() }));
  await getProvider('x').refresh(providerContext(h.ctx, 'x'), credential);
  assert.ok(item);

  assert.deepEqual(await h.runDue('survivor'), [], 'the lease keeps others away while it lasts');
  h.ctx.clock.advance(REFRESH_LEASE_MS + 1);
  assert.deepEqual(await h.runDue('survivor'), ['failed']);
  const c = (await getLifecycleConnection(h.ctx.db, id))!;
  assert.equal(c.state, 'needs_reconnect');
  assert.equal(c.stateReason, 'rotation_lost');
  assert.equal((await h.ctx.db.execute(sql`select count(*)::int as n from rotation_losses where connection_id = ${id}`)).rows[0]!.n, 1);
  assert.equal((await getRefreshRow(h.ctx.db, id))!.inFlightTokenVersion, null);
});

test('invalid_client pauses X for every connection, alerts the instance owner once, and lifts when the app works again', async () => {
  const alice = await h.connect('x', ALICE); // reconnect after the test above
  const bob = await h.connect('x', BOB);
  await h.runDue();
  await h.ctx.db.execute(sql`delete from notifications`);
  h.ctx.clock.advance(3 * H);
  await makeDue(alice);
  await makeDue(bob);
  const client = h.emulator.core.clients.get('x', 'sandbox-x') as { clientSecret: string };
  const secret = client.clientSecret;
  client.clientSecret = 'changed-by-the-platform-console';

  assert.deepEqual(await h.runDue(), ['failed', 'failed']);
  for (const id of [alice, bob]) assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'active', 'connections are not flagged one by one');
  const notes = await h.ctx.db.execute(sql`select kind, user_id from notifications`);
  assert.deepEqual(notes.rows, [{ kind: 'app_misconfigured', user_id: h.userId }]);
  const pause = await h.ctx.db.execute(sql`select platform, reason from platform_pauses`);
  assert.deepEqual(pause.rows, [{ platform: 'x', reason: 'invalid_client' }]);
  await makeDue(alice);
  assert.deepEqual(await h.runDue(), [], 'the paused platform is not retried per connection');
  // A publish that needs a refresh meanwhile is told at once, instead of waiting out the lease poll.
  const started = performance.now();
  await assert.rejects(ensureFreshAccess(h.ctx, bob, { validForMs: 10 * 60_000 }), (err: ProviderError) => {
    assert.equal(err.errorClass, 'transient');
    assert.equal(err.reason, 'platform_paused');
    assert.match(err.message, /invalid_client/);
    return true;
  });
  assert.ok(performance.now() - started < 10_000, 'no 120 s wait');

  client.clientSecret = secret;
  await h.runUntil(h.ctx.clock.nowMs() + H + 60_000);
  for (const id of [alice, bob]) {
    const c = (await getLifecycleConnection(h.ctx.db, id))!;
    assert.ok(c.accessExpiresAt!.getTime() > h.ctx.clock.nowMs(), 'refreshed after the fix');
  }
  assert.deepEqual((await h.ctx.db.execute(sql`select * from platform_pauses`)).rows, []);
  assert.equal((await h.ctx.db.execute(sql`select count(*)::int as n from notifications`)).rows[0]!.n, 1, 'alerted once');
});

test('a 503 then a revocation: needs_reconnect with the platform\'s reason, not rotation_lost (the 503 did not rotate)', async () => {
  const id = await h.connect('x', ALICE);
  await h.runDue();
  const lostBefore = (await h.ctx.db.execute(sql`select count(*)::int as n from rotation_losses where connection_id = ${id}`)).rows[0]!.n;
  h.ctx.clock.advance(3 * H);
  await makeDue(id);
  h.emulator.core.faults.add({ platform: 'x', endpoint: '/2/oauth2/token', kind: 'server_error', status: 503, times: 1 });
  assert.deepEqual(await h.runDue(), ['failed']);
  const row = (await getRefreshRow(h.ctx.db, id))!;
  assert.equal(row.inFlightTokenVersion, null, 'the platform answered: its outcome is known');
  assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'degraded');
  h.emulator.core.grants.revokeAccount('x', ALICE, 'user_revoked');
  h.ctx.clock.set(row.dueAt!.getTime());
  assert.deepEqual(await h.runDue(), ['failed']);
  const c = (await getLifecycleConnection(h.ctx.db, id))!;
  assert.equal(c.state, 'needs_reconnect');
  assert.notEqual(c.stateReason, 'rotation_lost');
  assert.equal((await h.ctx.db.execute(sql`select count(*)::int as n from rotation_losses where connection_id = ${id}`)).rows[0]!.n, lostBefore, 'nothing counted as lost');
});

test('a 429 keeps no in-flight marker; a truncated response keeps it (its outcome is unknown)', async () => {
  const id = await h.connect('x', ALICE); // reconnect after the revocation above
  await h.runDue();
  for (const [kind, expectMarker] of [['rate_limit', false], ['truncated_json', true]] as const) {
    h.ctx.clock.advance(3 * H);
    await makeDue(id);
    h.emulator.core.faults.add({ platform: 'x', endpoint: '/2/oauth2/token', kind, retryAfterS: 1, times: 1 });
    assert.deepEqual(await h.runDue(), ['failed'], kind);
    const row = (await getRefreshRow(h.ctx.db, id))!;
    assert.equal(row.inFlightTokenVersion !== null, expectMarker, kind);
    if (!expectMarker) {
      // The retry after a plain error status refreshes normally.
      h.ctx.clock.set(row.dueAt!.getTime());
      assert.deepEqual(await h.runDue(), ['refreshed'], `${kind}: recovered`);
    }
  }
});

test('Pinterest: a dropped refresh response stays unknown through a failed check, then counts as rotation_lost', async () => {
  const id = await h.connect('pinterest', '1150000000000000001');
  await h.runDue();
  const now = h.ctx.clock.now();
  await planConnectionRefresh(h.ctx.db, { connectionId: id, platform: 'pinterest', dueAt: now, purpose: 'refresh', now });
  h.emulator.core.faults.add({ platform: 'pinterest', endpoint: '/v5/oauth/token', kind: 'drop_after_commit', times: 1 });
  assert.deepEqual(await h.runDue(), ['failed']);
  const marker = (await getRefreshRow(h.ctx.db, id))!.inFlightTokenVersion;
  assert.notEqual(marker, null);
  // A check fails with a plain 503 meanwhile: it says nothing about the lost refresh.
  await planConnectionRefresh(h.ctx.db, { connectionId: id, platform: 'pinterest', dueAt: now, purpose: 'verify', now, streak: 'keep' });
  h.emulator.core.faults.add({ platform: 'pinterest', endpoint: '/v5/user_account', kind: 'server_error', status: 503, times: 1 });
  assert.deepEqual(await h.runDue(), ['failed']);
  const row = (await getRefreshRow(h.ctx.db, id))!;
  assert.equal(row.inFlightTokenVersion, marker, 'still unknown');
  assert.equal(row.attempts, 2, 'one streak');
  h.ctx.clock.set(row.dueAt!.getTime());
  await planConnectionRefresh(h.ctx.db, { connectionId: id, platform: 'pinterest', dueAt: h.ctx.clock.now(), purpose: 'refresh', now: h.ctx.clock.now(), streak: 'keep' });
  await h.runDue(); // (the X connection of the test above has its own retry due by now)
  const c = (await getLifecycleConnection(h.ctx.db, id))!;
  assert.equal(c.state, 'needs_reconnect');
  assert.equal(c.stateReason, 'rotation_lost', 'Pinterest refused the refresh token it had rotated');
  assert.equal((await h.ctx.db.execute(sql`select count(*)::int as n from rotation_losses where connection_id = ${id}`)).rows[0]!.n, 1);
});
