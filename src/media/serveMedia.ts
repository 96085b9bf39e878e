import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { notFound } from '../http/errors.ts';
import type { MediaFile } from './mediaRepo.ts';
import { MediaNotStoredError, type ByteRange } from './mediaStore.ts';
import { mediaStores } from './mediaStores.ts';

/**
 * One `Range: bytes=a-b` (also `a-` and `-n`) of a file of `size` bytes; null: send it whole
 * (no header, several ranges, another unit); 'unsatisfiable': answer 416.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | null | 'unsatisfiable' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/**
 * Streams an upload from its store with its detected type, honouring a single byte range
 * (video players and platforms fetch videos in ranges). A row whose bytes are gone answers 404.
 */
export async function sendMedia(config: Config, request: FastifyRequest, reply: FastifyReply, media: MediaFile, cacheControl: string): Promise<FastifyReply> {
  const size = media.sizeBytes;
  const range = parseRange(request.headers.range, size);
  reply.header('accept-ranges', 'bytes').header('x-content-type-options', 'nosniff').header('cache-control', cacheControl);
  if (range === 'unsatisfiable') return reply.status(416).header('content-range', `bytes */${size}`).send();
  reply.header('content-type', media.mimeType);
  const store = mediaStores(config).forBackend(media.storageBackend);
  let stream;
  try {
    stream = await store.get(media.storageKey, range ?? undefined);
  } catch (err) {
    if (err instanceof MediaNotStoredError) throw notFound('upload');
    throw err;
  }
  if (range) {
    return reply
      .status(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
      .header('content-length', String(range.end - range.start + 1))
      .send(stream);
  }
  return reply.header('content-length', String(size)).send(stream);
}
