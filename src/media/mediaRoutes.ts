import fs from 'node:fs';
import fastifyMultipart from '@fastify/multipart';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteModule } from '../http/app.ts';
import { AppError, notFound } from '../http/errors.ts';
import { postScopeOf } from '../posts/postsRoutes.ts';
import { workspaceParams } from '../workspaces/workspaceRoutes.ts';
import { findMediaFile, type MediaFile } from './mediaRepo.ts';
import { mediaPath } from './mediaStore.ts';
import { uploadMedia } from './uploadMedia.ts';

const mediaViewSchema = z.object({
  id: z.uuid(),
  fileName: z.string(),
  mimeType: z.string(),
  kind: z.enum(['image', 'video']),
  sizeBytes: z.number().int(),
  sha256: z.string(),
  createdAt: z.string(),
});

const mediaParams = workspaceParams.extend({ mediaId: z.string() });

const toView = (m: MediaFile) => ({
  id: m.id,
  fileName: m.fileName,
  mimeType: m.mimeType,
  kind: m.kind,
  sizeBytes: m.sizeBytes,
  sha256: m.sha256,
  createdAt: m.createdAt.toISOString(),
});

/**
 * Uploads: `multipart/form-data` with one `file` field (editor), served back by id to the
 * workspace's members only. Multipart parsing is registered for these routes alone.
 */
export const mediaRoutes: RouteModule = async (root, ctx) => {
  await root.register(async (scoped) => {
    await scoped.register(fastifyMultipart, { limits: { files: 1, fileSize: ctx.config.mediaMaxUploadBytes, fields: 5 } });
    const app = scoped.withTypeProvider<ZodTypeProvider>();
    const tags = ['media'];

    app.post(
      '/api/workspaces/:workspaceId/media',
      {
        schema: {
          tags,
          summary: 'Upload an image or a video (multipart field "file"); the type is checked from the bytes (editor)',
          params: workspaceParams,
          consumes: ['multipart/form-data'],
          response: { 201: mediaViewSchema },
        },
      },
      async (request, reply) => {
        const scope = await postScopeOf(ctx, request, request.params.workspaceId, 'editor');
        if (!request.isMultipart()) throw new AppError('unsupported_media_type', 'Send the file as multipart/form-data in a field named "file"');
        const file = await request.file();
        if (!file || file.fieldname !== 'file') throw new AppError('validation_failed', 'Expected one file in a field named "file"');
        const stored = await uploadMedia(ctx, { workspaceId: scope.workspaceId, userId: scope.userId!, fileName: file.filename, stream: file.file });
        ctx.log.info({ workspaceId: scope.workspaceId, mediaId: stored.id, bytes: stored.sizeBytes, type: stored.mimeType }, 'media uploaded');
        return reply.status(201).send(toView(stored));
      },
    );

    app.get(
      '/api/workspaces/:workspaceId/media/:mediaId',
      { schema: { tags, summary: 'Metadata of one upload', params: mediaParams, response: { 200: mediaViewSchema } } },
      async (request) => {
        const scope = await postScopeOf(ctx, request, request.params.workspaceId, 'viewer');
        const media = await findMediaFile(ctx.db, scope.workspaceId, request.params.mediaId);
        if (!media) throw notFound('upload');
        return toView(media);
      },
    );

    app.get(
      '/api/workspaces/:workspaceId/media/:mediaId/content',
      { schema: { tags, summary: 'The uploaded bytes (members only)', params: mediaParams } },
      async (request, reply) => {
        const scope = await postScopeOf(ctx, request, request.params.workspaceId, 'viewer');
        const media = await findMediaFile(ctx.db, scope.workspaceId, request.params.mediaId);
        if (!media) throw notFound('upload');
        const filePath = mediaPath(ctx.config.dataDir, media.storageKey);
        if (!fs.existsSync(filePath)) throw notFound('upload');
        return reply
          .header('content-type', media.mimeType)
          .header('content-length', String(media.sizeBytes))
          .header('x-content-type-options', 'nosniff')
          .header('cache-control', 'private, max-age=3600')
          .send(fs.createReadStream(filePath));
      },
    );
  });
};
