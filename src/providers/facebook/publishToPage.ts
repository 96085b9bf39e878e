/**
 * Publishing to a Facebook Page with its Page token: text and links go to /{page}/feed, one image
 * to /{page}/photos, several images are uploaded unpublished and attached to one feed post, a
 * video goes to /{page}/videos. Each uploaded photo id is saved before the next step, so a retry
 * re-uses it instead of uploading twice.
 */
import { z } from 'zod';
import { callGraph } from '../meta/callGraph.ts';
import { accountId, parseId, parseShape } from '../meta/tokenResponses.ts';
import {
  ProviderError,
  type PlatformFacts,
  type ProviderContext,
  type PublishProgress,
  type PublishRequest,
  type PublishResult,
  type StoredCredential,
} from '../types.ts';

type PageState = { photoIds?: string[]; postId?: string };

export function checkPagePost(facts: PlatformFacts, post: PublishRequest): void {
  if (post.text.length > facts.limits.textMax) {
    throw new ProviderError('bad_request', 'text_too_long', `Facebook posts are limited to ${facts.limits.textMax} characters`);
  }
  const videos = post.media.filter((m) => m.kind === 'video');
  if (videos.length > 0 && post.media.length > 1) {
    throw new ProviderError('bad_request', 'media_mix_unsupported', 'A Facebook Page post carries either one video or images');
  }
  if (post.media.length > facts.limits.maxImages) {
    throw new ProviderError('bad_request', 'too_many_media', `A Facebook Page post carries at most ${facts.limits.maxImages} images`);
  }
  if (post.text.trim() === '' && post.media.length === 0 && !post.link) {
    throw new ProviderError('bad_request', 'empty_post', 'A Facebook post needs text, a link or media');
  }
}

export async function publishToPage(
  ctx: ProviderContext,
  version: string,
  facts: PlatformFacts,
  credential: StoredCredential,
  post: PublishRequest,
  progress: PublishProgress,
): Promise<PublishResult> {
  checkPagePost(facts, post);
  const state = progress.state as PageState;
  if (state.postId) return resultFor(ctx, state.postId);

  const pageId = credential.platformAccountId;
  const base = `${ctx.hosts.graph}/${version}/${encodeURIComponent(pageId)}`;
  const token = credential.accessToken;
  let postId: string;

  const [first] = post.media;
  if (first?.kind === 'video') {
    postId = await callGraph(
      ctx,
      { method: 'POST', url: `${base}/videos`, form: { file_url: first.url, description: post.text, access_token: token }, what: 'Facebook video upload' },
      (body) => parseId(body, 'Facebook video upload'),
    );
  } else if (first && post.media.length === 1) {
    postId = await callGraph(
      ctx,
      { method: 'POST', url: `${base}/photos`, form: { url: first.url, message: post.text, access_token: token }, what: 'Facebook photo post' },
      (body) => {
        const b = parseShape(z.object({ id: accountId, post_id: accountId.optional() }), body, 'Facebook photo post');
        return b.post_id ?? b.id;
      },
    );
  } else {
    const photoIds = [...(state.photoIds ?? [])];
    for (const media of post.media.slice(photoIds.length)) {
      const id = await callGraph(
        ctx,
        { method: 'POST', url: `${base}/photos`, form: { url: media.url, published: 'false', access_token: token }, what: 'Facebook photo upload' },
        (body) => parseId(body, 'Facebook photo upload'),
      );
      photoIds.push(id);
      await progress.save({ ...state, photoIds });
    }
    const form: Record<string, string | undefined> = { message: post.text, link: post.link, access_token: token };
    photoIds.forEach((id, i) => (form[`attached_media[${i}]`] = JSON.stringify({ media_fbid: id })));
    postId = await callGraph(ctx, { method: 'POST', url: `${base}/feed`, form, what: 'Facebook Page post' }, (body) =>
      parseId(body, 'Facebook Page post'),
    );
  }
  await progress.save({ ...state, postId });
  return resultFor(ctx, postId);
}

function resultFor(ctx: ProviderContext, postId: string): PublishResult {
  return { platformPostId: postId, url: `${ctx.hosts.www}/${postId}` };
}

const postsSchema = z.object({
  data: z.array(z.looseObject({ id: accountId, message: z.string().optional(), created_time: z.string().optional(), permalink_url: z.string().optional() })),
});

/** The Page's posts since `since` whose text is the post's text (Page posts carry no idempotency key). */
export async function findRecentPagePost(
  ctx: ProviderContext,
  version: string,
  credential: StoredCredential,
  post: PublishRequest,
  since: Date,
  skip?: ReadonlySet<string>,
): Promise<PublishResult | null> {
  const posts = await callGraph(
    ctx,
    {
      method: 'GET',
      url: `${ctx.hosts.graph}/${version}/${encodeURIComponent(credential.platformAccountId)}/posts`,
      query: {
        fields: 'id,message,created_time,permalink_url',
        since: String(Math.floor(since.getTime() / 1000)),
        limit: '50',
        access_token: credential.accessToken,
      },
      what: 'Facebook Page posts',
    },
    (body) => parseShape(postsSchema, body, 'Facebook Page posts'),
  );
  const match = posts.data.find(
    (p) => !skip?.has(p.id) && !(Date.parse(p.created_time ?? '') < since.getTime()) && (p.message ?? '').trim() === post.text.trim(),
  );
  if (!match) return null;
  return { platformPostId: match.id, url: match.permalink_url ?? `${ctx.hosts.www}/${match.id}` };
}
