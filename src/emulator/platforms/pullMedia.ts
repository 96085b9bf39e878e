import { createHash } from 'node:crypto';
import { fileTypeFromBuffer } from '../../media/sniffType.ts';

/**
 * What the emulated platforms that pull media by URL (Instagram and Threads containers, Facebook
 * photos and videos, Pinterest pins, TikTok PULL_FROM_URL) do with the URL: fetch it for real,
 * like the platform's crawler, and check that the bytes are an image or a video of an accepted
 * type. A URL that does not answer, answers an error, or serves something else fails the
 * publish as it would on the platform. The bytes are summarised, not kept.
 */
export type PulledMedia = { url: string; contentType: string; bytes: number; sha256: string; kind: 'image' | 'video' };
export type PullResult = { ok: true; media: PulledMedia } | { ok: false; error: string };

const PULL_TIMEOUT_MS = 30_000;
const MAX_PULL_BYTES = 256 * 1024 * 1024;
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];
const VIDEO_TYPES = ['video/mp4', 'video/quicktime', 'video/webm'];

export async function pullMedia(url: string, expect: 'image' | 'video' | 'any', options: { types?: readonly string[] } = {}): Promise<PullResult> {
  if (!/^https?:\/\//.test(url)) return { ok: false, error: 'the media URL is not an http(s) URL' };
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(PULL_TIMEOUT_MS) });
  } catch {
    return { ok: false, error: 'the media URL could not be reached' };
  }
  if (!response.ok) {
    await response.body?.cancel();
    return { ok: false, error: `the media URL answered HTTP ${response.status}` };
  }
  const body = Buffer.from(await response.arrayBuffer());
  if (body.length === 0) return { ok: false, error: 'the media URL returned no bytes' };
  if (body.length > MAX_PULL_BYTES) return { ok: false, error: 'the media file is too large' };
  const detected = await fileTypeFromBuffer(body);
  const kind = detected && IMAGE_TYPES.includes(detected.mime) ? 'image' : detected && VIDEO_TYPES.includes(detected.mime) ? 'video' : null;
  if (!detected || !kind || (options.types && !options.types.includes(detected.mime))) {
    return { ok: false, error: `the media file is ${detected?.mime ?? 'not an image or a video'}` };
  }
  if (expect !== 'any' && kind !== expect) return { ok: false, error: `expected an ${expect}, the media file is ${detected.mime}` };
  return { ok: true, media: { url, contentType: detected.mime, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex'), kind } };
}
