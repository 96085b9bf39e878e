import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { fileTypeFromFile } from './sniffType.ts';
import type { AppContext } from '../context.ts';
import { AppError } from '../http/errors.ts';
import { UPLOADABLE_TYPES } from '../posts/platformRules.ts';
import { insertMediaFile, type MediaFile } from './mediaRepo.ts';
import { discardStaged, stageUpload, storageKeyFor } from './mediaStore.ts';
import { mediaStores } from './mediaStores.ts';

/**
 * Stores one uploaded file for a workspace. The type is read from the bytes (file-type), never
 * from the name or the client's header; only images and videos some platform accepts get in.
 * The file is staged on local disk first (size limit, type sniff), then stored in the current
 * store (folder or S3). Nothing is kept when the file is too large or of another type, or when
 * its row cannot be written (the stored object is deleted again).
 */
export async function uploadMedia(
  ctx: AppContext,
  input: { workspaceId: string; userId: string; fileName: string; stream: Readable & { truncated?: boolean } },
): Promise<MediaFile> {
  const staged = await stageUpload(ctx.config.dataDir, input.stream);
  try {
    if (staged.truncated) {
      throw new AppError('payload_too_large', `The file is larger than the ${Math.round(ctx.config.mediaMaxUploadBytes / 1024 ** 2)} MB an upload may carry`);
    }
    if (staged.sizeBytes === 0) throw new AppError('validation_failed', 'The file is empty');
    const detected = await fileTypeFromFile(staged.tempPath);
    if (!detected || !UPLOADABLE_TYPES.has(detected.mime)) {
      throw new AppError('unsupported_media_type', `${input.fileName} is ${detected ? detected.mime : 'not a recognised image or video'}; accepted: ${[...UPLOADABLE_TYPES].join(', ')}`);
    }
    const id = randomUUID();
    const storageKey = storageKeyFor(input.workspaceId, id);
    const store = mediaStores(ctx.config).current;
    await store.put(storageKey, { filePath: staged.tempPath }, { contentType: detected.mime, sizeBytes: staged.sizeBytes });
    try {
      return await insertMediaFile(ctx.db, {
        id,
        workspaceId: input.workspaceId,
        fileName: cleanFileName(input.fileName),
        mimeType: detected.mime,
        kind: detected.mime.startsWith('video/') ? 'video' : 'image',
        sizeBytes: staged.sizeBytes,
        sha256: staged.sha256,
        storageBackend: store.backend,
        storageKey,
        uploadedBy: input.userId,
        createdAt: ctx.clock.now(),
      });
    } catch (err) {
      // Bytes without a row would never be served nor cleaned up.
      await store.delete(storageKey).catch((cleanup: unknown) => {
        ctx.log.error({ err: cleanup, storageKey, backend: store.backend }, 'could not delete the stored upload whose row failed');
      });
      throw err;
    }
  } finally {
    await discardStaged(staged.tempPath);
  }
}

/** The name as uploaded, without any folder part, for display and CSV references. */
function cleanFileName(name: string): string {
  const base = name.split(/[\\/]/).pop()?.trim() ?? '';
  return base.slice(0, 255) || 'upload';
}
