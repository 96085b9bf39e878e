import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * The refresh engine's own due table: one row per live connection, holding its next planned
 * piece of work (refresh, keep-alive, verification, hard end) and the lease that makes it
 * single-flight across processes. No transaction or row lock is held across the HTTP call:
 * a worker claims the row (lease), calls the platform, then fences its write with the
 * connection's `token_version`.
 */
export const connectionRefreshes = pgTable(
  'connection_refreshes',
  {
    connectionId: uuid('connection_id').primaryKey(),
    platform: text('platform').notNull(),
    /** Next planned work; null when there is none (a disconnected or needs_reconnect connection). */
    dueAt: timestamp('due_at', { withTimezone: true, mode: 'date' }),
    /** What is planned at due_at: 'plan' | 'refresh' | 'prepost' | 'keepalive' | 'verify' | 'warn' | 'hard_end'. */
    purpose: text('purpose').notNull().default('refresh'),
    leaseOwner: text('lease_owner'),
    leaseUntil: timestamp('lease_until', { withTimezone: true, mode: 'date' }),
    /** Consecutive failed attempts since the last success (drives the backoff). */
    attempts: integer('attempts').notNull().default(0),
    /**
     * During a failure streak: when the next try is due (the backoff). Kept apart from due_at so a
     * warning or an end planned before it runs on time and the retry still follows its backoff.
     */
    retryAt: timestamp('retry_at', { withTimezone: true, mode: 'date' }),
    /** What the retry repeats: the purpose of the work that failed ('refresh', 'verify', ...). */
    retryPurpose: text('retry_purpose'),
    /** When the current grant started (connect or reconnect): alerts about its end are keyed on it. */
    grantedAt: timestamp('granted_at', { withTimezone: true, mode: 'date' }),
    /** Stable reason code of the last failure (never a message from the platform). */
    lastError: text('last_error'),
    lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true, mode: 'date' }),
    /**
     * The token_version a refresh call was started against, cleared once its outcome is written.
     * Still set when the next claim arrives = the previous outcome is unknown (crash, lost response).
     */
    inFlightTokenVersion: integer('in_flight_token_version'),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    index('connection_refreshes_due_idx').on(t.dueAt).where(sql`${t.dueAt} is not null`),
    // Leased rows only (a handful per worker): nextRefreshDueAt finds when their leases lapse.
    index('connection_refreshes_leased_idx').on(t.leaseUntil).where(sql`${t.leaseUntil} is not null`),
  ],
);

/** Every state transition of a connection, with its reason (append-only). */
export const connectionEvents = pgTable(
  'connection_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    connectionId: uuid('connection_id').notNull(),
    workspaceId: uuid('workspace_id').notNull(),
    fromState: text('from_state').notNull(),
    toState: text('to_state').notNull(),
    reason: text('reason').notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('connection_events_connection_idx').on(t.connectionId, t.at)],
);

/** Connections lost because a rotated refresh token never reached us (counted, never hidden). */
export const rotationLosses = pgTable('rotation_losses', {
  id: uuid('id').primaryKey().defaultRandom(),
  connectionId: uuid('connection_id').notNull(),
  platform: text('platform').notNull(),
  at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
  detail: jsonb('detail').$type<Record<string, unknown>>().notNull().default({}),
});

/**
 * A platform paused for every connection because the instance's app is misconfigured
 * (invalid_client, wrong secret). Refreshes of that platform wait until `retry_at`; the first
 * success afterwards lifts the pause.
 */
export const platformPauses = pgTable('platform_pauses', {
  platform: text('platform').primaryKey(),
  reason: text('reason').notNull(),
  pausedAt: timestamp('paused_at', { withTimezone: true, mode: 'date' }).notNull(),
  retryAt: timestamp('retry_at', { withTimezone: true, mode: 'date' }).notNull(),
});

/**
 * Verification calls per platform in the current minute, shared by every worker process (one row
 * per platform, reset when the minute changes): the cap in verificationPolicy.ts holds across processes.
 */
export const verificationBudgets = pgTable('verification_budgets', {
  platform: text('platform').primaryKey(),
  windowStart: timestamp('window_start', { withTimezone: true, mode: 'date' }).notNull(),
  used: integer('used').notNull(),
});
