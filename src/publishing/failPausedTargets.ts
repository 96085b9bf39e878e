import { sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import { NEEDS_RECONNECT_FAILURE } from '../posts/targetsRepo.ts';
import { notifyPostFailed, type FailedTargetRef } from './notifyPostFailed.ts';

/**
 * Never lost: a target paused by a connection that needs reconnecting waits; once its time
 * passed more than the grace ago it becomes `failed` with `connection_needs_reconnect` (it stays
 * in the planner and can be retried), and the workspace's `post.failed` webhook goes out in the
 * same transaction. The sweep is a due queue: the claim leases the candidates (the partial
 * index `post_targets_paused_idx`), each is failed on its own.
 */
export type PausedPastGrace = FailedTargetRef & { leaseOwner: string };

export async function claimPausedPastGrace(
  db: Database,
  input: { now: Date; limit: number; leaseMs: number; owner: string; graceMs: number },
): Promise<PausedPastGrace[]> {
  const cutoff = new Date(input.now.getTime() - input.graceMs);
  const res = await db.execute(sql`
    update post_targets set lease_owner = ${input.owner}, lease_until = ${new Date(input.now.getTime() + input.leaseMs)}
    where id in (
      select id from post_targets
      where status = 'paused' and scheduled_at <= ${cutoff} and (lease_until is null or lease_until <= ${input.now})
      order by scheduled_at
      limit ${input.limit}
      for update skip locked)
    returning id, post_id, workspace_id, connection_id, platform, scheduled_at`);
  return (res.rows as Record<string, unknown>[]).map((r) => ({ ...targetRef(r), leaseOwner: input.owner }));
}

/** Fails one claimed paused target (still paused: a reconnect meanwhile wins). */
export async function failPausedTarget(ctx: AppContext, target: PausedPastGrace): Promise<boolean> {
  const now = ctx.clock.now();
  const failure = { status: 'failed' as const, code: NEEDS_RECONNECT_FAILURE, message: 'The connection was not reconnected in time for this post' };
  return ctx.db.transaction(async (tx) => {
    const res = await tx.execute(sql`
      update post_targets
      set status = 'failed', failure_code = ${failure.code}, failure_message = ${failure.message},
          lease_owner = null, lease_until = null, updated_at = ${now}, version = version + 1
      where id = ${target.id} and lease_owner = ${target.leaseOwner} and status = 'paused'
      returning id`);
    if (res.rows.length === 0) return false;
    await notifyPostFailed(ctx, tx, target, failure, now);
    return true;
  });
}

/** When the sweep next has work: the earliest paused target's time plus the grace. */
export async function nextPausedPastGraceAt(db: Database, graceMs: number): Promise<Date | null> {
  const res = await db.execute(sql`select min(scheduled_at) as at from post_targets where status = 'paused'`);
  const at = (res.rows[0] as { at: Date | string | null } | undefined)?.at;
  return at ? new Date(new Date(at).getTime() + graceMs) : null;
}

export function targetRef(r: Record<string, unknown>): FailedTargetRef {
  return {
    id: String(r.id),
    postId: String(r.post_id),
    workspaceId: String(r.workspace_id),
    connectionId: String(r.connection_id),
    platform: String(r.platform),
    scheduledAt: r.scheduled_at ? new Date(r.scheduled_at as Date) : null,
  };
}
