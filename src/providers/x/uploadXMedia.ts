/**
 * X media upload (API v2, docs.x.com "media upload"): for each image or video, `initialize`
 * (type, size, category), `append` in segments of at most 4 MB read from the file as it streams,
 * `finalize`, then `STATUS` polling while X processes a video or GIF. Each finished media id is
 * saved through `progress` (`xMediaIds`), and an id still processing is saved too
 * (`xPendingMedia`), so a retry after a crash never uploads a file twice.
 */
import { Readable } from 'node:stream';
import { MEDIA_FETCH_TIMEOUT_MS, mediaChunks, mediaLimitsFor, openMedia, readMedia, type OpenedMedia } from '../../media/fetchMedia.ts';
import { expectJson } from '../oauthHelpers.ts';
import { ProviderError, type ProviderContext, type PublishMedia, type PublishProgress, type StoredCredential } from '../types.ts';
import { classifyXError } from './classifyXError.ts';
import { xFacts } from './xFacts.ts';

const SEGMENT_BYTES = 4 * 1024 * 1024;
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'];
const VIDEO_TYPES = ['video/mp4', 'video/quicktime'];
/** Polls while X processes a video inside one publish call; past that the engine retries later. */
const MAX_STATUS_POLLS = 3;
const MAX_POLL_WAIT_MS = 5_000;

type Processing = { state?: string; check_after_secs?: number; error?: { message?: string } };
type MediaAnswer = { data?: { id?: unknown; processing_info?: Processing } };

const provider = { classifyError: classifyXError };

async function call(ctx: ProviderContext, credential: StoredCredential, path: string, init: RequestInit = {}): Promise<MediaAnswer> {
  const response = await ctx.http(`${ctx.hosts.api}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${credential.accessToken}`, accept: 'application/json', ...(init.headers as Record<string, string> | undefined) },
    timeoutMs: MEDIA_FETCH_TIMEOUT_MS,
  });
  return (await expectJson(response, provider, 'x', ctx.clock.nowMs())) as MediaAnswer;
}

function category(mimeType: string): string {
  if (mimeType === 'image/gif') return 'tweet_gif';
  return mimeType.startsWith('video/') ? 'tweet_video' : 'tweet_image';
}

async function sendFile(ctx: ProviderContext, credential: StoredCredential, opened: OpenedMedia): Promise<{ id: string; processing?: Processing }> {
  // X needs the total size first; a remote file of unknown length is read (within the limit) to learn it.
  let sized = opened;
  if (opened.sizeBytes === null) {
    const bytes = await readMedia(opened);
    sized = { ...opened, sizeBytes: bytes.length, stream: Readable.from([bytes]) };
  }
  const init = await call(ctx, credential, '/2/media/upload/initialize', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ media_type: sized.mimeType, total_bytes: sized.sizeBytes, media_category: category(sized.mimeType) }),
  });
  const id = init.data?.id;
  if (typeof id !== 'string') throw new ProviderError('transient', 'malformed_response', 'X started no media upload (no id)');
  let segment = 0;
  for await (const chunk of mediaChunks(sized, SEGMENT_BYTES)) {
    const form = new FormData();
    form.set('segment_index', String(segment++));
    form.set('media', new Blob([new Uint8Array(chunk)], { type: 'application/octet-stream' }), 'segment');
    await call(ctx, credential, `/2/media/upload/${encodeURIComponent(id)}/append`, { method: 'POST', body: form });
  }
  const finalized = await call(ctx, credential, `/2/media/upload/${encodeURIComponent(id)}/finalize`, { method: 'POST' });
  return { id, ...(finalized.data?.processing_info ? { processing: finalized.data.processing_info } : {}) };
}

/** Waits (briefly, in real time) for X to process `id`; a still-running job is a temporary failure. */
async function awaitProcessing(ctx: ProviderContext, credential: StoredCredential, id: string, first: Processing | undefined): Promise<void> {
  let info = first;
  for (let poll = 0; ; poll++) {
    if (!info || info.state === 'succeeded') return;
    if (info.state === 'failed') {
      throw new ProviderError('bad_request', 'media_processing_failed', `X could not process the media: ${(info.error?.message ?? 'unknown reason').slice(0, 200)}`);
    }
    const waitMs = Math.min(MAX_POLL_WAIT_MS, Math.max(0, (info.check_after_secs ?? 1) * 1000));
    if (poll >= MAX_STATUS_POLLS) {
      throw new ProviderError('transient', 'media_processing', 'X is still processing the media', { retryAfterMs: Math.max(waitMs, 10_000) });
    }
    if (poll > 0 || info.state !== 'pending') await new Promise((resolve) => setTimeout(resolve, waitMs));
    info = (await call(ctx, credential, `/2/media/upload?command=STATUS&media_id=${encodeURIComponent(id)}`)).data?.processing_info;
  }
}

/** The X media ids of `media`, in order, uploading only what `progress` does not hold yet. */
export async function uploadXMedia(ctx: ProviderContext, credential: StoredCredential, media: PublishMedia[], progress: PublishProgress): Promise<string[]> {
  const done = Array.isArray(progress.state.xMediaIds) ? [...(progress.state.xMediaIds as string[])] : [];
  for (let i = done.length; i < media.length; i++) {
    const item = media[i]!;
    const pending = progress.state.xPendingMedia as { index: number; id: string } | undefined;
    let id: string;
    let processing: Processing | undefined;
    if (pending && pending.index === i) {
      id = pending.id;
      processing = { state: 'pending' };
    } else {
      const limits = mediaLimitsFor(xFacts, item.kind, item.kind === 'image' ? IMAGE_TYPES : VIDEO_TYPES);
      ({ id, processing } = await sendFile(ctx, credential, await openMedia(ctx, item, limits)));
      if (processing) await progress.save({ ...progress.state, xPendingMedia: { index: i, id } });
    }
    await awaitProcessing(ctx, credential, id, processing);
    done.push(id);
    const { xPendingMedia: _finished, ...rest } = progress.state;
    await progress.save({ ...rest, xMediaIds: [...done] });
  }
  return done;
}
