import { doublePrecision, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Token buckets for publishing rate limits, one row per key (`account:<connection id>`,
 * `app:<platform>`). Held in the database so every worker process draws from the same bucket.
 * `tokens` is the balance at `refilled_at`; the refill is computed from the elapsed clock time
 * in the one UPDATE that takes a token (see rateLimiter.ts).
 */
export const publishRateBuckets = pgTable('publish_rate_buckets', {
  key: text('key').primaryKey(),
  tokens: doublePrecision('tokens').notNull(),
  refilledAt: timestamp('refilled_at', { withTimezone: true, mode: 'date' }).notNull(),
});
