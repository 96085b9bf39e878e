/**
 * Threads publishing: create a container (TEXT, IMAGE, VIDEO, or a CAROUSEL of item containers),
 * check its `status`, then `threads_publish` it. Container ids are saved before each next step;
 * a container still IN_PROGRESS ends the run as `PublishStillProcessing` (the engine polls).
 */
import { z } from 'zod';
import { callGraph } from '../meta/callGraph.ts';
import { accountId, parseId, parseShape } from '../meta/tokenResponses.ts';
import {
  ProviderError,
  PublishOutcomeUncertain,
  PublishStillProcessing,
  type PlatformFacts,
  type ProviderContext,
  type PublishProgress,
  type PublishRequest,
  type PublishResult,
  type StoredCredential,
} from '../types.ts';

type ThreadState = { childIds?: string[]; containerId?: string; threadId?: string };

export const THREADS_CONTAINER_RETRY_MS = 30_000;

export function checkThreadsPost(facts: PlatformFacts, post: PublishRequest): void {
  if (post.text.length > facts.limits.textMax) {
    throw new ProviderError('bad_request', 'text_too_long', `Threads posts are limited to ${facts.limits.textMax} characters`);
  }
  if (post.media.length > facts.limits.maxImages) {
    throw new ProviderError('bad_request', 'too_many_media', `A Threads carousel holds at most ${facts.limits.maxImages} items`);
  }
  if (post.text.trim() === '' && post.media.length === 0) throw new ProviderError('bad_request', 'empty_post', 'A Threads post needs text or media');
}

function mediaFields(media: PublishRequest['media'][number]): Record<string, string | undefined> {
  return media.kind === 'video' ? { media_type: 'VIDEO', video_url: media.url } : { media_type: 'IMAGE', image_url: media.url, alt_text: media.altText };
}

export async function publishThread(
  ctx: ProviderContext,
  version: string,
  facts: PlatformFacts,
  credential: StoredCredential,
  post: PublishRequest,
  progress: PublishProgress,
): Promise<PublishResult> {
  checkThreadsPost(facts, post);
  const state: ThreadState = { ...(progress.state as ThreadState) };
  const base = `${ctx.hosts.graph}/${version}`;
  const account = `${base}/${encodeURIComponent(credential.platformAccountId)}`;
  const token = credential.accessToken;
  if (state.threadId) return permalinkOf(ctx, base, token, state.threadId);

  if (!state.containerId) {
    const create = (form: Record<string, string | undefined>, what: string) =>
      callGraph(ctx, { method: 'POST', url: `${account}/threads`, form: { ...form, access_token: token }, what }, (body) => parseId(body, what));
    if (post.media.length === 0) {
      state.containerId = await create({ media_type: 'TEXT', text: post.text, link_attachment: post.link }, 'Threads container');
    } else if (post.media.length === 1) {
      state.containerId = await create({ ...mediaFields(post.media[0]!), text: post.text }, 'Threads container');
    } else {
      const childIds = [...(state.childIds ?? [])];
      for (const media of post.media.slice(childIds.length)) {
        childIds.push(await create({ ...mediaFields(media), is_carousel_item: 'true' }, 'Threads carousel item'));
        state.childIds = childIds;
        await progress.save({ ...state });
      }
      state.containerId = await create({ media_type: 'CAROUSEL', children: childIds.join(','), text: post.text }, 'Threads carousel container');
    }
    await progress.save({ ...state });
  }

  const status = await callGraph(
    ctx,
    { method: 'GET', url: `${base}/${encodeURIComponent(state.containerId)}`, query: { fields: 'status,error_message', access_token: token }, what: 'Threads container status' },
    (body) => parseShape(z.object({ status: z.string(), error_message: z.string().optional() }), body, 'Threads container status'),
  );
  switch (status.status) {
    case 'FINISHED':
      break;
    case 'IN_PROGRESS':
      throw new PublishStillProcessing('media_processing', 'Threads is still processing the media', THREADS_CONTAINER_RETRY_MS);
    case 'EXPIRED':
      await progress.save({});
      throw new ProviderError('transient', 'container_expired', 'The Threads container expired before it was published', { retryAfterMs: 0 });
    case 'PUBLISHED':
      // threads_publish went through but its answer was lost: the engine looks the post up from its intent.
      throw new PublishOutcomeUncertain('publish_uncertain', 'Threads says the post was published, but its id was not recorded');
    default:
      throw new ProviderError('bad_request', 'media_rejected', `Threads could not process the post (${status.error_message ?? status.status})`.slice(0, 300));
  }

  state.threadId = await callGraph(
    ctx,
    { method: 'POST', url: `${account}/threads_publish`, form: { creation_id: state.containerId, access_token: token }, what: 'Threads publish' },
    (body) => parseId(body, 'Threads publish'),
  );
  await progress.save({ ...state });
  return permalinkOf(ctx, base, token, state.threadId);
}

async function permalinkOf(ctx: ProviderContext, base: string, token: string, threadId: string): Promise<PublishResult> {
  const media = await callGraph(
    ctx,
    { method: 'GET', url: `${base}/${encodeURIComponent(threadId)}`, query: { fields: 'id,permalink', access_token: token }, what: 'Threads post' },
    (body) => parseShape(z.object({ id: accountId, permalink: z.string().optional() }), body, 'Threads post'),
  );
  return { platformPostId: threadId, url: media.permalink ?? null };
}

const threadsListSchema = z.object({
  data: z.array(z.looseObject({ id: accountId, text: z.string().optional(), permalink: z.string().optional(), timestamp: z.string().optional() })),
});

/** The user's threads since `since` whose text is the post's text. */
export async function findRecentThread(
  ctx: ProviderContext,
  version: string,
  credential: StoredCredential,
  post: PublishRequest,
  since: Date,
  skip?: ReadonlySet<string>,
): Promise<PublishResult | null> {
  const list = await callGraph(
    ctx,
    {
      method: 'GET',
      url: `${ctx.hosts.graph}/${version}/${encodeURIComponent(credential.platformAccountId)}/threads`,
      query: { fields: 'id,text,permalink,timestamp', since: String(Math.floor(since.getTime() / 1000)), limit: '25', access_token: credential.accessToken },
      what: 'Threads recent posts',
    },
    (body) => parseShape(threadsListSchema, body, 'Threads recent posts'),
  );
  const match = list.data.find(
    (t) => !skip?.has(t.id) && !(Date.parse(t.timestamp ?? '') < since.getTime()) && (t.text ?? '').trim() === post.text.trim(),
  );
  return match ? { platformPostId: match.id, url: match.permalink ?? null } : null;
}
