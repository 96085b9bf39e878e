import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { createPost, type PostScope } from './createPost.ts';
import { pauseTargetsOfConnection, rescheduleFailedTargets } from './targetsRepo.ts';
import { insertTestConnection, insertTestWorkspace } from './testing/postsFixtures.ts';

// Clock: Monday 2026-01-05 09:00 UTC.
// Resuming after a reconnect and the grace sweep: src/publishing/pausedTargets.test.ts.
describe('targetsRepo: pause, reschedule failed', () => {
  let ctx: TestContext;
  let scope: PostScope;
  let x: string;
  let other: string;
  const statusOf = async (connectionId: string) =>
    (
      await ctx.database.query<{ status: string; due_at: Date | null; paused_reason: string | null; failure_code: string | null; scheduled_at: Date }>(
        'select status, due_at, paused_reason, failure_code, scheduled_at from post_targets where connection_id = $1 order by scheduled_at',
        [connectionId],
      )
    ).rows.map((r) => ({ ...r, due_at: r.due_at && new Date(r.due_at).toISOString() }));

  before(async () => {
    ctx = await openTestContext();
    const workspaceId = await insertTestWorkspace(ctx.db);
    scope = { workspaceId, timeZone: 'UTC', userId: null };
    x = await insertTestConnection(ctx.db, workspaceId, { platform: 'x' });
    other = await insertTestConnection(ctx.db, workspaceId, { platform: 'mastodon' });
    for (const at of ['2026-01-05T09:10', '2026-01-05T12:00', '2026-01-06T09:00']) {
      await createPost(ctx, scope, { content: { text: `at ${at}`, mediaIds: [] }, connectionIds: [x, other], scheduledAt: at });
    }
  });
  after(() => ctx.close());

  it('pauses the scheduled targets of one connection (not due any more), leaving claimed ones and other connections alone', async () => {
    // One target is claimed by a publisher right now.
    await ctx.database.query(`update post_targets set lease_owner = 'w', lease_until = $2 where connection_id = $1 and scheduled_at = '2026-01-06T09:00Z'`, [
      x,
      new Date(ctx.clock.nowMs() + 60_000),
    ]);
    const paused = await ctx.db.transaction((tx) => pauseTargetsOfConnection(tx, x, 'token_revoked', ctx.clock.now()));
    assert.equal(paused, 2);
    const rows = await statusOf(x);
    assert.deepEqual(rows.map((r) => [r.status, r.due_at, r.paused_reason]), [
      ['paused', null, 'token_revoked'],
      ['paused', null, 'token_revoked'],
      ['scheduled', rows[2]!.due_at, null],
    ]);
    assert.ok((await statusOf(other)).every((r) => r.status === 'scheduled'));
    await ctx.database.query(`update post_targets set lease_owner = null, lease_until = null where connection_id = $1`, [x]);
  });

  it('puts failed targets back on the schedule, one by one or for a whole connection', async () => {
    await ctx.database.query(`update post_targets set status = 'failed', failure_code = 'connection_needs_reconnect' where connection_id = $1 and status = 'paused'`, [x]);
    const [first] = (await ctx.database.query<{ id: string }>(`select id from post_targets where connection_id = $1 and status = 'failed' order by scheduled_at`, [x])).rows;
    const at = new Date('2026-01-05T13:00:00Z');
    assert.deepEqual(await rescheduleFailedTargets(ctx.db, { workspaceId: scope.workspaceId, targetIds: [first!.id] }, at, ctx.clock.now()), [first!.id]);
    const rest = await rescheduleFailedTargets(ctx.db, { workspaceId: scope.workspaceId, connectionId: x }, ctx.clock.now(), ctx.clock.now());
    assert.equal(rest.length, 1);
    const rows = await statusOf(x);
    assert.ok(rows.every((r) => r.status === 'scheduled' && r.failure_code === null && r.due_at !== null));
    // Another workspace's scope touches nothing.
    assert.deepEqual(await rescheduleFailedTargets(ctx.db, { workspaceId: '00000000-0000-4000-8000-000000000000', connectionId: x }, at, ctx.clock.now()), []);
  });
});
