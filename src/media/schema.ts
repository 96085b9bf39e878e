import { sql } from 'drizzle-orm';
import { bigint, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Uploaded files (DATA_DIR/media or S3); served to members, and to platforms through signed URLs. */
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
    /** Which store holds the bytes: the DATA_DIR/media folder or S3-compatible storage (mediaStores.ts). */
    storageBackend: text('storage_backend').$type<'local' | 's3'>().notNull().default('local'),
    /** `<workspaceId>/<mediaId>`: the file under the media folder, or the object key in the bucket. */
    storageKey: text('storage_key').notNull(),
    uploadedBy: uuid('uploaded_by'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('media_files_workspace_name_idx').on(t.workspaceId, t.fileName)],
);
