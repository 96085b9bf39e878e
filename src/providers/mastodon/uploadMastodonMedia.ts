/**
 * Mastodon media: each file goes to `POST /api/v2/media` (multipart `file`, alt text as
 * `description`); a 202 means the server is still processing it, polled with
 * `GET /api/v1/media/:id` (206 while processing) until it has a URL. Finished ids are saved
 * through `progress` (`mastodonMediaIds`, and `mastodonPendingMedia` while one is processing), so a
 * retry after a crash does not upload a file twice. Statuses attach them with `media_ids`.
 */
import { MEDIA_FETCH_TIMEOUT_MS, mediaLimitsFor, openMedia, readMedia } from '../../media/fetchMedia.ts';
import { expectJson } from '../oauthHelpers.ts';
import { ProviderError, type Provider, type ProviderContext, type PublishMedia, type PublishProgress, type StoredCredential } from '../types.ts';
import { mastodonFacts } from './mastodonFacts.ts';

const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];
const VIDEO_TYPES = ['video/mp4', 'video/webm', 'video/quicktime'];
const MAX_POLLS = 3;
const POLL_WAIT_MS = 1_000;

export async function uploadMastodonMedia(
  ctx: ProviderContext,
  credential: StoredCredential,
  base: string,
  media: PublishMedia[],
  progress: PublishProgress,
  classify: Pick<Provider, 'classifyError'>,
): Promise<string[]> {
  const auth = { authorization: `Bearer ${credential.accessToken}`, accept: 'application/json' };
  const done = Array.isArray(progress.state.mastodonMediaIds) ? [...(progress.state.mastodonMediaIds as string[])] : [];
  for (let i = done.length; i < media.length; i++) {
    const item = media[i]!;
    const pending = progress.state.mastodonPendingMedia as { index: number; id: string } | undefined;
    let id: string;
    let ready: boolean;
    if (pending && pending.index === i) {
      id = pending.id;
      ready = false;
    } else {
      const file = await openMedia(ctx, item, mediaLimitsFor(mastodonFacts, item.kind, item.kind === 'image' ? IMAGE_TYPES : VIDEO_TYPES));
      const form = new FormData();
      form.set('file', new Blob([new Uint8Array(await readMedia(file))], { type: file.mimeType }), `upload.${file.mimeType.split('/')[1]}`);
      if (item.altText) form.set('description', item.altText);
      const response = await ctx.http(`${base}/api/v2/media`, { method: 'POST', headers: auth, body: form, timeoutMs: MEDIA_FETCH_TIMEOUT_MS });
      const body = (await expectJson(response, classify, 'mastodon', ctx.clock.nowMs())) as { id?: unknown; url?: unknown };
      if (typeof body.id !== 'string') throw new ProviderError('transient', 'malformed_response', 'Mastodon stored the file but returned no media id');
      id = body.id;
      ready = response.status === 200 && typeof body.url === 'string';
      if (!ready) await progress.save({ ...progress.state, mastodonPendingMedia: { index: i, id } });
    }
    for (let poll = 0; !ready; poll++) {
      if (poll >= MAX_POLLS) throw new ProviderError('transient', 'media_processing', 'Mastodon is still processing the media', { retryAfterMs: 15_000 });
      if (poll > 0) await new Promise((resolve) => setTimeout(resolve, POLL_WAIT_MS));
      const response = await ctx.http(`${base}/api/v1/media/${encodeURIComponent(id)}`, { headers: auth });
      const body = (await expectJson(response, classify, 'mastodon', ctx.clock.nowMs())) as { url?: unknown };
      ready = response.status === 200 && typeof body.url === 'string';
    }
    done.push(id);
    const { mastodonPendingMedia: _finished, ...rest } = progress.state;
    await progress.save({ ...rest, mastodonMediaIds: [...done] });
  }
  return done;
}
