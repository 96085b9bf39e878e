import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import type { PostContent } from '../posts/postContent.ts';
import { ClaimBatch } from './publishBatch.ts';

/** What the publishing due queue hands its handler: a target claimed under `leaseOwner`, with what publishing it needs. */
export type ClaimedTarget = {
  id: string;
  leaseOwner: string;
  /** The version the claim wrote: the fence of every later write. */
  version: number;
  postId: string;
  workspaceId: string;
  connectionId: string;
  platform: string;
  scheduledAt: Date;
  /** Attempts so far, this run's included (a poll counts none). */
  attempts: number;
  publishState: Record<string, unknown> | null;
  /**
   * The intent of an earlier run that never recorded a result (a killed worker, a lost answer),
   * or of the publish this poll checks on; null for a fresh publish.
   */
  priorIntentAt: Date | null;
  /** The platform was processing a started publish: this run only checks on it. */
  poll: boolean;
  content: PostContent;
  /** The other targets of the same claim: rate limits and credentials are read once for all. */
  batch: ClaimBatch;
};

/**
 * Claims up to `limit` targets for `owner` and records their intent, in one statement:
 * - scheduled targets whose due time has come (the partial index `post_targets_due_idx`), and
 * - targets left in `publishing` whose lease ran out (`post_targets_lease_idx`): a crashed or
 *   hung worker's (an uncertain outcome, looked up before anything else), or one waiting for
 *   the platform to finish processing (a poll).
 * Every claimed target is `publishing` with an intent (`intent_at` kept if an earlier one is
 * unresolved) and one more attempt (none for a poll), committed before any platform call: the
 * handler gives the intent back if it ends without calling the platform. The version moves, so
 * an editor holding the old version learns that the target was picked up.
 */
export async function claimDueTargets(
  db: Database,
  input: { now: Date; limit: number; leaseMs: number; owner: string },
): Promise<ClaimedTarget[]> {
  const until = new Date(input.now.getTime() + input.leaseMs);
  const res = await db.execute(sql`
    with due as (
      select id, post_id, intent_at, polling from post_targets
      where status = 'scheduled' and due_at <= ${input.now}
      order by due_at
      limit ${input.limit}
      for update skip locked
    ), stale as (
      select id, post_id, intent_at, polling from post_targets
      where status = 'publishing' and lease_until <= ${input.now}
      order by lease_until
      limit ${input.limit}
      for update skip locked
    ), picked as (
      select * from due union all select * from stale limit ${input.limit}
    )
    update post_targets t
    set status = 'publishing',
        intent_at = coalesce(t.intent_at, ${input.now}::timestamptz),
        attempts = t.attempts + case when picked.polling then 0 else 1 end,
        polling = false,
        lease_owner = ${input.owner},
        lease_until = ${until},
        due_at = null,
        next_attempt_at = null,
        updated_at = ${input.now},
        version = t.version + 1
    from picked join posts p on p.id = picked.post_id
    where t.id = picked.id
    returning t.id, t.version, t.post_id, t.workspace_id, t.connection_id, t.platform, t.scheduled_at, t.attempts,
              t.publish_state, picked.intent_at as prior_intent_at, picked.polling as poll, p.content`);
  const batch = new ClaimBatch({ owner: input.owner, claimedAt: input.now, leaseMs: input.leaseMs });
  for (const r of res.rows as Record<string, unknown>[]) {
    batch.items.push({
      id: String(r.id),
      leaseOwner: input.owner,
      version: Number(r.version),
      postId: String(r.post_id),
      workspaceId: String(r.workspace_id),
      connectionId: String(r.connection_id),
      platform: String(r.platform),
      scheduledAt: new Date(r.scheduled_at as Date),
      attempts: Number(r.attempts),
      publishState: (r.publish_state as Record<string, unknown> | null) ?? null,
      priorIntentAt: r.prior_intent_at ? new Date(r.prior_intent_at as Date) : null,
      poll: r.poll === true,
      content: r.content as PostContent,
      batch,
    });
  }
  return batch.items;
}

/**
 * The earliest instant a target may be claimed: the next due time, or the end of the lease of a
 * target in `publishing` (a stuck worker's, or a poll's). The runner sleeps until then (or a NOTIFY).
 */
export async function nextTargetDueAt(db: Database): Promise<Date | null> {
  const res = await db.execute(sql`
    select least(
      (select min(due_at) from post_targets where status = 'scheduled'),
      (select min(lease_until) from post_targets where status = 'publishing')
    ) as at`);
  const at = (res.rows[0] as { at: Date | string | null } | undefined)?.at;
  return at ? new Date(at) : null;
}
