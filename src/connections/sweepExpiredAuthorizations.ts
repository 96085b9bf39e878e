/**
 * Unfinished authorizations leave nothing behind: a due queue over `oauth_states` and
 * `pending_account_selections` that, as each one expires, deletes the state (its PKCE verifier
 * with it) and erases the parked grant of an account choice nobody made (every offered Page's
 * never-expiring token). The choice's row (names only) stays a day longer, so the picker can
 * still say "expired" rather than "unknown", then goes too.
 *
 * The work is done by the claim statements themselves (each is idempotent and takes its rows
 * with SKIP LOCKED), so `handle` has nothing left to do.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { defineDueQueue } from '../jobs/dueQueue.ts';

/** How long an expired account choice's row (without secrets) is kept. */
export const SELECTION_RETENTION_MS = 24 * 3_600_000;

export const SWEEP_NOTIFY_CHANNEL = 'connections_sweep_due';

export type SweptRow = { table: 'oauth_states' | 'pending_account_selections'; id: string; action: 'deleted' | 'erased' };

const toDate = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));

export async function sweepExpiredAuthorizations(db: Database, input: { now: Date; limit: number }): Promise<SweptRow[]> {
  const retainedUntil = new Date(input.now.getTime() - SELECTION_RETENTION_MS);
  const erased = await db.execute(sql`
    update pending_account_selections set grant_enc = null
     where id in (select id from pending_account_selections
                   where grant_enc is not null and expires_at <= ${input.now}
                   order by expires_at limit ${input.limit} for update skip locked)
    returning id`);
  const deletedSelections = await db.execute(sql`
    delete from pending_account_selections
     where id in (select id from pending_account_selections
                   where expires_at <= ${retainedUntil}
                   order by expires_at limit ${input.limit} for update skip locked)
    returning id`);
  const deletedStates = await db.execute(sql`
    delete from oauth_states
     where id in (select id from oauth_states
                   where expires_at <= ${input.now}
                   order by expires_at limit ${input.limit} for update skip locked)
    returning id`);
  return [
    ...erased.rows.map((r) => ({ table: 'pending_account_selections' as const, id: String(r.id), action: 'erased' as const })),
    ...deletedSelections.rows.map((r) => ({ table: 'pending_account_selections' as const, id: String(r.id), action: 'deleted' as const })),
    ...deletedStates.rows.map((r) => ({ table: 'oauth_states' as const, id: String(r.id), action: 'deleted' as const })),
  ];
}

/** The next instant something above becomes due. */
export async function nextSweepAt(db: Database): Promise<Date | null> {
  const res = await db.execute(sql`
    select least(
      (select min(expires_at) from pending_account_selections where grant_enc is not null),
      (select min(expires_at) from pending_account_selections) + make_interval(secs => ${SELECTION_RETENTION_MS / 1000}),
      (select min(expires_at) from oauth_states)
    ) as at`);
  return toDate(res.rows[0]?.at);
}

export const sweepQueue = defineDueQueue<SweptRow>({
  name: 'connections-sweep',
  claim: (db, args) => sweepExpiredAuthorizations(db, args),
  nextDueAt: nextSweepAt,
  async handle() {
    // The claim already deleted or erased the row.
  },
  describe: (row) => ({ table: row.table, id: row.id, action: row.action }),
  concurrency: 1,
  batchSize: 200,
  leaseMs: 60_000,
  notifyChannel: SWEEP_NOTIFY_CHANNEL,
  tables: ['oauth_states', 'pending_account_selections'],
});
