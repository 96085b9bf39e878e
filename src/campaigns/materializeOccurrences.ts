import type { Database } from '../db/database.ts';
import { findMediaByIds } from '../media/mediaRepo.ts';
import { assertComposable, composePost } from '../posts/composePost.ts';
import { findWorkspaceConnections } from '../posts/connectionsLookup.ts';
import { referencedMediaIds, type PostContent } from '../posts/postContent.ts';
import { insertPosts, type NewPost } from '../posts/postsRepo.ts';
import type { Occurrence } from './recurrence.ts';

export type SeriesTemplate = {
  campaignId: string;
  workspaceId: string;
  timeZone: string;
  content: PostContent;
  connectionIds: string[];
  createdBy: string | null;
};

/**
 * Writes one scheduled post per occurrence still ahead of `now` (multi-row inserts). The content
 * is validated once against every connection's platform (it is the same for every occurrence);
 * a problem refuses the whole series. Returns the new posts' ids.
 */
export async function materializeOccurrences(db: Database, template: SeriesTemplate, occurrences: Occurrence[], now: Date): Promise<string[]> {
  const connections = await findWorkspaceConnections(db, template.workspaceId, template.connectionIds);
  const media = await findMediaByIds(db, template.workspaceId, referencedMediaIds(template.content));
  const rows: NewPost[] = [];
  for (const occurrence of occurrences) {
    if (occurrence.instant.getTime() <= now.getTime()) continue;
    const composed = composePost(
      { content: template.content, connectionIds: template.connectionIds, keepInstant: occurrence.instant },
      { connections, media, timeZone: template.timeZone, now },
    );
    assertComposable(composed, { content: template.content, connectionIds: template.connectionIds, scheduledAt: occurrence.local });
    rows.push({
      workspaceId: template.workspaceId,
      campaignId: template.campaignId,
      campaignOccurrence: occurrence.local,
      content: template.content,
      scheduledAt: composed.scheduledAt,
      timeZone: template.timeZone,
      createdBy: template.createdBy,
      targets: composed.targets,
    });
  }
  return insertPosts(db, rows, now);
}

/** Checks the template's content against every connection, as a series edit must before it changes anything. */
export async function assertSeriesContentValid(db: Database, template: SeriesTemplate, now: Date): Promise<void> {
  const connections = await findWorkspaceConnections(db, template.workspaceId, template.connectionIds);
  const media = await findMediaByIds(db, template.workspaceId, referencedMediaIds(template.content));
  const input = { content: template.content, connectionIds: template.connectionIds, keepInstant: new Date(now.getTime() + 86_400_000) };
  assertComposable(composePost(input, { connections, media, timeZone: template.timeZone, now }), input);
}
