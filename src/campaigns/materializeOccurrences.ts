import type { Database } from '../db/database.ts';
import { findMediaByIds } from '../media/mediaRepo.ts';
import { assertComposable, composePost } from '../posts/composePost.ts';
import { findWorkspaceConnections } from '../posts/connectionsLookup.ts';
import { instantToLocal, type LocalTimeAdjustment } from '../posts/localTime.ts';
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

/** An occurrence whose local time fell in a daylight-saving gap or overlap, and the local time it got. */
export type OccurrenceAdjustment = { occurrence: string; scheduledLocal: string; adjustment: LocalTimeAdjustment };

/**
 * Writes one scheduled post per occurrence still ahead of `now` (multi-row inserts). The content
 * is validated once against every connection's platform (it is the same for every occurrence);
 * a problem refuses the whole series. Returns the new posts' ids and the occurrences adjusted for
 * daylight saving.
 */
export async function materializeOccurrences(
  db: Database,
  template: SeriesTemplate,
  occurrences: Occurrence[],
  now: Date,
): Promise<{ ids: string[]; adjustments: OccurrenceAdjustment[] }> {
  const connections = await findWorkspaceConnections(db, template.workspaceId, template.connectionIds);
  const media = await findMediaByIds(db, template.workspaceId, referencedMediaIds(template.content));
  const rows: NewPost[] = [];
  const adjustments: OccurrenceAdjustment[] = [];
  for (const occurrence of occurrences) {
    if (occurrence.instant.getTime() <= now.getTime()) continue;
    const composed = composePost(
      { content: template.content, connectionIds: template.connectionIds, keepInstant: occurrence.instant },
      { connections, media, timeZone: template.timeZone, now },
    );
    assertComposable(composed, { content: template.content, connectionIds: template.connectionIds, scheduledAt: occurrence.local });
    if (occurrence.adjustment) {
      adjustments.push({ occurrence: occurrence.local, scheduledLocal: instantToLocal(occurrence.instant, template.timeZone), adjustment: occurrence.adjustment });
    }
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
  return { ids: await insertPosts(db, rows, now), adjustments };
}

/** Checks the template's content against every connection, as a series edit must before it changes anything. */
export async function assertSeriesContentValid(db: Database, template: SeriesTemplate, now: Date): Promise<void> {
  const connections = await findWorkspaceConnections(db, template.workspaceId, template.connectionIds);
  const media = await findMediaByIds(db, template.workspaceId, referencedMediaIds(template.content));
  const input = { content: template.content, connectionIds: template.connectionIds, keepInstant: new Date(now.getTime() + 86_400_000) };
  assertComposable(composePost(input, { connections, media, timeZone: template.timeZone, now }), input);
}
