/**
 * Bluesky images: each file is sent to the PDS with `com.atproto.repo.uploadBlob` (raw bytes,
 * its detected type) and embedded with `app.bsky.embed.images`. Blob references are saved
 * through `progress` (`blueskyBlobs`), so a retry does not upload them again.
 * Videos are not supported: Bluesky takes them through a separate video service
 * (app.bsky.video, service-auth tokens, a processing job) that is not built here.
 */
import { mediaLimitsFor, openMedia, readMedia, MEDIA_FETCH_TIMEOUT_MS } from '../../media/fetchMedia.ts';
import { expectJson } from '../oauthHelpers.ts';
import { ProviderError, type Provider, type ProviderContext, type PublishMedia, type PublishProgress, type StoredCredential } from '../types.ts';
import { blueskyFacts } from './blueskyFacts.ts';

const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];

export type BlobRef = { $type: 'blob'; ref: { $link: string }; mimeType: string; size: number };

export async function uploadBlueskyImages(
  ctx: ProviderContext,
  credential: StoredCredential,
  media: PublishMedia[],
  progress: PublishProgress,
  endpoint: (method: string) => string,
  classify: Pick<Provider, 'classifyError'>,
): Promise<{ $type: 'app.bsky.embed.images'; images: { alt: string; image: BlobRef }[] } | undefined> {
  if (media.length === 0) return undefined;
  if (media.some((m) => m.kind !== 'image')) {
    throw new ProviderError('bad_request', 'media_type_not_supported', 'Bluesky posts from Perennial take images only (video is not supported yet)');
  }
  const blobs = Array.isArray(progress.state.blueskyBlobs) ? [...(progress.state.blueskyBlobs as BlobRef[])] : [];
  for (let i = blobs.length; i < media.length; i++) {
    const image = await openMedia(ctx, media[i]!, mediaLimitsFor(blueskyFacts, 'image', IMAGE_TYPES));
    const response = await ctx.http(endpoint('com.atproto.repo.uploadBlob'), {
      method: 'POST',
      headers: { authorization: `Bearer ${credential.accessToken}`, 'content-type': image.mimeType, accept: 'application/json' },
      body: new Uint8Array(await readMedia(image)),
      timeoutMs: MEDIA_FETCH_TIMEOUT_MS,
    });
    const body = (await expectJson(response, classify, 'bluesky', ctx.clock.nowMs())) as { blob?: BlobRef };
    if (typeof body.blob?.ref?.$link !== 'string') throw new ProviderError('transient', 'malformed_response', 'Bluesky stored the image but returned no blob reference');
    blobs.push(body.blob);
    await progress.save({ ...progress.state, blueskyBlobs: [...blobs] });
  }
  return { $type: 'app.bsky.embed.images', images: blobs.map((image, i) => ({ alt: media[i]?.altText ?? '', image })) };
}
