/**
 * The refresh engine's due queue on the jobs engineer's runner: claims due rows of
 * connection_refreshes with a lease and runs refreshConnection for each.
 */
import { sql } from 'drizzle-orm';
import { defineDueQueue } from '../jobs/dueQueue.ts';
import { refreshConnection } from './refreshConnection.ts';
import { adoptUnplannedConnections, claimDueRefreshes, nextRefreshDueAt, releaseRefreshLease, type ClaimedRefresh } from './refreshesRepo.ts';
import { REFRESH_NOTIFY_CHANNEL, REFRESH_QUEUE_NAME } from './refreshQueueNames.ts';

/** Longer than the slowest refresh (HTTP timeout 15 s, plus writes): an expired lease means a crashed worker. */
export const REFRESH_LEASE_MS = 120_000;

/** Connections without a plan are adopted at most this often per process (an anti-join over connections). */
const ADOPT_EVERY_MS = 60_000;
let lastAdoptMs = Number.NEGATIVE_INFINITY;

export const refreshQueue = defineDueQueue<ClaimedRefresh>({
  name: REFRESH_QUEUE_NAME,
  async claim(db, args) {
    if (args.now.getTime() - lastAdoptMs >= ADOPT_EVERY_MS) {
      lastAdoptMs = args.now.getTime();
      await adoptUnplannedConnections(db, { now: args.now, limit: 1000 });
    }
    return claimDueRefreshes(db, args);
  },
  nextDueAt: (db) => nextRefreshDueAt(db),
  async handle(ctx, item, lease) {
    await refreshConnection(ctx, item, lease.owner);
    // On a throw the lease stays until it lapses: a natural pause before the next try.
    await releaseRefreshLease(ctx.db, item.connectionId, lease.owner);
  },
  async release(db, owners) {
    const list = sql.join(owners.map((o) => sql`${o}`), sql`, `);
    await db.execute(sql`update connection_refreshes set lease_owner = null, lease_until = null where lease_owner in (${list})`);
  },
  describe: (item) => ({ connectionId: item.connectionId, platform: item.platform, purpose: item.purpose }),
  concurrency: 16,
  batchSize: 32,
  leaseMs: REFRESH_LEASE_MS,
  notifyChannel: REFRESH_NOTIFY_CHANNEL,
  tables: ['connection_refreshes'],
});
