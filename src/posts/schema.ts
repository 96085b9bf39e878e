import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { campaigns } from '../campaigns/schema.ts';
import type { PostContent } from './postContent.ts';

/**
 * Posts and their targets (one per connection). The post holds the content; each target holds
 * the delivery state for one connection and is the due work the publishing engine claims.
 */

/** A target's life: draft → scheduled → publishing → published | failed | unknown; paused while its connection needs reconnecting; cancelled by the user. */
export const TARGET_STATUSES = ['draft', 'scheduled', 'paused', 'publishing', 'published', 'failed', 'unknown', 'cancelled'] as const;
export type TargetStatus = (typeof TARGET_STATUSES)[number];

export const posts = pgTable(
  'posts',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid('workspace_id').notNull(),
    campaignId: uuid('campaign_id').references(() => campaigns.id, { onDelete: 'set null' }),
    /** The occurrence's local date-time in its series ("2026-03-29T09:00"), for series edits. */
    campaignOccurrence: text('campaign_occurrence'),
    /** True once an occurrence was edited by itself: series edits leave it alone. */
    detachedFromCampaign: boolean('detached_from_campaign').notNull().default(false),
    content: jsonb('content').$type<PostContent>().notNull(),
    /** The instant the post goes out; null for a draft without a time. */
    scheduledAt: timestamp('scheduled_at', { withTimezone: true, mode: 'date' }),
    /** The time zone the time was entered in (the workspace's at that moment). */
    timeZone: text('time_zone').notNull(),
    createdBy: uuid('created_by'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true, mode: 'date' }),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    index('posts_workspace_scheduled_idx').on(t.workspaceId, t.scheduledAt),
    index('posts_campaign_idx').on(t.campaignId, t.scheduledAt),
  ],
);

export const postTargets = pgTable(
  'post_targets',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    postId: uuid('post_id')
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    workspaceId: uuid('workspace_id').notNull(),
    connectionId: uuid('connection_id').notNull(),
    platform: text('platform').notNull(),
    status: text('status').$type<TargetStatus>().notNull(),
    /** The instant this target should go out. */
    scheduledAt: timestamp('scheduled_at', { withTimezone: true, mode: 'date' }),
    /** When the runner may claim it (first the scheduled time, later a retry time); null unless scheduled. */
    dueAt: timestamp('due_at', { withTimezone: true, mode: 'date' }),
    leaseOwner: text('lease_owner'),
    leaseUntil: timestamp('lease_until', { withTimezone: true, mode: 'date' }),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, mode: 'date' }),
    /** Multi-step publishing progress (containers, uploads), owned by src/publishing. */
    publishState: jsonb('publish_state').$type<Record<string, unknown>>(),
    /** Set right before the platform is called: a crash after it leaves the outcome uncertain. */
    intentAt: timestamp('intent_at', { withTimezone: true, mode: 'date' }),
    /**
     * Owned by src/publishing: a started publish the platform is still processing (a container,
     * an upload). The target waits in `publishing` until `lease_until`; that run only checks on it.
     */
    polling: boolean('polling').notNull().default(false),
    platformPostId: text('platform_post_id'),
    platformUrl: text('platform_url'),
    publishedAt: timestamp('published_at', { withTimezone: true, mode: 'date' }),
    failureCode: text('failure_code'),
    failureMessage: text('failure_message'),
    pausedReason: text('paused_reason'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** Incremented on every write, for optimistic checks between the editor and the publisher. */
    version: integer('version').notNull().default(1),
  },
  (t) => [
    index('post_targets_due_idx').on(t.dueAt).where(sql`status = 'scheduled'`),
    // src/publishing: stale or polling targets (claim, next due time) and the grace sweep.
    index('post_targets_lease_idx').on(t.leaseUntil).where(sql`status = 'publishing'`),
    index('post_targets_paused_idx').on(t.scheduledAt).where(sql`status = 'paused'`),
    uniqueIndex('post_targets_post_connection_idx').on(t.postId, t.connectionId),
    index('post_targets_connection_status_idx').on(t.connectionId, t.status),
    index('post_targets_workspace_scheduled_idx').on(t.workspaceId, t.scheduledAt),
    // The planner filtered by status ("everything failed", "all drafts") without a date range.
    index('post_targets_workspace_status_idx').on(t.workspaceId, t.status, t.scheduledAt),
  ],
);
