import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import type { BucketLimit } from './publishRateLimits.ts';
import { textArray } from '../db/textArray.ts';
import { RELAXED_COMMIT } from './targetWrites.ts';

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

/**
 * One token per target from every bucket it names, for a whole claim at once (one transaction,
 * whatever the batch size): the buckets are created full if new and locked, the balances
 * computed like `takePublishTokens` does, the targets served in order (all of a target's
 * buckets or none of them), and the new balances written back. A refused target is told when
 * its own token comes: the second target over the limit waits one refill longer than the first,
 * so a burst is spread over the refill instead of coming back all at once.
 */
export async function takePublishTokensBatch(
  db: Database,
  requests: { id: string; buckets: BucketRequest[] }[],
  now: Date,
  options: { relaxedCommit?: boolean } = {},
): Promise<Map<string, TakeResult>> {
  const results = new Map<string, TakeResult>();
  const limits = new Map<string, BucketLimit>();
  for (const r of requests) for (const b of r.buckets) limits.set(b.key, b.limit);
  if (limits.size === 0) {
    for (const r of requests) results.set(r.id, { ok: true });
    return results;
  }
  const keys = [...limits.keys()];
  await db.transaction(async (tx) => {
    // Creates missing buckets full, and locks every one (the no-op update returns the row as it is).
    const rows = await tx.execute(sql`
      insert into publish_rate_buckets as b (key, tokens, refilled_at)
      select k.key, k.capacity, ${now}::timestamptz
      from unnest(${textArray(keys)}::text[], ${textArray(keys.map((k) => String(limits.get(k)!.capacity)))}::float8[]) as k(key, capacity)
      ${options.relaxedCommit ? RELAXED_COMMIT : sql``}
      on conflict (key) do update set key = b.key
      returning b.key, b.tokens, b.refilled_at`);
    const balance = new Map<string, number>();
    for (const row of rows.rows as { key: string; tokens: number; refilled_at: Date | string }[]) {
      const limit = limits.get(row.key)!;
      const elapsed = Math.max(0, now.getTime() - new Date(row.refilled_at).getTime());
      balance.set(row.key, Math.min(limit.capacity, Number(row.tokens) + elapsed * (limit.refill / limit.perMs)));
    }
    const refused = new Map<string, number>();
    for (const r of requests) {
      const empty = r.buckets.find((b) => (balance.get(b.key) ?? 0) < 1);
      if (!empty) {
        for (const b of r.buckets) balance.set(b.key, balance.get(b.key)! - 1);
        results.set(r.id, { ok: true });
        continue;
      }
      const waiting = (refused.get(empty.key) ?? 0) + 1;
      refused.set(empty.key, waiting);
      const missing = waiting - (balance.get(empty.key) ?? 0);
      results.set(r.id, { ok: false, key: empty.key, retryAtMs: now.getTime() + Math.ceil(missing / (empty.limit.refill / empty.limit.perMs)) });
    }
    await tx.execute(sql`
      update publish_rate_buckets b
      set tokens = v.tokens, refilled_at = greatest(b.refilled_at, ${now}::timestamptz)
      from unnest(${textArray(keys)}::text[], ${textArray(keys.map((k) => String(balance.get(k))))}::float8[]) as v(key, tokens)
      where b.key = v.key`);
  });
  return results;
}
