import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { insertTestConnection, insertTestWorkspace } from '../posts/testing/postsFixtures.ts';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { claimDueRefreshes, getRefreshRow, markRefreshInFlight, nextRefreshDueAt, planConnectionRefresh, releaseRefreshLease } from './refreshesRepo.ts';

let ctx: TestContext;
let workspaceId: string;
before(async () => {
  ctx = await openTestContext();
  workspaceId = await insertTestWorkspace(ctx.db);
});
after(() => ctx.close());

const connection = (platform: 'x' | 'tiktok' = 'x') => insertTestConnection(ctx.db, workspaceId, { platform });

test('claims only due, unleased rows; a lease excludes a second claimer until it expires', async () => {
  const now = ctx.clock.now();
  const due = await connection();
  const later = await connection();
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

test('a refresh call is marked in flight only against the token version still stored (a sibling refreshed after the read)', async () => {
  const now = ctx.clock.now();
  const id = await connection();
  await planConnectionRefresh(ctx.db, { connectionId: id, platform: 'x', dueAt: now, purpose: 'refresh', now });
  const [item] = await claimDueRefreshes(ctx.db, { now, limit: 1, leaseMs: 30_000, owner: 'late', connectionId: id });
  assert.ok(item);
  // What the caller read before its claim: version 1. A sibling wrote version 2 in between.
  await ctx.db.execute(sql`update connections set token_version = token_version + 1 where id = ${id}`);
  assert.equal(await markRefreshInFlight(ctx.db, { connectionId: id, owner: 'late', tokenVersion: 1, now }), false, 'the rotated token is never presented');
  assert.equal((await getRefreshRow(ctx.db, id))!.inFlightTokenVersion, null);
  assert.equal(await markRefreshInFlight(ctx.db, { connectionId: id, owner: 'late', tokenVersion: 2, now }), true);
});

test('the next due time is exact behind more than a page of leased rows and of rows of a paused platform', async () => {
  await ctx.db.execute(sql`delete from connection_refreshes`);
  await ctx.db.execute(sql`delete from platform_pauses`);
  const now = ctx.clock.now();
  const at = (ms: number) => new Date(now.getTime() + ms);
  // 150 TikTok rows overdue while TikTok is paused for an hour, 150 X rows leased for 2 minutes...
  const rows = Array.from({ length: 300 }, (_, i) => sql`(${randomUUID()}, ${i < 150 ? 'tiktok' : 'x'}, ${at(-60_000 + i)}, 'refresh', ${now})`);
  await ctx.db.execute(sql`insert into connection_refreshes (connection_id, platform, due_at, purpose, updated_at) values ${sql.join(rows, sql`, `)}`);
  await ctx.db.execute(sql`insert into platform_pauses (platform, reason, paused_at, retry_at) values ('tiktok', 'invalid_client', ${now}, ${at(3_600_000)})`);
  const leased = await claimDueRefreshes(ctx.db, { now, limit: 150, leaseMs: 120_000, owner: 'busy' });
  assert.equal(leased.length, 150);
  assert.ok(leased.every((r) => r.platform === 'x'));
  assert.equal((await nextRefreshDueAt(ctx.db))?.getTime(), at(120_000).getTime(), 'nothing free: the first lease to lapse');
  // ...and one free row due in 10 minutes: that is the next stop, not the pause's end or a lease.
  await planConnectionRefresh(ctx.db, { connectionId: randomUUID(), platform: 'pinterest', dueAt: at(600_000), purpose: 'refresh', now });
  assert.equal((await nextRefreshDueAt(ctx.db))?.getTime(), at(120_000).getTime());
  await ctx.db.execute(sql`update connection_refreshes set lease_owner = null, lease_until = null`);
  assert.equal((await nextRefreshDueAt(ctx.db))?.getTime(), at(-60_000 + 150).getTime(), 'the X rows are due again at once');
  await ctx.db.execute(sql`delete from connection_refreshes where platform = 'x'`);
  assert.equal((await nextRefreshDueAt(ctx.db))?.getTime(), at(600_000).getTime(), 'the free row beats the paused platform');
  await ctx.db.execute(sql`delete from connection_refreshes where platform = 'pinterest'`);
  assert.equal((await nextRefreshDueAt(ctx.db))?.getTime(), at(3_600_000).getTime(), 'the paused rows wait for the pause');
});
