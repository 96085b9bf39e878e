/**
 * Scheduling a post can bring a connection's next refresh forward. A short-lived token (X,
 * TikTok, Bluesky, Google) is refreshed just before the first post it does not cover (planRefresh's
 * `prepost`), but a plan made before that post existed does not know it: a post scheduled for this
 * afternoon on a connection whose next check is tomorrow would rely on the publisher's just-in-time
 * refresh alone. In the scheduling transaction, such connections are marked for a re-plan now
 * (purpose 'plan', which the refresh engine turns into the right plan without calling the platform).
 *
 * Left alone: connections whose plan already runs before that post, connections in a failure
 * streak (the backoff decides; the publisher still refreshes just in time), rows a worker holds
 * (it plans next when it is done), and connections that are not usable.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { textArray } from '../db/textArray.ts';
import { notifyDue } from '../jobs/dueQueue.ts';
import { PREPOST_LEAD_MS } from './planRefresh.ts';
import { REFRESH_NOTIFY_CHANNEL } from './refreshQueueNames.ts';

/** Returns the connections marked for a re-plan. */
export async function planRefreshBeforePosts(db: Database, connectionIds: readonly string[], now: Date): Promise<string[]> {
  if (connectionIds.length === 0) return [];
  const lead = sql`make_interval(secs => ${PREPOST_LEAD_MS / 1000})`;
  const res = await db.execute(sql`
    update connection_refreshes r
       set due_at = ${now}, purpose = 'plan', updated_at = ${now}
      from connections c,
           lateral (select min(t.scheduled_at) as first_at from post_targets t
                     where t.connection_id = c.id and t.status = 'scheduled'
                       and t.scheduled_at > c.access_expires_at - ${lead}) uncovered
     where c.id::text = any(${textArray([...new Set(connectionIds)])}::text[])
       and r.connection_id = c.id
       and c.state in ('active', 'degraded')
       and uncovered.first_at is not null
       and (r.due_at is null or r.due_at > uncovered.first_at - ${lead})
       and r.retry_at is null
       and (r.lease_until is null or r.lease_until < ${now})
    returning r.connection_id`);
  const marked = res.rows.map((row) => String(row.connection_id));
  if (marked.length > 0) await notifyDue(db, REFRESH_NOTIFY_CHANNEL);
  return marked;
}
