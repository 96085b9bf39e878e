import { sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import { AppError, notFound } from '../http/errors.ts';
import { getLifecycleConnection } from '../lifecycle/connectionLifecycleRow.ts';
import { rescheduleFailedTargets, targetsScheduled } from '../posts/targetsRepo.ts';

/**
 * What the user decides about targets the engine could not deliver: retry now or at a time
 * (`failed`, and `unknown` once the user says it is not on the platform), one by one or every
 * failed target of a connection, or mark an `unknown` one as published with its URL.
 * Each runs in one transaction; a refused action changes nothing.
 */

export type TargetSummary = {
  id: string;
  postId: string;
  connectionId: string;
  platform: string;
  status: string;
  scheduledAt: Date | null;
  platformUrl: string | null;
  failureCode: string | null;
  failureMessage: string | null;
};

async function lockTarget(tx: Database, workspaceId: string, targetId: string) {
  const res = await tx.execute(sql`
    select id, status, connection_id from post_targets where id = ${targetId} and workspace_id = ${workspaceId} for update`);
  const row = res.rows[0] as { id: string; status: string; connection_id: string } | undefined;
  if (!row) throw notFound('target');
  return row;
}

/** A retry only makes sense once the connection can publish again. */
async function requireUsableConnection(tx: Database, connectionId: string): Promise<void> {
  const c = await getLifecycleConnection(tx, connectionId);
  if (!c) throw notFound('connection');
  if (c.state === 'needs_reconnect' || c.state === 'disconnected') {
    throw new AppError('connection_needs_reconnect', 'Reconnect the account first: its posts cannot go out until then');
  }
}

/** Puts one `failed` or `unknown` target back on the schedule at `at` (now for "retry now"). */
export async function retryTarget(ctx: AppContext, workspaceId: string, targetId: string, at: Date): Promise<TargetSummary> {
  const now = ctx.clock.now();
  await ctx.db.transaction(async (tx) => {
    const target = await lockTarget(tx, workspaceId, targetId);
    if (target.status !== 'failed' && target.status !== 'unknown') {
      throw new AppError('target_not_retryable', `Only failed or unknown targets can be retried (this one is ${target.status})`);
    }
    await requireUsableConnection(tx, target.connection_id);
    if (target.status === 'failed') {
      await rescheduleFailedTargets(tx, { workspaceId, targetIds: [targetId] }, at, now);
      return;
    }
    // `unknown`: the user checked the platform and the post is not there. Their explicit
    // decision clears the uncertain intent so the next attempt publishes instead of asking again.
    await tx.execute(sql`
      update post_targets
      set status = 'scheduled', scheduled_at = ${at}, due_at = ${at}, intent_at = null, publish_state = null,
          failure_code = null, failure_message = null, next_attempt_at = null, lease_owner = null, lease_until = null,
          updated_at = ${now}, version = version + 1
      where id = ${targetId}`);
    await targetsScheduled(tx, [target.connection_id], now);
  });
  return (await findTarget(ctx.db, workspaceId, targetId))!;
}

/** Every `failed` target of a connection back on the schedule at `at` (after a reconnect). */
export async function retryFailedTargetsOfConnection(ctx: AppContext, workspaceId: string, connectionId: string, at: Date): Promise<string[]> {
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const c = await getLifecycleConnection(tx, connectionId);
    if (!c || c.workspaceId !== workspaceId) throw notFound('connection');
    await requireUsableConnection(tx, connectionId);
    return rescheduleFailedTargets(tx, { workspaceId, connectionId }, at, now);
  });
}

/** The user found an `unknown` target's post on the platform: it is published, with its URL. */
export async function markTargetPublished(ctx: AppContext, workspaceId: string, targetId: string, url: string): Promise<TargetSummary> {
  const now = ctx.clock.now();
  await ctx.db.transaction(async (tx) => {
    const target = await lockTarget(tx, workspaceId, targetId);
    if (target.status !== 'unknown') {
      throw new AppError('target_not_retryable', `Only a target whose outcome is unknown can be marked published (this one is ${target.status})`);
    }
    await tx.execute(sql`
      update post_targets
      set status = 'published', platform_url = ${url}, published_at = coalesce(intent_at, ${now}),
          failure_code = null, failure_message = null, due_at = null, lease_owner = null, lease_until = null,
          updated_at = ${now}, version = version + 1
      where id = ${targetId}`);
  });
  return (await findTarget(ctx.db, workspaceId, targetId))!;
}

export async function findTarget(db: Database, workspaceId: string, targetId: string): Promise<TargetSummary | null> {
  const res = await db.execute(sql`
    select id, post_id, connection_id, platform, status, scheduled_at, platform_url, failure_code, failure_message
    from post_targets where id = ${targetId} and workspace_id = ${workspaceId}`);
  const r = res.rows[0] as Record<string, unknown> | undefined;
  if (!r) return null;
  return {
    id: String(r.id),
    postId: String(r.post_id),
    connectionId: String(r.connection_id),
    platform: String(r.platform),
    status: String(r.status),
    scheduledAt: r.scheduled_at ? new Date(r.scheduled_at as Date) : null,
    platformUrl: (r.platform_url as string | null) ?? null,
    failureCode: (r.failure_code as string | null) ?? null,
    failureMessage: (r.failure_message as string | null) ?? null,
  };
}
