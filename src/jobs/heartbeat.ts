import os from 'node:os';
import { sql } from 'drizzle-orm';
import { ControllableClock } from '../clock.ts';
import type { AppContext } from '../context.ts';

export const HEARTBEAT_EVERY_MS = 10_000;
/**
 * How long after its last beat a worker still counts for `/readyz`: three missed beats. A clean
 * stop removes the row at once; this only bounds how long a killed worker (kill -9, a crash, a
 * lost host) is believed, while tolerating a beat delayed by a busy database.
 */
export const WORKER_HEARTBEAT_STALE_MS = 3 * HEARTBEAT_EVERY_MS;

/**
 * Records that this worker process is alive (for `/readyz` and for operators), and removes
 * the row on a clean stop.
 */
export async function startHeartbeat(ctx: AppContext, workerId: string, role: string): Promise<() => Promise<void>> {
  const beat = async () => {
    const now = ctx.clock.now();
    await ctx.db.execute(sql`
      insert into worker_heartbeats (worker_id, role, hostname, pid, started_at, seen_at)
      values (${workerId}, ${role}, ${os.hostname()}, ${process.pid}, ${now}, ${now})
      on conflict (worker_id) do update set seen_at = excluded.seen_at`);
  };
  await beat();
  const timer = setInterval(() => {
    beat().catch((err: unknown) => ctx.log.warn({ err }, 'worker heartbeat failed'));
  }, HEARTBEAT_EVERY_MS);
  timer.unref();
  // A sandbox jump moves `now` past the last beat: beat again at once so /readyz stays true.
  const stopFollowing =
    ctx.clock instanceof ControllableClock
      ? ctx.clock.onMove(() => void beat().catch((err: unknown) => ctx.log.warn({ err }, 'worker heartbeat failed')))
      : () => undefined;
  return async () => {
    clearInterval(timer);
    stopFollowing();
    await ctx.db.execute(sql`delete from worker_heartbeats where worker_id = ${workerId}`);
  };
}
