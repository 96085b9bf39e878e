import { Readable } from 'node:stream';
import { fileTypeFromBuffer } from './sniffType.ts';
import { ProviderError, type PlatformFacts, type ProviderContext, type PublishMedia } from '../providers/types.ts';

/**
 * The media path for adapters that send a file's bytes themselves (X, Bluesky, Mastodon,
 * LinkedIn, YouTube), apart from the API client's small, buffered limits:
 * - an upload is read straight from its store (`media.read`); a remote URL (CSV import) is
 *   fetched through the context's guarded client, streamed, with a long but bounded timeout,
 *   following at most MAX_REDIRECTS redirects, each hop checked by the address guard again;
 * - the size limit is the platform's own (facts.limits), checked against the declared length and
 *   again while reading; the type is sniffed from the first bytes, never taken from a header;
 * - a file that is too large, of a type the platform refuses, or gone (404/410) is a permanent
 *   failure (`bad_request`): retrying would not change it. A 5xx or a network failure is temporary.
 */
export const MEDIA_FETCH_TIMEOUT_MS = 5 * 60_000;
const MAX_REDIRECTS = 5;
const SNIFF_BYTES = 4100;

export type MediaLimits = { maxBytes: number; types: readonly string[] };

export type OpenedMedia = {
  /** Detected from the bytes. */
  mimeType: string;
  /** Known for uploads and for responses with a length; null otherwise. */
  sizeBytes: number | null;
  stream: Readable;
};

const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];
const VIDEO_TYPES = ['video/mp4', 'video/quicktime'];

/** The platform's limit for this kind of media, from its facts; `types` narrows the accepted types. */
export function mediaLimitsFor(facts: PlatformFacts, kind: 'image' | 'video', types?: readonly string[]): MediaLimits {
  const maxBytes = kind === 'image' ? facts.limits.maxImageBytes : facts.limits.maxVideoBytes;
  if (!maxBytes) throw new ProviderError('bad_request', 'media_type_not_supported', `${facts.displayName} does not take ${kind}s from Perennial`);
  return { maxBytes, types: types ?? (kind === 'image' ? IMAGE_TYPES : VIDEO_TYPES) };
}

function tooLarge(maxBytes: number): ProviderError {
  return new ProviderError('bad_request', 'media_too_large', `The file is larger than the ${Math.floor(maxBytes / 1024 / 1024)} MB the platform accepts`);
}

async function fetchRemote(ctx: ProviderContext, media: PublishMedia, limits: MediaLimits): Promise<{ stream: Readable; sizeBytes: number | null }> {
  let url = new URL(media.url);
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    // ctx.http checks every hop's address (before and at connect time).
    const response = await ctx.http(url, { stream: true, maxResponseBytes: limits.maxBytes, timeoutMs: MEDIA_FETCH_TIMEOUT_MS, redirect: 'manual' });
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      url = new URL(location, url);
      continue;
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      const temporary = response.status >= 500 || response.status === 429 || response.status === 408;
      throw new ProviderError(temporary ? 'transient' : 'bad_request', 'media_unavailable', `The media file could not be read from ${url.host} (HTTP ${response.status})`, {
        httpStatus: response.status,
      });
    }
    const declared = response.headers.get('content-length');
    return { stream: Readable.fromWeb(response.body as Parameters<typeof Readable.fromWeb>[0]), sizeBytes: declared ? Number(declared) : null };
  }
  throw new ProviderError('bad_request', 'media_unavailable', `The media URL redirects more than ${MAX_REDIRECTS} times`);
}

/** Reads the first bytes for the sniff and hands back a stream that still yields all of them. */
async function sniff(source: Readable): Promise<{ head: Buffer; stream: Readable }> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = Buffer.from(next.value);
    chunks.push(chunk);
    length += chunk.length;
  }
  const head = Buffer.concat(chunks);
  async function* rest(): AsyncGenerator<Buffer> {
    yield head;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield Buffer.from(next.value);
  }
  return { head, stream: Readable.from(rest(), { objectMode: false }) };
}

/** Counts bytes and fails with media_too_large past `maxBytes` (uploads, and lengths that lied). */
function bounded(stream: Readable, maxBytes: number): Readable {
  let total = 0;
  async function* limited(): AsyncGenerator<Buffer> {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) {
        stream.destroy();
        throw tooLarge(maxBytes);
      }
      yield chunk;
    }
  }
  return Readable.from(limited(), { objectMode: false });
}

/** Opens one image or video for upload to a platform: checked, typed from its bytes, streamed. */
export async function openMedia(ctx: ProviderContext, media: PublishMedia, limits: MediaLimits): Promise<OpenedMedia> {
  if (media.bytes > limits.maxBytes) throw tooLarge(limits.maxBytes);
  let source: { stream: Readable; sizeBytes: number | null };
  if (media.read) {
    try {
      source = { stream: await media.read(), sizeBytes: media.bytes };
    } catch (err) {
      throw new ProviderError('bad_request', 'media_unavailable', 'The uploaded file is no longer in storage', { cause: err });
    }
  } else {
    source = await fetchRemote(ctx, media, limits);
  }
  if (source.sizeBytes !== null && source.sizeBytes > limits.maxBytes) {
    source.stream.destroy();
    throw tooLarge(limits.maxBytes);
  }
  const { head, stream } = await sniff(source.stream);
  const detected = await fileTypeFromBuffer(head);
  if (!detected || !limits.types.includes(detected.mime)) {
    stream.destroy();
    throw new ProviderError('bad_request', 'media_type_not_supported', `The file is ${detected?.mime ?? 'not a recognised image or video'}; the platform accepts ${limits.types.join(', ')}`);
  }
  return { mimeType: detected.mime, sizeBytes: source.sizeBytes, stream: bounded(stream, limits.maxBytes) };
}

/** The whole file in memory, for platforms that take one body (images; bounded by the limit). */
export async function readMedia(opened: OpenedMedia): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of opened.stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The file in pieces of `size` bytes (the last one shorter), for chunked uploads. */
export async function* mediaChunks(opened: OpenedMedia, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let length = 0;
  for await (const chunk of opened.stream as AsyncIterable<Buffer>) {
    pending.push(chunk);
    length += chunk.length;
    while (length >= size) {
      const all = Buffer.concat(pending);
      yield all.subarray(0, size);
      pending = [all.subarray(size)];
      length = all.length - size;
    }
  }
  if (length > 0) yield Buffer.concat(pending);
}
