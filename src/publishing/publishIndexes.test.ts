/**
 * The publishing engine's frequent queries read partial indexes, not the whole post_targets
 * table: targets stuck in or polling from `publishing` (the claim, the next due time) and paused
 * targets (the grace sweep and its next due time). Checked with EXPLAIN on both engines, with
 * sequential scans discouraged so that a missing index shows as a different plan.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { insertScheduledPost } from './testing/testPlatform.ts';

let ctx: TestContext;

before(async () => {
  ctx = await openTestContext();
  const workspaceId = randomUUID();
  for (let i = 0; i < 40; i++) {
    await insertScheduledPost(ctx.db, { workspaceId, connectionIds: [randomUUID(), randomUUID()], at: new Date(ctx.clock.nowMs() + i * 60_000), now: ctx.clock.now() });
  }
  await ctx.db.execute(sql`update post_targets set status = (array['published', 'paused', 'publishing', 'failed'])[1 + (abs(hashtext(id::text)) % 4)]`);
  await ctx.db.execute(sql`update post_targets set lease_until = scheduled_at where status = 'publishing'`);
  await ctx.db.execute(sql`analyze post_targets`);
});
after(async () => ctx.close());

async function plan(query: ReturnType<typeof sql>): Promise<string> {
  return ctx.db.transaction(async (tx) => {
    await tx.execute(sql`set local enable_seqscan = off`);
    const res = await tx.execute(sql`explain ${query}`);
    return res.rows.map((r) => String(Object.values(r)[0])).join('\n');
  });
}

describe('indexes of the publishing queries', () => {
  const now = new Date('2026-01-05T10:00:00Z');

  test('stale or polling targets (claim) and their next lease end read post_targets_lease_idx', async () => {
    assert.match(await plan(sql`select id from post_targets where status = 'publishing' and lease_until <= ${now} order by lease_until limit 64 for update skip locked`), /post_targets_lease_idx/);
    assert.match(await plan(sql`select min(lease_until) from post_targets where status = 'publishing'`), /post_targets_lease_idx/);
  });

  test('the grace sweep and its next due time read post_targets_paused_idx', async () => {
    // The planner may also serve the sweep from the planner's (workspace_id, status, scheduled_at)
    // index; either way it reads an index on the paused rows, never the table.
    const sweep = await plan(sql`select id from post_targets where status = 'paused' and scheduled_at <= ${now} and (lease_until is null or lease_until <= ${now}) order by scheduled_at limit 100 for update skip locked`);
    assert.match(sweep, /post_targets_paused_idx|post_targets_workspace_status_idx/);
    assert.doesNotMatch(sweep, /Seq Scan/);
    assert.match(await plan(sql`select min(scheduled_at) from post_targets where status = 'paused'`), /post_targets_paused_idx/);
  });
});
