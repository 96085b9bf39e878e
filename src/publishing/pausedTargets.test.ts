/**
 * Never lost: targets paused by a connection that needs reconnecting. The grace sweep fails those
 * whose time passed more than PUBLISH_RECONNECT_GRACE_MINUTES ago; a reconnect sends out at once
 * those whose time passed less long ago and fails the older ones. Every failure enqueues the
 * workspace's `post.failed` webhook in its own transaction.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { pauseTargetsOfConnection } from '../posts/targetsRepo.ts';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { createWebhookEndpoint } from '../webhooks/webhookEndpointsRepo.ts';
import { claimDueTargets } from './claimDueTargets.ts';
import { nextPausedPastGraceAt } from './failPausedTargets.ts';
import { resumeTargetsOfConnection } from './resumeTargetsOfConnection.ts';
import { runGraceSweep } from './testing/runPublishing.ts';
import { insertScheduledPost, targetRow } from './testing/testPlatform.ts';

const MINUTE = 60_000;
const GRACE_MS = 15 * MINUTE;
let ctx: TestContext;
const workspaceId = randomUUID();

before(async () => {
  ctx = await openTestContext({ env: { ENCRYPTION_KEYS: `p1:${randomBytes(32).toString('base64')}`, PUBLISH_RECONNECT_GRACE_MINUTES: '15' } });
  await ctx.jobs.start();
  await createWebhookEndpoint(ctx, ctx.db, { workspaceId, url: 'https://93.184.216.34/hook', events: ['post.failed'], description: '', createdBy: null, now: ctx.clock.now() });
});
after(async () => {
  await ctx.jobs.stop(0);
  await ctx.close();
});

async function pausedTargets(connectionId: string, minutesFromNow: number[]): Promise<string[]> {
  const ids: string[] = [];
  for (const m of minutesFromNow) {
    ids.push(...(await insertScheduledPost(ctx.db, { workspaceId, connectionIds: [connectionId], platform: 'x', at: new Date(ctx.clock.nowMs() + m * MINUTE), now: ctx.clock.now() })));
  }
  await pauseTargetsOfConnection(ctx.db, connectionId, 'token_revoked', ctx.clock.now());
  return ids;
}

const failedEvents = async (targetId: string) =>
  (await ctx.db.execute(sql`select payload from webhook_deliveries where event_type = 'post.failed' and payload->'data'->>'targetId' = ${targetId}`)).rows.map(
    (r) => (r.payload as { data: Record<string, unknown> }).data,
  );

describe('paused targets', () => {
  test('the grace sweep fails a paused target only once its time passed more than the grace ago, with its webhook', async () => {
    const connectionId = randomUUID();
    const [id] = await pausedTargets(connectionId, [10]);
    assert.equal((await nextPausedPastGraceAt(ctx.db, GRACE_MS))?.getTime(), ctx.clock.nowMs() + 10 * MINUTE + GRACE_MS);
    ctx.clock.advance(20 * MINUTE); // 10 minutes past its time
    assert.equal(await runGraceSweep(ctx, GRACE_MS), 0);
    assert.equal((await targetRow(ctx.db, id!)).status, 'paused');
    assert.deepEqual(await failedEvents(id!), []);
    ctx.clock.advance(6 * MINUTE);
    assert.equal(await runGraceSweep(ctx, GRACE_MS), 1);
    const row = await targetRow(ctx.db, id!);
    assert.deepEqual([row.status, row.failure_code, row.lease_owner], ['failed', 'connection_needs_reconnect', null]);
    const [event] = await failedEvents(id!);
    assert.deepEqual([event?.status, event?.reason, event?.connectionId], ['failed', 'connection_needs_reconnect', connectionId]);
    assert.equal(await runGraceSweep(ctx, GRACE_MS), 0, 'failed once');
  });

  test('a reconnect sends out at once what passed within the grace, keeps the future on time, fails the older', async () => {
    const connectionId = randomUUID();
    const [older, recent, future] = await pausedTargets(connectionId, [-40, -10, 60]);
    const moved = await ctx.db.transaction((tx) => resumeTargetsOfConnection(ctx, tx, connectionId, ctx.clock.now()));
    assert.deepEqual(moved.passed, [older]);
    assert.deepEqual(new Set(moved.resumed), new Set([recent, future]));

    const rows = await Promise.all([older, recent, future].map((id) => targetRow(ctx.db, id!)));
    assert.deepEqual(rows.map((r) => r.status), ['failed', 'scheduled', 'scheduled']);
    assert.equal(rows[0]!.failure_code, 'connection_needs_reconnect');
    assert.equal(new Date(rows[2]!.due_at as Date).getTime(), ctx.clock.nowMs() + 60 * MINUTE, 'the future one goes at its own time');
    const claimed = await claimDueTargets(ctx.db, { now: ctx.clock.now(), limit: 10, leaseMs: MINUTE, owner: 'after-reconnect' });
    assert.deepEqual(claimed.map((c) => c.id), [recent], 'the one 10 minutes late goes out now');
    assert.equal((await failedEvents(older!)).length, 1, 'the older one has its post.failed webhook');
    assert.deepEqual(await failedEvents(recent!), []);
    await ctx.db.execute(sql`update post_targets set status = 'cancelled' where id = ${recent!}`);
  });

  test('the failure and its webhook commit together: a rolled-back reconnect leaves the targets paused and enqueues nothing', async () => {
    const connectionId = randomUUID();
    const [older] = await pausedTargets(connectionId, [-40]);
    await ctx.db
      .transaction(async (tx) => {
        await resumeTargetsOfConnection(ctx, tx, connectionId, ctx.clock.now());
        throw new Error('the reconnect failed later');
      })
      .catch((err: unknown) => assert.match(String(err), /reconnect failed later/));
    assert.equal((await targetRow(ctx.db, older!)).status, 'paused');
    assert.deepEqual(await failedEvents(older!), []);
  });
});
