import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';

/** What the publishing due queue hands its handler: a target claimed under `leaseOwner`. */
export type ClaimedTarget = { id: string; leaseOwner: string; version: number };

/**
 * Claims up to `limit` targets for `owner`:
 * - scheduled targets whose due time has come (the partial index `post_targets_due_idx`), and
 * - targets left in `publishing` by a worker whose lease ran out (a crash or a hang): the
 *   handler treats those as an uncertain outcome, never as a fresh publish.
 * A claimed scheduled target gets `due_at = lease_until`: if this worker dies before it records
 * its intent, the target becomes due again when the lease ends. The version moves, so an
 * editor holding the old version learns that the target was picked up.
 */
export async function claimDueTargets(
  db: Database,
  input: { now: Date; limit: number; leaseMs: number; owner: string },
): Promise<ClaimedTarget[]> {
  const until = new Date(input.now.getTime() + input.leaseMs);
  const res = await db.execute(sql`
    with due as (
      select id from post_targets
      where status = 'scheduled' and due_at <= ${input.now}
      order by due_at
      limit ${input.limit}
      for update skip locked
    ), stale as (
      select id from post_targets
      where status = 'publishing' and lease_until < ${input.now}
      limit ${input.limit}
      for update skip locked
    ), picked as (
      select id from due union all select id from stale limit ${input.limit}
    )
    update post_targets t
    set lease_owner = ${input.owner},
        lease_until = ${until},
        due_at = case when t.status = 'scheduled' then ${until}::timestamptz else t.due_at end,
        version = t.version + 1
    from picked
    where t.id = picked.id
    returning t.id, t.version`);
  return (res.rows as { id: string; version: number }[]).map((r) => ({ id: r.id, leaseOwner: input.owner, version: Number(r.version) }));
}

/**
 * The earliest instant a target may be claimed: the next due time, or the end of the lease of a
 * target stuck in `publishing`. The runner sleeps until then (or a NOTIFY).
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
