import { sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { mediaLinkFor } from '../media/mediaLinks.ts';
import type { MediaBackend } from '../media/mediaStore.ts';
import { mediaStores } from '../media/mediaStores.ts';
import { effectiveContent, type PostContent } from '../posts/postContent.ts';
import { remoteMediaType } from '../posts/remoteMedia.ts';
import type { PlatformId, PublishRequest } from '../providers/types.ts';

/**
 * The post as one platform receives it: the post's content with that platform's override
 * applied (posts' `effectiveContent`), uploads resolved to URLs the platform can fetch (a
 * signed, expiring `/media/<id>` link, or a presigned S3 URL) and to a reader of their bytes for
 * adapters that upload them themselves, and that platform's options (posts' platformOptions.ts,
 * validated at compose time) with the override's title. The target id is the idempotency key
 * adapters place where the post can be found again. Built afresh for every attempt, so links
 * never go stale.
 */
export async function buildPublishRequest(
  ctx: Pick<AppContext, 'db' | 'config' | 'log' | 'clock'>,
  input: { targetId: string; workspaceId: string; platform: PlatformId; content: PostContent; mediaBaseUrl: string },
): Promise<PublishRequest> {
  const content = effectiveContent(input.content, input.platform);
  const media: PublishRequest['media'] = [];
  if (content.mediaIds.length > 0) {
    const res = await ctx.db.execute(sql`
      select id, kind, mime_type, size_bytes, storage_backend, storage_key from media_files
      where workspace_id = ${input.workspaceId} and id in (${sql.join(content.mediaIds.map((id) => sql`${id}`), sql`, `)})`);
    type Row = { id: string; kind: 'image' | 'video'; mime_type: string; size_bytes: number; storage_backend: MediaBackend; storage_key: string };
    const byId = new Map((res.rows as Row[]).map((r) => [r.id, r]));
    for (const id of content.mediaIds) {
      const file = byId.get(id);
      // A deleted upload is a content error the platform cannot fix: the target fails clearly.
      if (!file) throw new MissingMediaError(`The media file ${id} no longer exists`);
      const stored = { id: file.id, storageBackend: file.storage_backend, storageKey: file.storage_key };
      const store = mediaStores(ctx.config).forBackend(stored.storageBackend);
      media.push({
        kind: file.kind,
        url: await mediaLinkFor(ctx, stored, input.mediaBaseUrl),
        mimeType: file.mime_type,
        bytes: Number(file.size_bytes),
        mediaId: file.id,
        read: (range) => store.get(stored.storageKey, range),
      });
    }
  }
  for (const url of content.mediaUrls) media.push(remoteMedia(url));
  return {
    idempotencyKey: input.targetId,
    text: content.text,
    ...(content.link ? { link: content.link } : {}),
    media,
    options: { ...content.options, ...(content.title ? { title: content.title } : {}) },
  };
}

/**
 * A remote file (CSV import, `content.mediaUrls`) is handed to the platform by URL; its type comes
 * from the extension (posts/remoteMedia.ts, checked at compose time) and its size is unknown (0)
 * until the platform fetches it.
 */
function remoteMedia(url: string): PublishRequest['media'][number] {
  const type = remoteMediaType(url);
  if (!type) throw new MissingMediaError(`The media URL ${url.slice(0, 200)} is not a known image or video type`);
  return { ...type, url, bytes: 0 };
}

/** Media that cannot be sent: the target fails with `media_missing`. */
export class MissingMediaError extends Error {
  override name = 'MissingMediaError';
}
