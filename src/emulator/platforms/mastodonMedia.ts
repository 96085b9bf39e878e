import { createHash } from 'node:crypto';
import fastifyMultipart from '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { fileTypeFromBuffer } from '../../media/sniffType.ts';
import type { Grant } from '../core/grantStore.ts';
import type { EmulatorApp, EmulatorCore } from '../core/types.ts';
import { defineSettings, moduleState } from './moduleState.ts';

/**
 * Mastodon media (docs.joinmastodon.org, methods/media): `POST /api/v2/media` (multipart `file`,
 * optional `description`) answers 200 with a processed image or 202 with `url: null` while a
 * video is processed; `GET /api/v1/media/:id` answers 206 until it is ready, then 200. Statuses
 * attach them with `media_ids` (at most 4, one video alone); an unknown, foreign or unprocessed
 * id is a 422. Limits: images 16 MB, videos 99 MB, types by content.
 */
export const mastodonMediaSettings = defineSettings({ videoProcessingMs: 0 });

const MB = 1024 * 1024;
const IMAGES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];
const VIDEOS = ['video/mp4', 'video/webm', 'video/quicktime'];
type Attachment = { id: string; accountId: string; type: 'image' | 'video'; contentType: string; bytes: number; sha256: string; description: string | null; readyAtMs: number; instance: string };
type State = { media: Map<string, Attachment>; next: bigint };
const stateByCore = new WeakMap<EmulatorCore, State>();
const state = (core: EmulatorCore) => moduleState(stateByCore, core, () => ({ media: new Map(), next: 111_000_000_000_000_000n }));

function json(core: EmulatorCore, a: Attachment) {
  const ready = core.clock.nowMs() >= a.readyAtMs;
  const url = `https://${a.instance}/system/media_attachments/files/${a.id}/original.${a.contentType.split('/')[1]}`;
  return { id: a.id, type: a.type, url: ready ? url : null, preview_url: ready ? url : null, description: a.description };
}

/** The processed attachments among `ids`; a string is the 422 message. */
export function attachMastodonMedia(core: EmulatorCore, accountId: string, ids: unknown) {
  if (ids === undefined) return [];
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) return 'Validation failed: media_ids must be a list of ids';
  const found = ids.map((id) => state(core).media.get(id as string));
  if (found.some((a) => !a || a.accountId !== accountId)) return 'Validation failed: The media could not be found';
  if (found.some((a) => core.clock.nowMs() < a!.readyAtMs)) return 'Validation failed: The media is still being processed';
  if (found.length > 4 || (found.length > 1 && found.some((a) => a!.type === 'video'))) return 'Validation failed: You can attach up to 4 images, or one video';
  return found.map((a) => ({ kind: a!.type, mediaId: a!.id, contentType: a!.contentType, bytes: a!.bytes, sha256: a!.sha256, description: a!.description }));
}

export function registerMastodonMedia(app: EmulatorApp, core: EmulatorCore, bearer: (request: FastifyRequest, reply: FastifyReply) => Grant | null): void {
  void app.register(fastifyMultipart, { limits: { files: 1, fileSize: 99 * MB + 1 } });

  app.post('/:instance/api/v2/media', async (request, reply) => {
    const grant = bearer(request, reply);
    if (!grant) return reply;
    const { instance } = request.params as { instance: string };
    if (!request.isMultipart()) return reply.status(422).send({ error: 'Validation failed: File can’t be blank' });
    let file: Buffer | null = null;
    let truncated = false;
    let description: string | null = null;
    for await (const part of request.parts()) {
      if (part.type === 'file' && part.fieldname === 'file') {
        file = await part.toBuffer();
        truncated = part.file.truncated;
      } else if (part.type === 'field' && part.fieldname === 'description') description = String(part.value);
    }
    if (!file || file.length === 0) return reply.status(422).send({ error: 'Validation failed: File can’t be blank' });
    const detected = await fileTypeFromBuffer(file);
    const type = detected && IMAGES.includes(detected.mime) ? 'image' : detected && VIDEOS.includes(detected.mime) ? 'video' : null;
    if (!type) return reply.status(422).send({ error: 'Validation failed: File content type is invalid' });
    if (truncated || file.length > (type === 'image' ? 16 : 99) * MB) return reply.status(422).send({ error: `Validation failed: File file size must be less than ${type === 'image' ? 16 : 99} MB` });
    const s = state(core);
    const processing = type === 'video' ? mastodonMediaSettings.settings(core).videoProcessingMs : 0;
    const a: Attachment = { id: String(s.next++), accountId: grant.accountId, type, contentType: detected!.mime, bytes: file.length, sha256: createHash('sha256').update(file).digest('hex'), description, readyAtMs: core.clock.nowMs() + processing, instance };
    s.media.set(a.id, a);
    return reply.status(type === 'video' ? 202 : 200).send(json(core, { ...a, readyAtMs: type === 'video' ? Number.MAX_SAFE_INTEGER : a.readyAtMs }));
  });

  app.get('/:instance/api/v1/media/:id', async (request, reply) => {
    const grant = bearer(request, reply);
    if (!grant) return reply;
    const a = state(core).media.get((request.params as { id: string }).id);
    if (!a || a.accountId !== grant.accountId) return reply.status(404).send({ error: 'Record not found' });
    return reply.status(core.clock.nowMs() >= a.readyAtMs ? 200 : 206).send(json(core, a));
  });

  mastodonMediaSettings.routes(app, core);
}
