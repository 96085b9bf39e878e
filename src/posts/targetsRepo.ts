import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { textArray } from '../db/textArray.ts';
import { notifyDue } from '../jobs/dueQueue.ts';
import { planRefreshBeforePosts } from '../lifecycle/planBeforePosts.ts';

/**
 * Status changes of post targets that other domains drive (the lifecycle engine on a connection's
 * trouble; the user's retries). Resuming after a reconnect and failing paused targets after the
 * grace are the publishing engine's (src/publishing). Each is one statement, safe to call inside the
 * caller's transaction, and touches only targets in the states it names, so it never races the
 * publisher: a target already claimed (`publishing`, or `scheduled` under a live lease) is left
 * to the publisher, which pauses it itself on a token error.
 */

/** The NOTIFY channel of the publishing due queue: writes that make a target due sooner wake the runners. */
export const POST_TARGETS_DUE_CHANNEL = 'post_targets_due';

/**
 * After targets of these connections were put on the schedule, in the same transaction: wakes the
 * publishers, and lets the refresh engine plan for the new posts (a short-lived token is refreshed
 * just before the first post it does not cover, see planBeforePosts.ts).
 */
export async function targetsScheduled(db: Database, connectionIds: readonly string[], now: Date): Promise<void> {
  await notifyDue(db, POST_TARGETS_DUE_CHANNEL);
  await planRefreshBeforePosts(db, connectionIds, now);
}

/** Reason code a paused target gets when its time passed without a reconnect. */
export const NEEDS_RECONNECT_FAILURE = 'connection_needs_reconnect';

/**
 * Holds every scheduled target of the connection: `paused` with `reason`, no longer due.
 * Targets under a live lease are being published right now and are left alone. Returns how many were paused.
 */
export async function pauseTargetsOfConnection(db: Database, connectionId: string, reason: string, now: Date): Promise<number> {
  const res = await db.execute(sql`
    update post_targets
    set status = 'paused', paused_reason = ${reason}, due_at = null, lease_owner = null, lease_until = null,
        updated_at = ${now}, version = version + 1
    where connection_id = ${connectionId} and status = 'scheduled'
      and (lease_until is null or lease_until < ${now})
    returning id`);
  return res.rows.length;
}

/**
 * Puts failed targets back on the schedule at `at` (a retry "now" passes the current time),
 * one by one (`targetIds`) or every failed target of a connection. Only `failed` targets move
 * (a failure is definite: the platform has no post, so the intent and step progress are
 * cleared for a fresh attempt); `unknown` ones need the user's decision first.
 */
export async function rescheduleFailedTargets(
  db: Database,
  scope: { workspaceId: string; targetIds?: string[]; connectionId?: string },
  at: Date,
  now: Date,
): Promise<string[]> {
  const byTargets = scope.targetIds ? sql`and id::text = any(${textArray(scope.targetIds)}::text[])` : sql``;
  const byConnection = scope.connectionId ? sql`and connection_id = ${scope.connectionId}` : sql``;
  const res = await db.execute(sql`
    update post_targets
    set status = 'scheduled', scheduled_at = ${at}, due_at = ${at}, failure_code = null, failure_message = null,
        paused_reason = null, next_attempt_at = null, lease_owner = null, lease_until = null,
        intent_at = null, publish_state = null, updated_at = ${now}, version = version + 1
    where workspace_id = ${scope.workspaceId} and status = 'failed' ${byTargets} ${byConnection}
    returning id, connection_id`);
  if (res.rows.length > 0) await targetsScheduled(db, res.rows.map((r) => String(r.connection_id)), now);
  return ids(res.rows);
}

const ids = (rows: Record<string, unknown>[]) => rows.map((r) => String(r.id));
