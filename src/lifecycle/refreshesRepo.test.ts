import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { claimDueRefreshes, getRefreshRow, markRefreshInFlight, nextRefreshDueAt, planConnectionRefresh, releaseRefreshLease } from './refreshesRepo.ts';

let ctx: TestContext;
before(async () => {
  ctx = await openTestContext();
});
after(() => ctx.close());

test('claims only due, unleased rows; a lease excludes a second claimer until it expires', async () => {
  const now = ctx.clock.now();
  const due = randomUUID();
  const later = randomUUID();
  await planConnectionRefresh(ctx.db, { connectionId: due, platform: 'x', dueAt: new Date(now.getTime() - 1000), purpose: 'refresh', now });
  await planConnectionRefresh(ctx.db, { connectionId: later, platform: 'x', dueAt: new Date(now.getTime() + 60_000), purpose: 'refresh', now });

  const [a, b] = await Promise.all([
    claimDueRefreshes(ctx.db, { now, limit: 10, leaseMs: 30_000, owner: 'w1' }),
    claimDueRefreshes(ctx.db, { now, limit: 10, leaseMs: 30_000, owner: 'w2' }),
  ]);
  const claimed = [...a, ...b];
  assert.equal(claimed.length, 1, 'exactly one claimer wins the due row');
  assert.equal(claimed[0]!.connectionId, due);

  // Lease still live: nobody else gets it.
  assert.deepEqual(await claimDueRefreshes(ctx.db, { now: new Date(now.getTime() + 29_000), limit: 10, leaseMs: 30_000, owner: 'w3' }), []);
  // Lease expired (the holder crashed): the row is claimable again.
  const retaken = await claimDueRefreshes(ctx.db, { now: new Date(now.getTime() + 31_000), limit: 10, leaseMs: 30_000, owner: 'w3' });
  assert.deepEqual(retaken.map((r) => r.connectionId), [due]);
  assert.equal(await markRefreshInFlight(ctx.db, { connectionId: due, owner: 'w1', tokenVersion: 1, now: new Date(now.getTime() + 31_000) }), false, 'a worker whose lease was taken may not start the call');
  assert.equal(await markRefreshInFlight(ctx.db, { connectionId: due, owner: 'w3', tokenVersion: 1, now: new Date(now.getTime() + 31_000) }), true);
  assert.equal((await getRefreshRow(ctx.db, due))!.inFlightTokenVersion, 1);
});

test('a paused platform is skipped until its retry time; next due time is the minimum', async () => {
  const now = ctx.clock.now();
  const id = randomUUID();
  await ctx.db.execute(sql`delete from connection_refreshes`);
  await planConnectionRefresh(ctx.db, { connectionId: id, platform: 'tiktok', dueAt: now, purpose: 'refresh', now });
  await ctx.db.execute(sql`insert into platform_pauses (platform, reason, paused_at, retry_at) values ('tiktok', 'invalid_client', ${now}, ${new Date(now.getTime() + 3_600_000)})`);
  assert.deepEqual(await claimDueRefreshes(ctx.db, { now, limit: 5, leaseMs: 1000, owner: 'w' }), []);
  const afterPause = new Date(now.getTime() + 3_600_001);
  assert.equal((await claimDueRefreshes(ctx.db, { now: afterPause, limit: 5, leaseMs: 1000, owner: 'w' })).length, 1);
  assert.equal((await nextRefreshDueAt(ctx.db))?.getTime(), afterPause.getTime() + 1000, "a leased row is next claimable when its lease lapses");
});

test('an on-demand claim takes the row whatever its due time, but never under a live lease', async () => {
  const now = ctx.clock.now();
  const id = randomUUID();
  await planConnectionRefresh(ctx.db, { connectionId: id, platform: 'x', dueAt: new Date(now.getTime() + 86_400_000), purpose: 'refresh', now });
  const first = await claimDueRefreshes(ctx.db, { now, limit: 1, leaseMs: 10_000, owner: 'a', connectionId: id });
  assert.equal(first.length, 1);
  assert.deepEqual(await claimDueRefreshes(ctx.db, { now, limit: 1, leaseMs: 10_000, owner: 'b', connectionId: id }), []);
  // Re-planning from elsewhere keeps the holder's lease; only the holder frees it.
  await planConnectionRefresh(ctx.db, { connectionId: id, platform: 'x', dueAt: now, purpose: 'refresh', now });
  assert.equal((await getRefreshRow(ctx.db, id))!.leaseOwner, 'a');
  assert.deepEqual(await claimDueRefreshes(ctx.db, { now, limit: 5, leaseMs: 10_000, owner: 'c' }), []);
  await releaseRefreshLease(ctx.db, id, 'b');
  assert.equal((await getRefreshRow(ctx.db, id))!.leaseOwner, 'a', 'a non-holder cannot free the lease');
  await releaseRefreshLease(ctx.db, id, 'a');
  assert.equal((await getRefreshRow(ctx.db, id))!.leaseOwner, null);
});
