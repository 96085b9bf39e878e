import fastifyMultipart from '@fastify/multipart';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteModule } from '../http/app.ts';
import { AppError, notFound } from '../http/errors.ts';
import { postScopeOf } from '../posts/postsRoutes.ts';
import { workspaceParams } from '../workspaces/workspaceRoutes.ts';
import { findMediaById, findMediaFile, type MediaFile } from './mediaRepo.ts';
import { mediaLinkKey, verifyMediaSignature } from './mediaLinks.ts';
import { sendMedia } from './serveMedia.ts';
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
 * workspace's members; platforms fetch them through `/media/:id` with a signed, expiring link
 * (mediaLinks.ts). Multipart parsing is registered for the upload routes alone.
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
        return sendMedia(ctx.config, request, reply, media, 'private, max-age=3600');
      },
    );
  });

  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/media/:mediaId',
    {
      schema: {
        tags: ['media'],
        summary: 'An upload for a platform to fetch, by a signed, expiring link (no session; Range supported)',
        params: z.object({ mediaId: z.string() }),
        querystring: z.object({ expires: z.string().optional(), signature: z.string().optional() }),
      },
    },
    async (request, reply) => {
      const { mediaId } = request.params;
      // The signature is checked before the id is looked up: a bad or expired link and an
      // unknown id answer the same 404, so links cannot be used to probe for uploads.
      const valid = verifyMediaSignature(mediaLinkKey(ctx), mediaId, request.query.expires, request.query.signature, ctx.clock.nowMs());
      const media = valid ? await findMediaById(ctx.db, mediaId) : undefined;
      if (!media) throw notFound('upload');
      return sendMedia(ctx.config, request, reply, media, 'public, max-age=300');
    },
  );
};
