/**
 * Instagram content publishing (both logins; only the Graph host and token differ): create a
 * media container (image, REELS video, or a CAROUSEL of child containers), wait until its
 * `status_code` is FINISHED, then `media_publish` it. Every container id is saved before the next
 * step; a container still IN_PROGRESS ends the run as `PublishStillProcessing`, so the
 * caller retries later and resumes from the saved container instead of creating another one.
 */
import { z } from 'zod';
import { callGraph } from '../meta/callGraph.ts';
import { accountId, parseId, parseShape } from '../meta/tokenResponses.ts';
import { ProviderError, PublishOutcomeUncertain, PublishStillProcessing, type PlatformFacts, type ProviderContext, type PublishProgress, type PublishRequest, type PublishResult } from '../types.ts';

/** Where the Graph API for this login lives: `https://graph.instagram.com/v22.0` or the Facebook one. */
export type InstagramTarget = { graphBase: string; igUserId: string; accessToken: string };

type ContainerState = { childIds?: string[]; containerId?: string; mediaId?: string };

/** How long to wait before checking a container that is still processing. */
export const CONTAINER_RETRY_MS = 30_000;

export function checkInstagramPost(facts: PlatformFacts, post: PublishRequest): void {
  if (post.media.length === 0) throw new ProviderError('bad_request', 'media_required', 'An Instagram post needs at least one image or video');
  if (post.media.length > facts.limits.maxImages) {
    throw new ProviderError('bad_request', 'too_many_media', `An Instagram carousel holds at most ${facts.limits.maxImages} items`);
  }
  if (post.text.length > facts.limits.textMax) {
    throw new ProviderError('bad_request', 'text_too_long', `Instagram captions are limited to ${facts.limits.textMax} characters`);
  }
}

function mediaFields(media: PublishRequest['media'][number], inCarousel: boolean): Record<string, string | undefined> {
  if (media.kind === 'video') return { media_type: inCarousel ? 'VIDEO' : 'REELS', video_url: media.url };
  return { image_url: media.url, alt_text: media.altText };
}

export async function publishInstagramMedia(
  ctx: ProviderContext,
  facts: PlatformFacts,
  target: InstagramTarget,
  post: PublishRequest,
  progress: PublishProgress,
): Promise<PublishResult> {
  checkInstagramPost(facts, post);
  const state: ContainerState = { ...(progress.state as ContainerState) };
  const account = `${target.graphBase}/${encodeURIComponent(target.igUserId)}`;
  const token = target.accessToken;
  if (state.mediaId) return permalinkOf(ctx, target, state.mediaId);

  if (!state.containerId) {
    const createContainer = (form: Record<string, string | undefined>, what: string) =>
      callGraph(ctx, { method: 'POST', url: `${account}/media`, form: { ...form, access_token: token }, what }, (body) => parseId(body, what));
    if (post.media.length === 1) {
      state.containerId = await createContainer({ ...mediaFields(post.media[0]!, false), caption: post.text }, 'Instagram media container');
    } else {
      const childIds = [...(state.childIds ?? [])];
      for (const media of post.media.slice(childIds.length)) {
        childIds.push(await createContainer({ ...mediaFields(media, true), is_carousel_item: 'true' }, 'Instagram carousel item'));
        state.childIds = childIds;
        await progress.save({ ...state });
      }
      state.containerId = await createContainer({ media_type: 'CAROUSEL', children: childIds.join(','), caption: post.text }, 'Instagram carousel container');
    }
    await progress.save({ ...state });
  }

  const status = await callGraph(
    ctx,
    { method: 'GET', url: `${target.graphBase}/${encodeURIComponent(state.containerId)}`, query: { fields: 'status_code,status', access_token: token }, what: 'Instagram container status' },
    (body) => parseShape(z.object({ status_code: z.string(), status: z.string().optional() }), body, 'Instagram container status'),
  );
  switch (status.status_code) {
    case 'FINISHED':
      break;
    case 'IN_PROGRESS':
      throw new PublishStillProcessing('media_processing', 'Instagram is still processing the media', CONTAINER_RETRY_MS);
    case 'EXPIRED': {
      // Containers live 24 h; start over with new ones on the next attempt.
      await progress.save({});
      throw new ProviderError('transient', 'container_expired', 'The Instagram media container expired before it was published', { retryAfterMs: 0 });
    }
    case 'PUBLISHED':
      // media_publish went through but its answer was lost: the engine looks the post up from its
      // intent (only posts made since then, none recorded by another target) instead of repeating it.
      throw new PublishOutcomeUncertain('publish_uncertain', 'Instagram says the media was published, but its id was not recorded');
    default:
      throw new ProviderError('bad_request', 'media_rejected', `Instagram could not process the media (${status.status ?? status.status_code})`.slice(0, 300));
  }

  state.mediaId = await callGraph(
    ctx,
    { method: 'POST', url: `${account}/media_publish`, form: { creation_id: state.containerId, access_token: token }, what: 'Instagram publish' },
    (body) => parseId(body, 'Instagram publish'),
  );
  await progress.save({ ...state });
  return permalinkOf(ctx, target, state.mediaId);
}

async function permalinkOf(ctx: ProviderContext, target: InstagramTarget, mediaId: string): Promise<PublishResult> {
  const media = await callGraph(
    ctx,
    { method: 'GET', url: `${target.graphBase}/${encodeURIComponent(mediaId)}`, query: { fields: 'id,permalink', access_token: target.accessToken }, what: 'Instagram media' },
    (body) => parseShape(z.object({ id: accountId, permalink: z.string().optional() }), body, 'Instagram media'),
  );
  return { platformPostId: mediaId, url: media.permalink ?? null };
}

const mediaListSchema = z.object({
  data: z.array(z.looseObject({ id: accountId, caption: z.string().optional(), permalink: z.string().optional(), timestamp: z.string().optional() })),
});

/** Recent media whose caption is the post's text, published at or after `since`. */
export async function findRecentInstagramMedia(
  ctx: ProviderContext,
  target: InstagramTarget,
  post: PublishRequest,
  since: Date,
  skip?: ReadonlySet<string>,
): Promise<PublishResult | null> {
  const list = await callGraph(
    ctx,
    {
      method: 'GET',
      url: `${target.graphBase}/${encodeURIComponent(target.igUserId)}/media`,
      query: { fields: 'id,caption,permalink,timestamp', limit: '25', access_token: target.accessToken },
      what: 'Instagram recent media',
    },
    (body) => parseShape(mediaListSchema, body, 'Instagram recent media'),
  );
  // Media without a timestamp cannot be placed after `since`: never a match (it may be an older post).
  const match = list.data.find((m) => {
    const at = m.timestamp ? Date.parse(m.timestamp) : Number.NaN;
    return !skip?.has(m.id) && (m.caption ?? '').trim() === post.text.trim() && at >= since.getTime();
  });
  return match ? { platformPostId: match.id, url: match.permalink ?? null } : null;
}
