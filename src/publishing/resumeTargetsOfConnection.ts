import { sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import { notifyDue } from '../jobs/dueQueue.ts';
import { NEEDS_RECONNECT_FAILURE, POST_TARGETS_DUE_CHANNEL } from '../posts/targetsRepo.ts';
import { targetRef } from './failPausedTargets.ts';
import { notifyPostFailed } from './notifyPostFailed.ts';

/**
 * After a reconnect (the lifecycle engine calls it in the reconnect's transaction): paused
 * targets whose time is ahead, or passed less than PUBLISH_RECONNECT_GRACE_MINUTES ago, go back
 * to `scheduled` at their time (a past one goes out now; runners woken). Those whose time passed
 * longer ago become `failed` with `connection_needs_reconnect` (the grace sweep would have failed
 * them anyway), with the workspace's `post.failed` webhook, so the planner offers them for retry
 * or rescheduling instead of posting them late unasked. Returns both lists of target ids.
 */
export async function resumeTargetsOfConnection(
  ctx: Pick<AppContext, 'config' | 'jobs'>,
  tx: Database,
  connectionId: string,
  now: Date,
): Promise<{ resumed: string[]; passed: string[] }> {
  const cutoff = new Date(now.getTime() - ctx.config.publishReconnectGraceMs);
  const resumed = await tx.execute(sql`
    update post_targets
    set status = 'scheduled', due_at = scheduled_at, paused_reason = null, lease_owner = null, lease_until = null,
        updated_at = ${now}, version = version + 1
    where connection_id = ${connectionId} and status = 'paused' and scheduled_at > ${cutoff}
    returning id`);
  const failure = { status: 'failed' as const, code: NEEDS_RECONNECT_FAILURE, message: 'The connection needed reconnecting when this post was due' };
  const passed = await tx.execute(sql`
    update post_targets
    set status = 'failed', failure_code = ${failure.code}, failure_message = ${failure.message},
        lease_owner = null, lease_until = null, updated_at = ${now}, version = version + 1
    where connection_id = ${connectionId} and status = 'paused' and (scheduled_at is null or scheduled_at <= ${cutoff})
    returning id, post_id, workspace_id, connection_id, platform, scheduled_at`);
  for (const row of passed.rows) await notifyPostFailed(ctx, tx, targetRef(row), failure, now);
  if (resumed.rows.length > 0) await notifyDue(tx, POST_TARGETS_DUE_CHANNEL);
  return { resumed: resumed.rows.map((r) => String(r.id)), passed: passed.rows.map((r) => String(r.id)) };
}
