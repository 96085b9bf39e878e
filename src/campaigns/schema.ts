import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { PostContent } from '../posts/postContent.ts';
import type { Recurrence } from './recurrence.ts';

/** A recurring series; its occurrences are materialised as posts (posts.campaign_id). */
export const campaigns = pgTable(
  'campaigns',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid('workspace_id').notNull(),
    name: text('name').notNull(),
    recurrence: jsonb('recurrence').$type<Recurrence>().notNull(),
    /** The IANA zone the recurrence's local times are read in. */
    timeZone: text('time_zone').notNull(),
    /** The template new and series-edited occurrences take. */
    content: jsonb('content').$type<PostContent>().notNull(),
    connectionIds: uuid('connection_ids').array().notNull(),
    createdBy: uuid('created_by'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true, mode: 'date' }),
    version: integer('version').notNull().default(1),
  },
  (t) => [index('campaigns_workspace_idx').on(t.workspaceId)],
);
