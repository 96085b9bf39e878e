import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import type { PostContent } from '../posts/postContent.ts';
import type { TargetStatus } from '../posts/schema.ts';

/**
 * The publishing engine's writes to `post_targets`. Each one is a single conditional UPDATE
 * fenced by the lease owner (and the version the worker last wrote), so a worker that lost its
 * lease can never overwrite what another worker or the user did. Each returns whether it applied.
 */

export type TargetForPublish = {
  id: string;
  postId: string;
  workspaceId: string;
  connectionId: string;
  platform: string;
  status: TargetStatus;
  scheduledAt: Date;
  attempts: number;
  publishState: Record<string, unknown> | null;
  intentAt: Date | null;
  platformPostId: string | null;
  leaseOwner: string | null;
  version: number;
  content: PostContent;
};

export async function loadTargetForPublish(db: Database, id: string): Promise<TargetForPublish | null> {
  const res = await db.execute(sql`
    select t.id, t.post_id, t.workspace_id, t.connection_id, t.platform, t.status, t.scheduled_at,
           t.attempts, t.publish_state, t.intent_at, t.platform_post_id, t.lease_owner, t.version, p.content
    from post_targets t join posts p on p.id = t.post_id
    where t.id = ${id}`);
  const r = res.rows[0] as Record<string, unknown> | undefined;
  if (!r) return null;
  return {
    id: String(r.id),
    postId: String(r.post_id),
    workspaceId: String(r.workspace_id),
    connectionId: String(r.connection_id),
    platform: String(r.platform),
    status: r.status as TargetStatus,
    scheduledAt: new Date(r.scheduled_at as Date),
    attempts: Number(r.attempts),
    publishState: (r.publish_state as Record<string, unknown> | null) ?? null,
    intentAt: r.intent_at ? new Date(r.intent_at as Date) : null,
    platformPostId: (r.platform_post_id as string | null) ?? null,
    leaseOwner: (r.lease_owner as string | null) ?? null,
    version: Number(r.version),
    content: r.content as PostContent,
  };
}

type Fence = { id: string; owner: string; version: number };

async function applied(db: Database, query: ReturnType<typeof sql>): Promise<number | null> {
  const res = await db.execute(query);
  const row = res.rows[0] as { version: number } | undefined;
  return row ? Number(row.version) : null;
}

/**
 * The committed intent, written BEFORE the platform is called: from here on a crash leaves a
 * target whose outcome is uncertain, which is never published again blindly. The lease is
 * extended to cover the call. Returns the new version (the fence for the writes after the call).
 */
export function recordIntent(db: Database, f: Fence, now: Date, leaseUntil: Date): Promise<number | null> {
  return applied(db, sql`
    update post_targets set status = 'publishing', intent_at = ${now}, attempts = attempts + 1,
      lease_until = ${leaseUntil}, due_at = null, next_attempt_at = null, updated_at = ${now}, version = version + 1
    where id = ${f.id} and lease_owner = ${f.owner} and version = ${f.version} and status in ('scheduled', 'publishing')
    returning version`);
}

/** A completed step of multi-step publishing; false when the lease was lost (stop publishing). */
export async function savePublishState(db: Database, f: Fence, state: Record<string, unknown>, now: Date): Promise<boolean> {
  const res = await db.execute(sql`
    update post_targets set publish_state = ${JSON.stringify(state)}::jsonb, updated_at = ${now}
    where id = ${f.id} and lease_owner = ${f.owner} and status = 'publishing'
    returning id`);
  return res.rows.length > 0;
}

/**
 * The platform's ids, right after the call. Not fenced by the lease: the post exists on the
 * platform, and recording that fact beats losing it (whoever holds the target now will find it
 * published). Only a target already recorded as published is left alone.
 */
export async function recordPublished(
  db: Database,
  id: string,
  result: { platformPostId: string; url: string | null },
  now: Date,
): Promise<boolean> {
  const res = await db.execute(sql`
    update post_targets set status = 'published', platform_post_id = ${result.platformPostId}, platform_url = ${result.url},
      published_at = ${now}, due_at = null, next_attempt_at = null, lease_owner = null, lease_until = null,
      failure_code = null, failure_message = null, paused_reason = null, updated_at = ${now}, version = version + 1
    where id = ${id} and platform_post_id is null
    returning id`);
  return res.rows.length > 0;
}

/**
 * Back to `scheduled` for another attempt at `at`. `certain` says the platform answered with an
 * error (nothing was published), so the intent is cleared; after a timeout or a lost response
 * the intent stays, and the next attempt starts by checking the platform.
 */
export function scheduleRetry(
  db: Database,
  f: Fence,
  input: { at: Date; certain: boolean; code: string; message: string },
  now: Date,
): Promise<number | null> {
  return applied(db, sql`
    update post_targets set status = 'scheduled', due_at = ${input.at}, next_attempt_at = ${input.at},
      intent_at = case when ${input.certain}::boolean then null else intent_at end,
      lease_owner = null, lease_until = null, failure_code = ${input.code}, failure_message = ${input.message},
      updated_at = ${now}, version = version + 1
    where id = ${f.id} and lease_owner = ${f.owner} and version = ${f.version} and status in ('scheduled', 'publishing')
    returning version`);
}

/** A terminal state decided by the engine: `failed` (with the platform's reason) or `unknown`. */
export function settleTarget(
  db: Database,
  f: Fence,
  input: { status: 'failed' | 'unknown'; code: string; message: string },
  now: Date,
): Promise<number | null> {
  return applied(db, sql`
    update post_targets set status = ${input.status}, failure_code = ${input.code}, failure_message = ${input.message},
      due_at = null, next_attempt_at = null, lease_owner = null, lease_until = null, updated_at = ${now}, version = version + 1
    where id = ${f.id} and lease_owner = ${f.owner} and version = ${f.version} and status in ('scheduled', 'publishing')
    returning version`);
}

/** Paused until its connection is reconnected (resumeTargetsOfConnection brings it back). */
export function pauseClaimedTarget(db: Database, f: Fence, reason: string, now: Date): Promise<number | null> {
  return applied(db, sql`
    update post_targets set status = 'paused', paused_reason = ${reason}, due_at = null, next_attempt_at = null,
      lease_owner = null, lease_until = null, updated_at = ${now}, version = version + 1
    where id = ${f.id} and lease_owner = ${f.owner} and version = ${f.version} and status in ('scheduled', 'publishing')
    returning version`);
}

/**
 * Not now (a rate limit): due again at `at`, no attempt counted. `clearIntent` when the platform
 * was just checked and holds no such post (the uncertain outcome is resolved).
 */
export function deferTarget(db: Database, f: Fence, input: { at: Date; clearIntent: boolean }, now: Date): Promise<number | null> {
  return applied(db, sql`
    update post_targets set status = 'scheduled', due_at = ${input.at}, next_attempt_at = ${input.at},
      intent_at = case when ${input.clearIntent}::boolean then null else intent_at end,
      lease_owner = null, lease_until = null, updated_at = ${now}, version = version + 1
    where id = ${f.id} and lease_owner = ${f.owner} and version = ${f.version} and status in ('scheduled', 'publishing')
    returning version`);
}
