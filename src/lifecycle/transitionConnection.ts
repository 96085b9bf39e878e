/**
 * The one way a connection's state changes: a conditional update of `connections.state` and an
 * entry in `connection_events` (from, to, reason, at), in the caller's transaction.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import type { ConnectionState } from './connectionLifecycleRow.ts';

export type Transition = {
  connectionId: string;
  to: ConnectionState;
  reason: string;
  now: Date;
  /** Only move from these states (a stale decision must not undo a newer one). */
  from: readonly ConnectionState[];
};

/** Returns the previous state, or null when the connection was not in one of `from` (nothing written). */
export async function transitionConnection(tx: Database, t: Transition): Promise<{ from: ConnectionState; workspaceId: string } | null> {
  const fromList = sql.join(t.from.map((s) => sql`${s}`), sql`, `);
  const res = await tx.execute(sql`
    with prev as (select id, state, workspace_id from connections where id = ${t.connectionId} and state in (${fromList}) for update)
    update connections c set state = ${t.to}, state_reason = ${t.reason}, state_changed_at = ${t.now}
      from prev where c.id = prev.id
    returning prev.state as from_state, prev.workspace_id`);
  const row = res.rows[0];
  if (!row) return null;
  const from = row.from_state as ConnectionState;
  const workspaceId = String(row.workspace_id);
  await recordConnectionEvent(tx, { connectionId: t.connectionId, workspaceId, from, to: t.to, reason: t.reason, at: t.now });
  return { from, workspaceId };
}

/** The event of a state change written elsewhere in the same transaction (disconnect). */
export async function recordConnectionEvent(
  tx: Database,
  e: { connectionId: string; workspaceId: string; from: string; to: ConnectionState; reason: string; at: Date },
): Promise<void> {
  await tx.execute(sql`
    insert into connection_events (connection_id, workspace_id, from_state, to_state, reason, at)
    values (${e.connectionId}, ${e.workspaceId}, ${e.from}, ${e.to}, ${e.reason}, ${e.at})`);
}
