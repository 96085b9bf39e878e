/**
 * The per-platform, per-minute budget of verification calls, shared by every worker process: one
 * atomic upsert per check on the platform's row of verification_budgets (the minute it counts
 * and how many checks it has used).
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { verificationRule } from './verificationPolicy.ts';

const MINUTE = 60_000;

/**
 * Takes one check from the platform's budget for the minute of `now`. Null when allowed; else the
 * instant to try again: the n-th check over the cap goes n/cap minutes later, at a random second
 * of that minute, so a herd drains at the cap's rate instead of retrying all at once.
 */
export async function takeVerificationBudget(db: Database, input: { platform: string; now: Date; random: () => number }): Promise<Date | null> {
  const windowStart = new Date(Math.floor(input.now.getTime() / MINUTE) * MINUTE);
  const res = await db.execute(sql`
    insert into verification_budgets (platform, window_start, used) values (${input.platform}, ${windowStart}, 1)
    on conflict (platform) do update
       set used = case when excluded.window_start > verification_budgets.window_start then 1 else verification_budgets.used + 1 end,
           window_start = greatest(excluded.window_start, verification_budgets.window_start)
    returning used`);
  const used = Number(res.rows[0]?.used ?? 1);
  const cap = verificationRule(input.platform).perMinute;
  if (used <= cap) return null;
  const minutesLater = Math.floor((used - 1) / cap);
  return new Date(windowStart.getTime() + minutesLater * MINUTE + Math.floor(input.random() * MINUTE));
}
