import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { EmulatorApp } from '../core/types.ts';

/**
 * Shared by the emulator modules that accept media bytes (LinkedIn image uploads, YouTube video
 * uploads). The bytes are summarised, not kept: the request log stores bodies, and tests only
 * need to know what arrived.
 */
export type UploadSummary = { contentType: string; bytes: number; sha256: string };

const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;

/** Registers a parser for image/video/octet-stream bodies on the (platform-scoped) app. */
export function acceptBinaryUploads(app: EmulatorApp): void {
  app.addContentTypeParser(/^(image|video)\/|^application\/octet-stream/, { parseAs: 'buffer', bodyLimit: MAX_UPLOAD_BYTES }, (request, body, done) => {
    const buffer = body as Buffer;
    const summary: UploadSummary = {
      contentType: String(request.headers['content-type'] ?? ''),
      bytes: buffer.length,
      sha256: createHash('sha256').update(buffer).digest('hex'),
    };
    done(null, summary);
  });
}

export function uploadOf(request: FastifyRequest): UploadSummary | null {
  const body = request.body as Partial<UploadSummary> | undefined;
  return body && typeof body.bytes === 'number' && typeof body.sha256 === 'string' ? (body as UploadSummary) : null;
}
