import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { textArray } from '../db/textArray.ts';

/**
 * The publishing engine's writes to `post_targets` after a claim. Each one is a single
 * conditional UPDATE fenced by the lease owner (and the version the worker last wrote), so a
 * worker that lost its lease can never overwrite what another worker or the user did. Each
 * returns the new version, or null when it did not apply.
 *
 * The claim itself records the intent (`claimDueTargets`). A run that ends before any platform
 * call could have posted gives that intent back (`keepIntent: false` with `uncount`): the target
 * is as it was before the claim. A run whose outcome may exist on the platform keeps it
 * (`keepIntent: true`), and the next run looks the post up before anything else.
 */
export type Fence = { id: string; owner: string; version: number };

/** Joined into a write: its transaction commits without waiting for the WAL flush. */
export const RELAXED_COMMIT = sql`cross join (select set_config('synchronous_commit', 'off', true)) relaxed_commit`;

const fenced = (f: Fence) => sql`id = ${f.id} and lease_owner = ${f.owner} and version = ${f.version} and status = 'publishing'`;

async function applied(db: Database, query: ReturnType<typeof sql>): Promise<number | null> {
  const res = await db.execute(query);
  const row = res.rows[0] as { version: number } | undefined;
  return row ? Number(row.version) : null;
}

/** How a run that did not publish leaves the intent the claim recorded. */
export type IntentAfter = {
  /** The post may exist on the platform: keep the intent (and its time) for the next run's lookup. */
  keepIntent: boolean;
  /** No platform call was made for this attempt: the attempt the claim counted is given back. */
  uncount: boolean;
};

const intentAfter = (a: IntentAfter) => sql`
  intent_at = case when ${a.keepIntent}::boolean then intent_at else null end,
  attempts = attempts - case when ${a.uncount}::boolean then 1 else 0 end`;

/**
 * After a lookup found nothing for an uncertain target: the new attempt's intent, from now
 * (the lookup of a later run starts here, not at the earlier attempt).
 */
export function rearmIntent(db: Database, f: Fence, now: Date): Promise<number | null> {
  return applied(db, sql`
    update post_targets set intent_at = ${now}, updated_at = ${now}, version = version + 1
    where ${fenced(f)} returning version`);
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
 * The platform's ids of many targets in one statement (the result of each publish, written
 * right after the call). Not fenced by the lease: the post exists on the platform, and
 * recording that fact beats losing it (whoever holds the target now will find it published).
 * Only a target already recorded as published is left alone. Returns the ids it wrote.
 * `relaxedCommit`: this statement's commit does not wait for the WAL flush (see
 * PublishOptions.relaxedCommits), in the same round trip (`set_config(..., true)` lasts until
 * the statement's own transaction ends).
 */
export async function recordPublishedMany(
  db: Database,
  results: { id: string; platformPostId: string; url: string | null; at: Date }[],
  options: { relaxedCommit?: boolean } = {},
): Promise<Set<string>> {
  if (results.length === 0) return new Set();
  const res = await db.execute(sql`
    update post_targets t set status = 'published', platform_post_id = v.post_id, platform_url = v.url,
      published_at = v.at, due_at = null, next_attempt_at = null, lease_owner = null, lease_until = null, polling = false,
      failure_code = null, failure_message = null, paused_reason = null, updated_at = v.at, version = t.version + 1
    from (
      select unnest(${textArray(results.map((r) => r.id))}::uuid[]) as id,
             unnest(${textArray(results.map((r) => r.platformPostId))}::text[]) as post_id,
             unnest(${textArray(results.map((r) => r.url))}::text[]) as url,
             unnest(${textArray(results.map((r) => r.at.toISOString()))}::timestamptz[]) as at
    ) v ${options.relaxedCommit ? RELAXED_COMMIT : sql``}
    where t.id = v.id and t.platform_post_id is null
    returning t.id`);
  return new Set(res.rows.map((r) => String(r.id)));
}

/** Back to `scheduled` for another attempt at `at`; the intent is kept when the post may exist. */
export function scheduleRetry(
  db: Database,
  f: Fence,
  input: { at: Date; keepIntent: boolean; code: string; message: string },
  now: Date,
): Promise<number | null> {
  return applied(db, sql`
    update post_targets set status = 'scheduled', due_at = ${input.at}, next_attempt_at = ${input.at},
      ${intentAfter({ keepIntent: input.keepIntent, uncount: false })},
      lease_owner = null, lease_until = null, failure_code = ${input.code}, failure_message = ${input.message},
      updated_at = ${now}, version = version + 1
    where ${fenced(f)} returning version`);
}

/**
 * The platform is still processing a started publish: the target waits in `publishing`, its
 * lease given up until `at`, when a run claims it again as a poll (no attempt, no rate-limit
 * token, no lookup; the adapter resumes from its saved state).
 */
export function schedulePoll(db: Database, f: Fence, input: { at: Date; code: string; message: string }, now: Date): Promise<number | null> {
  return applied(db, sql`
    update post_targets set polling = true, lease_owner = null, lease_until = ${input.at}, next_attempt_at = ${input.at},
      failure_code = ${input.code}, failure_message = ${input.message}, updated_at = ${now}, version = version + 1
    where ${fenced(f)} returning version`);
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
      due_at = null, next_attempt_at = null, lease_owner = null, lease_until = null, polling = false,
      updated_at = ${now}, version = version + 1
    where ${fenced(f)} returning version`);
}

/** Paused until its connection is reconnected (resumeTargetsOfConnection brings it back). */
export function pauseClaimedTarget(db: Database, f: Fence, reason: string, after: IntentAfter, now: Date): Promise<number | null> {
  return applied(db, sql`
    update post_targets set status = 'paused', paused_reason = ${reason}, due_at = null, next_attempt_at = null,
      ${intentAfter(after)}, lease_owner = null, lease_until = null, updated_at = ${now}, version = version + 1
    where ${fenced(f)} returning version`);
}

/** Not now (a rate limit): due again at `at`; no attempt counted, no platform call was made. */
export function deferTarget(db: Database, f: Fence, input: { at: Date; keepIntent: boolean }, now: Date): Promise<number | null> {
  return applied(db, sql`
    update post_targets set status = 'scheduled', due_at = ${input.at}, next_attempt_at = ${input.at},
      ${intentAfter({ keepIntent: input.keepIntent, uncount: true })},
      lease_owner = null, lease_until = null, updated_at = ${now}, version = version + 1
    where ${fenced(f)} returning version`);
}

/**
 * Fresh targets of one claim refused by a rate limit, each due again when its token comes, in
 * one statement: their intent and attempt are given back. Returns the ids it wrote.
 */
export async function deferFreshTargets(db: Database, owner: string, deferrals: { id: string; at: Date }[], now: Date): Promise<Set<string>> {
  if (deferrals.length === 0) return new Set();
  const res = await db.execute(sql`
    update post_targets t set status = 'scheduled', due_at = v.at, next_attempt_at = v.at, intent_at = null,
      attempts = t.attempts - 1, lease_owner = null, lease_until = null, updated_at = ${now}, version = t.version + 1
    from (
      select unnest(${textArray(deferrals.map((d) => d.id))}::uuid[]) as id,
             unnest(${textArray(deferrals.map((d) => d.at.toISOString()))}::timestamptz[]) as at
    ) v
    where t.id = v.id and t.lease_owner = ${owner} and t.status = 'publishing'
    returning t.id`);
  return new Set(res.rows.map((r) => String(r.id)));
}

/**
 * Extends the lease of every target of one claim still being published, to `until`. Returns
 * the ids still held: a target missing from it was taken over (its lease lapsed) or finished.
 */
export async function renewLeases(db: Database, owner: string, until: Date): Promise<Set<string>> {
  const res = await db.execute(sql`
    update post_targets set lease_until = ${until}
    where lease_owner = ${owner} and status = 'publishing'
    returning id`);
  return new Set(res.rows.map((r) => String(r.id)));
}

/**
 * A stopping worker gives back the targets it claimed but never called the platform for: as
 * they were before the claim, due at once. Targets past a platform call keep their lease and
 * intent: the next run checks the platform first.
 */
export async function releaseUnstarted(
  db: Database,
  items: { id: string; owner: string; hadIntent: boolean; poll: boolean }[],
): Promise<void> {
  if (items.length === 0) return;
  // A poll goes back to waiting in `publishing`, claimable at once (its lease ends at the claim time).
  await db.execute(sql`
    update post_targets t set status = case when v.poll then 'publishing' else 'scheduled' end,
      due_at = case when v.poll then null else coalesce(t.scheduled_at, t.created_at) end,
      intent_at = case when v.had_intent then t.intent_at else null end,
      attempts = t.attempts - case when v.poll then 0 else 1 end,
      polling = v.poll, lease_owner = null, lease_until = case when v.poll then t.updated_at else null end, version = t.version + 1
    from (
      select unnest(${textArray(items.map((i) => i.id))}::uuid[]) as id,
             unnest(${textArray(items.map((i) => i.owner))}::text[]) as owner,
             unnest(${textArray(items.map((i) => String(i.hadIntent)))}::boolean[]) as had_intent,
             unnest(${textArray(items.map((i) => String(i.poll)))}::boolean[]) as poll
    ) v
    where t.id = v.id and t.lease_owner = v.owner and t.status = 'publishing'`);
}

/**
 * Platform post ids our other targets of this connection recorded since `since`: a lookup for
 * an uncertain target must not claim a sibling's post as its own.
 */
export async function recordedPostIds(db: Database, input: { connectionId: string; exceptTargetId: string; since: Date }): Promise<Set<string>> {
  const res = await db.execute(sql`
    select platform_post_id from post_targets
    where connection_id = ${input.connectionId} and status = 'published' and id <> ${input.exceptTargetId}
      and platform_post_id is not null and published_at >= ${input.since}`);
  return new Set(res.rows.map((r) => String(r.platform_post_id)));
}
