import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import type { BucketLimit } from './publishRateLimits.ts';

export type BucketRequest = { key: string; limit: BucketLimit };
export type TakeResult = { ok: true } | { ok: false; retryAtMs: number; key: string };

/**
 * Takes one token from every bucket, all or none (one transaction), so a publish counts against
 * both its account and its platform. The refill is computed in the UPDATE from the clock time
 * passed in, so every worker process agrees on the balance. A refused take reports when the
 * emptiest bucket will have a token again.
 */
export async function takePublishTokens(db: Database, buckets: BucketRequest[], now: Date): Promise<TakeResult> {
  if (buckets.length === 0) return { ok: true };
  // One bucket: its single statement is atomic already, no transaction round trips needed.
  const run = buckets.length === 1 ? (fn: (tx: Database) => Promise<TakeResult>) => fn(db) : (fn: (tx: Database) => Promise<TakeResult>) => db.transaction(fn);
  return run(async (tx) => {
    for (const { key, limit } of buckets) {
      const ratePerMs = limit.refill / limit.perMs;
      // The balance now: the stored one plus the refill since, capped at the burst. A clock that
      // reads earlier than refilled_at (another worker's) adds nothing rather than taking away.
      const balance = sql`least(${limit.capacity}::float8, publish_rate_buckets.tokens
        + greatest(0, extract(epoch from (${now}::timestamptz - publish_rate_buckets.refilled_at)) * 1000) * ${ratePerMs}::float8)`;
      const taken = await tx.execute(sql`
        insert into publish_rate_buckets (key, tokens, refilled_at)
        values (${key}, ${limit.capacity - 1}::float8, ${now})
        on conflict (key) do update
          set tokens = ${balance} - 1,
              refilled_at = greatest(publish_rate_buckets.refilled_at, excluded.refilled_at)
          where ${balance} >= 1
        returning tokens`);
      if (taken.rows.length === 0) {
        const state = await tx.execute(sql`select ${balance} as balance from publish_rate_buckets where key = ${key}`);
        const balanceNow = Number((state.rows[0] as { balance: number } | undefined)?.balance ?? 0);
        // Undo the takes from buckets before this one by rolling the transaction back.
        throw new BucketEmpty(key, now.getTime() + Math.ceil((1 - balanceNow) / ratePerMs));
      }
    }
    return { ok: true } as const;
  }).catch((err: unknown) => {
    if (err instanceof BucketEmpty) return { ok: false, retryAtMs: err.retryAtMs, key: err.key } as const;
    throw err;
  });
}

class BucketEmpty extends Error {
  readonly key: string;
  readonly retryAtMs: number;
  constructor(key: string, retryAtMs: number) {
    super(`rate limit bucket ${key} is empty`);
    this.key = key;
    this.retryAtMs = retryAtMs;
  }
}
