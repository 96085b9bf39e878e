import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * One row per alert-worthy event, keyed so it can happen only once per connection, event and
 * threshold (`connection:<id>:expiring:<reason>:grant:<start>:7d`), whatever the number of processes or restarts:
 * the unique key is the guard, not a check in code.
 */
export const alertEvents = pgTable('alert_events', {
  dedupeKey: text('dedupe_key').primaryKey(),
  kind: text('kind').notNull(),
  workspaceId: uuid('workspace_id'),
  connectionId: uuid('connection_id'),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
});

/** In-app notifications, one per user and alert event. */
export const notifications = pgTable(
  'notifications',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id').notNull(),
    workspaceId: uuid('workspace_id'),
    connectionId: uuid('connection_id'),
    /** 'expiring' | 'needs_reconnect' | 'reconnected' | 'app_misconfigured' */
    kind: text('kind').notNull(),
    dedupeKey: text('dedupe_key').notNull(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    /** Non-secret facts for the web app (account, platform, reason, date, reconnect link, posts). */
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    readAt: timestamp('read_at', { withTimezone: true, mode: 'date' }),
    /** Pop-up modal dismissed (needs_reconnect alerts only). */
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true, mode: 'date' }),
    /** Waiting for the user's daily digest (null: mailed at once, or not mailed). */
    digestPending: boolean('digest_pending').notNull().default(false),
  },
  (t) => [
    uniqueIndex('notifications_user_key_uq').on(t.userId, t.dedupeKey),
    index('notifications_user_unread_idx').on(t.userId, t.createdAt).where(sql`${t.readAt} is null`),
    index('notifications_digest_idx').on(t.userId).where(sql`${t.digestPending}`),
  ],
);

/** Per-user alert preferences; a missing row means the defaults. */
export const notificationPreferences = pgTable('notification_preferences', {
  userId: uuid('user_id').primaryKey(),
  /** 'immediate' (one mail per alert) | 'daily_digest' (one mail a day) | 'off' */
  emailMode: text('email_mode').notNull().default('immediate'),
  /** Hour of day (UTC) the digest is sent. */
  digestHourUtc: integer('digest_hour_utc').notNull().default(8),
  lastDigestAt: timestamp('last_digest_at', { withTimezone: true, mode: 'date' }),
  /** The next digest run (daily_digest only): the digest due queue's due time. */
  nextDigestAt: timestamp('next_digest_at', { withTimezone: true, mode: 'date' }),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
}, (t) => [index('notification_preferences_digest_due_idx').on(t.nextDigestAt).where(sql`${t.emailMode} = 'daily_digest'`)]);
