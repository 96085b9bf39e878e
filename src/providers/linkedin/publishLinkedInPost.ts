/**
 * Publishing on LinkedIn (Posts API): each image is registered (`images?action=initializeUpload`)
 * and uploaded (PUT to the returned URL), then one `POST /rest/posts` creates the post. Uploaded
 * image URNs are saved through `progress`, so a retry skips the uploads already done.
 * Recent posts (`GET /rest/posts?q=author`) let an uncertain publish be checked, not repeated.
 */
import { MEDIA_FETCH_TIMEOUT_MS, mediaLimitsFor, openMedia, readMedia } from '../../media/fetchMedia.ts';
import { expectJson } from '../oauthHelpers.ts';
import { ProviderError, type ProviderContext, type PublishProgress, type PublishRequest, type PublishResult, type StoredCredential } from '../types.ts';
import { linkedinErrors, linkedinGet, linkedinPostJson } from './linkedinApi.ts';
import { linkedinFacts, linkedinPaths } from './linkedinFacts.ts';

export function linkedinPostUrl(urn: string): string {
  return `https://www.linkedin.com/feed/update/${urn}/`;
}

function validate(post: PublishRequest): void {
  const { limits } = linkedinFacts;
  if (post.text.length > limits.textMax) throw new ProviderError('bad_request', 'text_too_long', `LinkedIn posts are limited to ${limits.textMax} characters`);
  if (post.media.some((m) => m.kind !== 'image')) throw new ProviderError('bad_request', 'unsupported_media', 'LinkedIn posts from Perennial support images only');
  if (post.media.length > limits.maxImages) throw new ProviderError('bad_request', 'too_many_images', `LinkedIn posts take at most ${limits.maxImages} images`);
}

async function uploadImage(ctx: ProviderContext, credential: StoredCredential, media: PublishRequest['media'][number]): Promise<string> {
  const { body } = await linkedinPostJson(ctx, linkedinPaths.initializeImageUpload, credential.accessToken, {
    initializeUploadRequest: { owner: credential.platformAccountId },
  });
  const value = (body as { value?: { uploadUrl?: unknown; image?: unknown } }).value;
  if (typeof value?.uploadUrl !== 'string' || typeof value.image !== 'string') {
    throw new ProviderError('transient', 'malformed_response', 'LinkedIn did not return an image upload URL');
  }
  const image = await openMedia(ctx, media, mediaLimitsFor(linkedinFacts, 'image', ['image/jpeg', 'image/png', 'image/gif']));
  const put = await ctx.http(value.uploadUrl, {
    method: 'PUT',
    headers: { authorization: `Bearer ${credential.accessToken}`, 'content-type': image.mimeType },
    body: new Uint8Array(await readMedia(image)),
    timeoutMs: MEDIA_FETCH_TIMEOUT_MS,
  });
  if (!put.ok) await expectJson(put, linkedinErrors, 'LinkedIn', ctx.clock.nowMs());
  else await put.body?.cancel();
  return value.image;
}

function postBody(credential: StoredCredential, post: PublishRequest, images: string[]): Record<string, unknown> {
  const alt = (i: number) => post.media[i]?.altText;
  let content: Record<string, unknown> | undefined;
  let commentary = post.text;
  if (images.length === 1) content = { media: { id: images[0], ...(alt(0) ? { altText: alt(0) } : {}) } };
  else if (images.length > 1) content = { multiImage: { images: images.map((id, i) => ({ id, ...(alt(i) ? { altText: alt(i) } : {}) })) } };
  else if (post.link) content = { article: { source: post.link, title: typeof post.options.title === 'string' ? post.options.title : post.link } };
  if (post.link && images.length > 0) commentary = `${post.text}\n\n${post.link}`;
  return {
    author: credential.platformAccountId,
    commentary,
    visibility: typeof post.options.visibility === 'string' ? post.options.visibility : 'PUBLIC',
    distribution: { feedDistribution: 'MAIN_FEED', targetEntities: [], thirdPartyDistributionChannels: [] },
    ...(content ? { content } : {}),
    lifecycleState: 'PUBLISHED',
    isReshareDisabledByAuthor: false,
  };
}

export async function publishLinkedInPost(
  ctx: ProviderContext,
  credential: StoredCredential,
  post: PublishRequest,
  progress: PublishProgress,
): Promise<PublishResult> {
  validate(post);
  const images = Array.isArray(progress.state.images) ? [...(progress.state.images as string[])] : [];
  for (let i = images.length; i < post.media.length; i++) {
    const media = post.media[i];
    if (!media) continue;
    images.push(await uploadImage(ctx, credential, media));
    await progress.save({ ...progress.state, images: [...images] });
  }
  const { response } = await linkedinPostJson(ctx, linkedinPaths.posts, credential.accessToken, postBody(credential, post, images));
  const urn = response.headers.get('x-restli-id');
  if (!urn) throw new ProviderError('transient', 'malformed_response', 'LinkedIn created the post but did not return its id');
  return { platformPostId: urn, url: linkedinPostUrl(urn) };
}

/** The newest posts by the author; a match has our exact commentary and was created after `since`. */
export async function findRecentLinkedInPost(
  ctx: ProviderContext,
  credential: StoredCredential,
  post: PublishRequest,
  since: Date,
  skip?: ReadonlySet<string>,
): Promise<PublishResult | null> {
  const query = new URLSearchParams({ author: credential.platformAccountId, q: 'author', count: '20', sortBy: 'LAST_MODIFIED' });
  const page = await linkedinGet(ctx, `${linkedinPaths.posts}?${query}`, credential.accessToken);
  const elements = Array.isArray(page.elements) ? (page.elements as Record<string, unknown>[]) : [];
  const expected = post.link ? [post.text, `${post.text}\n\n${post.link}`] : [post.text];
  for (const element of elements) {
    const createdAt = typeof element.createdAt === 'number' ? element.createdAt : 0;
    if (typeof element.id === 'string' && !skip?.has(element.id) && createdAt >= since.getTime() && typeof element.commentary === 'string' && expected.includes(element.commentary)) {
      return { platformPostId: element.id, url: linkedinPostUrl(element.id) };
    }
  }
  return null;
}
