import { createHash } from 'node:crypto';
import fastifyMultipart from '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { fileTypeFromBuffer } from '../../media/sniffType.ts';
import type { Grant } from '../core/grantStore.ts';
import type { EmulatorApp, EmulatorCore } from '../core/types.ts';
import { defineSettings, moduleState } from './moduleState.ts';

/**
 * X API v2 media upload (docs.x.com, media upload): `POST /2/media/upload/initialize` (JSON:
 * media_type, total_bytes, media_category), `POST /2/media/upload/:id/append` (multipart:
 * segment_index, media ≤ 5 MB), `POST /2/media/upload/:id/finalize`, and
 * `GET /2/media/upload?command=STATUS&media_id=` while a video is processed. Needs the
 * media.write scope. Limits: images 5 MB, GIFs 15 MB, videos 512 MB; the bytes must be what
 * media_type says. Tweets attach finished media with `media.media_ids` (4 images or 1 video).
 */
export const xMediaSettings = defineSettings({ videoProcessingMs: 0 });

const MB = 1024 * 1024;
const SEGMENT_MAX = 5 * MB;
const TYPES: Record<string, { kind: 'image' | 'gif' | 'video'; max: number }> = {
  'image/jpeg': { kind: 'image', max: 5 * MB },
  'image/png': { kind: 'image', max: 5 * MB },
  'image/webp': { kind: 'image', max: 5 * MB },
  'image/gif': { kind: 'gif', max: 15 * MB },
  'video/mp4': { kind: 'video', max: 512 * MB },
  'video/quicktime': { kind: 'video', max: 512 * MB },
};

type Upload = {
  id: string;
  accountId: string;
  mediaType: string;
  totalBytes: number;
  segments: Map<number, Buffer>;
  state: 'uploading' | 'processing' | 'succeeded' | 'failed';
  readyAtMs: number;
  sha256: string | null;
};
type State = { uploads: Map<string, Upload>; next: bigint };
const stateByCore = new WeakMap<EmulatorCore, State>();
const state = (core: EmulatorCore) => moduleState(stateByCore, core, () => ({ uploads: new Map(), next: 1_880_000_000_000_000_000n }));

const invalid = (reply: FastifyReply, message: string) =>
  reply.status(400).send({ errors: [{ message }], title: 'Invalid Request', detail: message, type: 'https://api.x.com/2/problems/invalid-request' });

function view(core: EmulatorCore, u: Upload) {
  if (u.state === 'processing' && core.clock.nowMs() >= u.readyAtMs) u.state = 'succeeded';
  const processing =
    TYPES[u.mediaType]?.kind === 'image'
      ? undefined
      : u.state === 'processing'
        ? { state: 'in_progress', check_after_secs: 1, progress_percent: 50 }
        : u.state === 'failed'
          ? { state: 'failed', error: { code: 1, name: 'InvalidMedia', message: 'Unsupported video format' } }
          : { state: 'succeeded', progress_percent: 100 };
  return { data: { id: u.id, media_key: `${TYPES[u.mediaType]?.kind === 'video' ? 7 : 3}_${u.id}`, size: u.totalBytes, expires_after_secs: 86_400, ...(processing ? { processing_info: processing } : {}) } };
}

/** The finished uploads among `ids` of `accountId`, as the tweet shows them; a string explains a refusal. */
export function attachXMedia(core: EmulatorCore, accountId: string, ids: unknown): { kind: string; mediaId: string; contentType: string; bytes: number; sha256: string }[] | string {
  if (!Array.isArray(ids) || ids.length === 0 || ids.some((id) => typeof id !== 'string')) return 'media.media_ids must be a non-empty array of strings';
  const uploads = ids.map((id) => state(core).uploads.get(id as string));
  if (uploads.some((u) => !u || u.accountId !== accountId)) return 'Your media IDs are invalid.';
  for (const u of uploads) view(core, u!);
  if (uploads.some((u) => u!.state !== 'succeeded')) return 'Your media IDs are invalid.';
  const kinds = uploads.map((u) => TYPES[u!.mediaType]!.kind);
  if ((kinds.includes('video') || kinds.includes('gif')) && uploads.length > 1) return 'A post can have one video or GIF, or up to 4 images.';
  if (uploads.length > 4) return 'A post can have one video or GIF, or up to 4 images.';
  return uploads.map((u) => ({ kind: TYPES[u!.mediaType]!.kind, mediaId: u!.id, contentType: u!.mediaType, bytes: u!.totalBytes, sha256: u!.sha256! }));
}

export function registerXMedia(app: EmulatorApp, core: EmulatorCore, bearerUser: (request: FastifyRequest, reply: FastifyReply) => Grant | null): void {
  void app.register(fastifyMultipart, { limits: { fileSize: SEGMENT_MAX + 1, files: 1 } });
  const writer = (request: FastifyRequest, reply: FastifyReply) => {
    const grant = bearerUser(request, reply);
    if (!grant) return null;
    if (!grant.scopes.includes('media.write')) {
      void reply.status(403).send({ title: 'Forbidden', type: 'about:blank', status: 403, detail: 'Forbidden' });
      return null;
    }
    return grant;
  };
  const own = (request: FastifyRequest, reply: FastifyReply, grant: Grant) => {
    const { id } = request.params as { id: string };
    const upload = state(core).uploads.get(id);
    if (!upload || upload.accountId !== grant.accountId) {
      void invalid(reply, `media_id ${id} is not a valid upload`);
      return null;
    }
    return upload;
  };

  app.post('/api/2/media/upload/initialize', async (request, reply) => {
    const grant = writer(request, reply);
    if (!grant) return reply;
    const body = (request.body ?? {}) as { media_type?: unknown; total_bytes?: unknown; media_category?: unknown };
    const type = typeof body.media_type === 'string' ? TYPES[body.media_type] : undefined;
    if (!type) return invalid(reply, `media_type must be one of ${Object.keys(TYPES).join(', ')}`);
    if (typeof body.total_bytes !== 'number' || !Number.isInteger(body.total_bytes) || body.total_bytes <= 0) return invalid(reply, 'total_bytes must be a positive integer');
    if (body.total_bytes > type.max) return invalid(reply, `File size exceeds ${type.max} bytes.`);
    const s = state(core);
    const id = String(s.next++);
    s.uploads.set(id, { id, accountId: grant.accountId, mediaType: body.media_type as string, totalBytes: body.total_bytes, segments: new Map(), state: 'uploading', readyAtMs: 0, sha256: null });
    return { data: { id, media_key: `${type.kind === 'video' ? 7 : 3}_${id}`, expires_after_secs: 86_400 } };
  });

  app.post('/api/2/media/upload/:id/append', async (request, reply) => {
    const grant = writer(request, reply);
    if (!grant) return reply;
    const upload = own(request, reply, grant);
    if (!upload) return reply;
    if (upload.state !== 'uploading') return invalid(reply, 'The upload was already finalized');
    if (!request.isMultipart()) return invalid(reply, 'APPEND takes multipart/form-data with segment_index and media');
    let segment: number | null = null;
    let media: Buffer | null = null;
    for await (const part of request.parts()) {
      if (part.type === 'file' && part.fieldname === 'media') {
        media = await part.toBuffer();
        if (part.file.truncated) return invalid(reply, `A segment is limited to ${SEGMENT_MAX} bytes`);
      } else if (part.type === 'field' && part.fieldname === 'segment_index') segment = Number(part.value);
    }
    if (segment === null || !Number.isInteger(segment) || segment < 0 || segment > 999) return invalid(reply, 'segment_index must be 0 to 999');
    if (!media || media.length === 0) return invalid(reply, 'media is required');
    upload.segments.set(segment, media);
    return reply.status(200).send({ data: { expires_at: core.clock.nowMs() + 86_400_000 } });
  });

  app.post('/api/2/media/upload/:id/finalize', async (request, reply) => {
    const grant = writer(request, reply);
    if (!grant) return reply;
    const upload = own(request, reply, grant);
    if (!upload) return reply;
    if (upload.state !== 'uploading') return view(core, upload);
    const indexes = [...upload.segments.keys()].sort((a, b) => a - b);
    if (indexes.some((v, i) => v !== i)) return invalid(reply, 'Segments are missing');
    const bytes = Buffer.concat(indexes.map((i) => upload.segments.get(i)!));
    upload.segments.clear();
    if (bytes.length !== upload.totalBytes) return invalid(reply, `File size mismatch: total_bytes was ${upload.totalBytes}, received ${bytes.length}`);
    upload.sha256 = createHash('sha256').update(bytes).digest('hex');
    const detected = await fileTypeFromBuffer(bytes);
    const kind = TYPES[upload.mediaType]!.kind;
    if (detected?.mime !== upload.mediaType) {
      if (kind === 'image') {
        upload.state = 'failed';
        return invalid(reply, 'media type unrecognized.');
      }
      upload.state = 'failed';
    } else {
      upload.state = kind === 'image' ? 'succeeded' : 'processing';
      upload.readyAtMs = core.clock.nowMs() + xMediaSettings.settings(core).videoProcessingMs;
    }
    return view(core, upload);
  });

  app.get('/api/2/media/upload', async (request, reply) => {
    const grant = bearerUser(request, reply);
    if (!grant) return reply;
    const q = request.query as { command?: string; media_id?: string };
    if (q.command !== 'STATUS') return invalid(reply, 'command must be STATUS');
    const upload = q.media_id ? state(core).uploads.get(q.media_id) : undefined;
    if (!upload || upload.accountId !== grant.accountId) return invalid(reply, `media_id ${q.media_id ?? ''} is not a valid upload`);
    return view(core, upload);
  });

  xMediaSettings.routes(app, core);
}
