import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { fileTypeFromBuffer } from '../../media/sniffType.ts';
import type { Grant } from '../core/grantStore.ts';
import type { EmulatorApp, EmulatorCore } from '../core/types.ts';
import { moduleState } from './moduleState.ts';

/**
 * Bluesky blobs: `com.atproto.repo.uploadBlob` takes the raw bytes (Content-Type the file's
 * type) and answers a blob reference; a post embeds images with `app.bsky.embed.images` (at
 * most 4, each at most 1,000,000 bytes, a blob of the same account). Unknown blob references
 * and oversized or non-image blobs are refused at createRecord, as the PDS's lexicon check does.
 */
const MAX_BLOB_BYTES = 50 * 1024 * 1024;
const IMAGE_MAX_BYTES = 1_000_000;
type Blob = { cid: string; accountId: string; mimeType: string; size: number; sha256: string };
type Body = { contentType: string; size: number; sha256: string; head: Buffer };
const stateByCore = new WeakMap<EmulatorCore, { blobs: Map<string, Blob> }>();
const blobs = (core: EmulatorCore) => moduleState(stateByCore, core, () => ({ blobs: new Map<string, Blob>() })).blobs;

export function registerBlueskyBlobs(
  app: EmulatorApp,
  core: EmulatorCore,
  requireAccess: (request: FastifyRequest, reply: FastifyReply) => Grant | null,
  xrpcError: (reply: FastifyReply, status: number, error: string, message: string) => FastifyReply,
): void {
  app.addContentTypeParser(/^(image|video)\/|^application\/octet-stream/, { parseAs: 'buffer', bodyLimit: MAX_BLOB_BYTES }, (request, body, done) => {
    const buffer = body as Buffer;
    const summary: Body = { contentType: String(request.headers['content-type'] ?? ''), size: buffer.length, sha256: createHash('sha256').update(buffer).digest('hex'), head: buffer.subarray(0, 4100) };
    done(null, summary);
  });
  app.post('/:host/xrpc/com.atproto.repo.uploadBlob', async (request, reply) => {
    const grant = requireAccess(request, reply);
    if (!grant) return reply;
    const body = request.body as Partial<Body> | undefined;
    if (!body || typeof body.size !== 'number' || body.size === 0 || !body.head) return xrpcError(reply, 400, 'InvalidRequest', 'Request body is empty');
    const detected = await fileTypeFromBuffer(body.head);
    const mimeType = detected?.mime ?? body.contentType ?? 'application/octet-stream';
    const cid = `bafkrei${body.sha256!.slice(0, 52)}`;
    blobs(core).set(cid, { cid, accountId: grant.accountId, mimeType, size: body.size, sha256: body.sha256! });
    return { blob: { $type: 'blob', ref: { $link: cid }, mimeType, size: body.size } };
  });
}

/** The images of a post's embed as the post list shows them; a string explains a refusal. */
export function embeddedImages(core: EmulatorCore, accountId: string, embed: unknown): { kind: 'image'; cid: string; contentType: string; bytes: number; sha256: string; alt: string }[] | string {
  if (embed === undefined) return [];
  const e = embed as { $type?: unknown; images?: { alt?: unknown; image?: { ref?: { $link?: unknown } } }[] };
  if (e.$type !== 'app.bsky.embed.images') return 'Only app.bsky.embed.images embeds are emulated';
  if (!Array.isArray(e.images) || e.images.length === 0 || e.images.length > 4) return 'Input/record/embed/images must have 1 to 4 items';
  const out = [];
  for (const item of e.images) {
    const cid = item.image?.ref?.$link;
    const blob = typeof cid === 'string' ? blobs(core).get(cid) : undefined;
    if (!blob || blob.accountId !== accountId) return 'Could not find blob: the image was not uploaded to this repo';
    if (!blob.mimeType.startsWith('image/')) return `Wrong blob type: expected image/*, got ${blob.mimeType}`;
    if (blob.size > IMAGE_MAX_BYTES) return `This file is too large. It is ${blob.size} bytes but the maximum size is ${IMAGE_MAX_BYTES} bytes.`;
    out.push({ kind: 'image' as const, cid: blob.cid, contentType: blob.mimeType, bytes: blob.size, sha256: blob.sha256, alt: typeof item.alt === 'string' ? item.alt : '' });
  }
  return out;
}
