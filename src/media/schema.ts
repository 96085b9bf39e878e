import { sql } from 'drizzle-orm';
import { bigint, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Uploaded files, stored under DATA_DIR/media/<workspace>/<id>; served back to members only. */
export const mediaFiles = pgTable(
  'media_files',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid('workspace_id').notNull(),
    /** The name it was uploaded with (CSV imports refer to uploads by it). */
    fileName: text('file_name').notNull(),
    /** Detected from the bytes (file-type), never from the client's header. */
    mimeType: text('mime_type').notNull(),
    kind: text('kind').$type<'image' | 'video'>().notNull(),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
    sha256: text('sha256').notNull(),
    /** Where the bytes are, relative to the media root (local folder today; S3 key later). */
    storageKey: text('storage_key').notNull(),
    uploadedBy: uuid('uploaded_by'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('media_files_workspace_name_idx').on(t.workspaceId, t.fileName)],
);
