import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { notifyDue } from '../jobs/dueQueue.ts';
import { toTextArray } from './connectionsLookup.ts';

/**
 * Status changes of post targets that other domains drive (the lifecycle engine on a connection's
 * trouble and reconnect; the grace sweep). Each is one statement, safe to call inside the
 * caller's transaction, and touches only targets in the states it names, so it never races the
 * publisher: a target already claimed (`publishing`, or `scheduled` under a live lease) is left
 * to the publisher, which pauses it itself on a token error.
 */

/** The NOTIFY channel of the publishing due queue: writes that make a target due sooner wake the runners. */
export const POST_TARGETS_DUE_CHANNEL = 'post_targets_due';

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
 * After a reconnect: paused targets whose time is still ahead go back to `scheduled` (due at their
 * time, runners woken); those whose time has passed become `failed` with reason
 * `connection_needs_reconnect`, so the planner offers them for retry or rescheduling instead of
 * posting them late unasked. Returns both lists of target ids.
 */
export async function resumeTargetsOfConnection(db: Database, connectionId: string, now: Date): Promise<{ resumed: string[]; passed: string[] }> {
  const resumed = await db.execute(sql`
    update post_targets
    set status = 'scheduled', due_at = scheduled_at, paused_reason = null, updated_at = ${now}, version = version + 1
    where connection_id = ${connectionId} and status = 'paused' and scheduled_at > ${now}
    returning id`);
  const passed = await db.execute(sql`
    update post_targets
    set status = 'failed', failure_code = ${NEEDS_RECONNECT_FAILURE},
        failure_message = 'The connection needed reconnecting when this post was due',
        updated_at = ${now}, version = version + 1
    where connection_id = ${connectionId} and status = 'paused' and (scheduled_at is null or scheduled_at <= ${now})
    returning id`);
  if (resumed.rows.length > 0) await notifyDue(db, POST_TARGETS_DUE_CHANNEL);
  return { resumed: ids(resumed.rows), passed: ids(passed.rows) };
}

export type FailedPausedTarget = { id: string; postId: string; workspaceId: string; connectionId: string };

/**
 * Paused targets whose time passed more than `graceMs` ago become `failed` with reason
 * `connection_needs_reconnect` (product: never lost; it stays in the planner and can be retried).
 */
export async function failPausedTargetsPastGrace(db: Database, now: Date, graceMs: number): Promise<FailedPausedTarget[]> {
  const cutoff = new Date(now.getTime() - graceMs);
  const res = await db.execute(sql`
    update post_targets
    set status = 'failed', failure_code = ${NEEDS_RECONNECT_FAILURE},
        failure_message = 'The connection was not reconnected in time for this post',
        updated_at = ${now}, version = version + 1
    where status = 'paused' and scheduled_at <= ${cutoff}
    returning id, post_id, workspace_id, connection_id`);
  return (res.rows as { id: string; post_id: string; workspace_id: string; connection_id: string }[]).map((r) => ({
    id: r.id,
    postId: r.post_id,
    workspaceId: r.workspace_id,
    connectionId: r.connection_id,
  }));
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
  const byTargets = scope.targetIds ? sql`and id::text = any(${toTextArray(scope.targetIds)}::text[])` : sql``;
  const byConnection = scope.connectionId ? sql`and connection_id = ${scope.connectionId}` : sql``;
  const res = await db.execute(sql`
    update post_targets
    set status = 'scheduled', scheduled_at = ${at}, due_at = ${at}, failure_code = null, failure_message = null,
        paused_reason = null, next_attempt_at = null, lease_owner = null, lease_until = null,
        intent_at = null, publish_state = null, updated_at = ${now}, version = version + 1
    where workspace_id = ${scope.workspaceId} and status = 'failed' ${byTargets} ${byConnection}
    returning id`);
  if (res.rows.length > 0) await notifyDue(db, POST_TARGETS_DUE_CHANNEL);
  return ids(res.rows);
}

const ids = (rows: Record<string, unknown>[]) => rows.map((r) => String(r.id));
