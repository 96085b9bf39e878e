/**
 * YouTube uploads (resumable protocol): `POST /upload/youtube/v3/videos?uploadType=resumable`
 * with the metadata returns a session URL (Location); one PUT of the bytes to it creates the
 * video. The session URL is saved through `progress`, so a retry re-sends to the same session
 * (which answers with the finished video) instead of creating a second one.
 */
import { Readable } from 'node:stream';
import { MEDIA_FETCH_TIMEOUT_MS, mediaLimitsFor, openMedia } from '../../media/fetchMedia.ts';
import { ProviderError, type ProviderContext, type PublishProgress, type PublishRequest, type PublishResult, type StoredCredential } from '../types.ts';
import { googleJson, youtubeGet } from './youtubeApi.ts';
import { youtubeFacts, youtubePaths } from './youtubeFacts.ts';

const TITLE_MAX = 100;

/** The title: options.title, else the first line of the text (YouTube refuses `<` and `>`). */
export function youtubeTitle(post: PublishRequest): string {
  const raw = typeof post.options.title === 'string' && post.options.title.trim() ? post.options.title : (post.text.split('\n')[0] ?? '');
  return raw.replace(/[<>]/g, '').trim().slice(0, TITLE_MAX);
}

function validate(post: PublishRequest): PublishRequest['media'][number] {
  const video = post.media[0];
  if (post.media.length !== 1 || !video || video.kind !== 'video') {
    throw new ProviderError('bad_request', 'unsupported_media', 'A YouTube post needs exactly one video');
  }
  if (post.text.length > youtubeFacts.limits.textMax) throw new ProviderError('bad_request', 'text_too_long', `YouTube descriptions are limited to ${youtubeFacts.limits.textMax} characters`);
  if (!youtubeTitle(post)) throw new ProviderError('bad_request', 'invalid_title', 'A YouTube video needs a title (options.title or the first line of the text)');
  return video;
}

async function startSession(ctx: ProviderContext, credential: StoredCredential, post: PublishRequest, video: { mimeType: string; sizeBytes: number | null }): Promise<string> {
  // Per-post options (src/posts/platformOptions.ts) under the API's names.
  const o = post.options;
  const privacyStatus = typeof o.privacyStatus === 'string' ? o.privacyStatus : 'public';
  const tags = Array.isArray(o.tags) ? o.tags.filter((t): t is string => typeof t === 'string') : [];
  const response = await ctx.http(`${ctx.hosts.api}${youtubePaths.uploadVideo}?uploadType=resumable&part=snippet,status`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${credential.accessToken}`,
      'content-type': 'application/json; charset=UTF-8',
      ...(video.sizeBytes !== null ? { 'x-upload-content-length': String(video.sizeBytes) } : {}),
      'x-upload-content-type': video.mimeType,
    },
    body: JSON.stringify({
      snippet: { title: youtubeTitle(post), description: post.text, categoryId: typeof o.categoryId === 'string' ? o.categoryId : '22', ...(tags.length ? { tags } : {}) },
      status: { privacyStatus, selfDeclaredMadeForKids: o.selfDeclaredMadeForKids === true },
    }),
  });
  if (!response.ok) await googleJson(ctx, response);
  await response.body?.cancel();
  const location = response.headers.get('location');
  if (!location) throw new ProviderError('transient', 'malformed_response', 'YouTube opened no upload session (no Location header)');
  return location;
}

export async function publishYouTubeVideo(
  ctx: ProviderContext,
  credential: StoredCredential,
  post: PublishRequest,
  progress: PublishProgress,
): Promise<PublishResult> {
  const video = await openMedia(ctx, validate(post), mediaLimitsFor(youtubeFacts, 'video', ['video/mp4', 'video/quicktime', 'video/webm']));
  let uploadUrl = typeof progress.state.uploadUrl === 'string' ? progress.state.uploadUrl : undefined;
  if (!uploadUrl) {
    uploadUrl = await startSession(ctx, credential, post, video);
    await progress.save({ ...progress.state, uploadUrl });
  }
  // The bytes are streamed to the session, never held in memory whole.
  const response = await ctx.http(uploadUrl, {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${credential.accessToken}`,
      'content-type': video.mimeType,
      ...(video.sizeBytes !== null ? { 'content-length': String(video.sizeBytes) } : {}),
    },
    body: Readable.toWeb(video.stream) as ReadableStream<Uint8Array>,
    duplex: 'half',
    timeoutMs: MEDIA_FETCH_TIMEOUT_MS,
  } as RequestInit & { timeoutMs: number });
  const created = await googleJson(ctx, response);
  if (typeof created.id !== 'string' || created.id === '') throw new ProviderError('transient', 'malformed_response', 'YouTube finished the upload without a video id');
  return { platformPostId: created.id, url: `https://www.youtube.com/watch?v=${created.id}` };
}

/** search?forMine=true: the newest uploads; a match has our title and was published after `since`. */
export async function findRecentYouTubeVideo(
  ctx: ProviderContext,
  credential: StoredCredential,
  post: PublishRequest,
  since: Date,
  skip?: ReadonlySet<string>,
): Promise<PublishResult | null> {
  const query = new URLSearchParams({ part: 'snippet', forMine: 'true', type: 'video', order: 'date', maxResults: '25' });
  const page = await youtubeGet(ctx, `${youtubePaths.search}?${query}`, credential.accessToken);
  const items = Array.isArray(page.items) ? (page.items as Record<string, unknown>[]) : [];
  const title = youtubeTitle(post);
  for (const item of items) {
    const id = (item.id as { videoId?: unknown } | undefined)?.videoId;
    const snippet = (item.snippet ?? {}) as Record<string, unknown>;
    const publishedMs = typeof snippet.publishedAt === 'string' ? Date.parse(snippet.publishedAt) : Number.NaN;
    if (typeof id === 'string' && !skip?.has(id) && snippet.title === title && publishedMs >= Math.floor(since.getTime() / 1000) * 1000) {
      return { platformPostId: id, url: `https://www.youtube.com/watch?v=${id}` };
    }
  }
  return null;
}
