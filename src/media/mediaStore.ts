import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Where uploaded bytes live. The database row names its backend (`storage_backend`) and a
 * storage key (`<workspaceId>/<mediaId>`), so files kept in the folder before S3 was configured
 * keep being served from there. Implementations: the folder under DATA_DIR/media (this file)
 * and S3-compatible storage (s3MediaStore.ts); `mediaStores.ts` picks one per row.
 */
export type MediaBackend = 'local' | 's3';

/** Inclusive byte offsets, as in an HTTP Range header. */
export type ByteRange = { start: number; end: number };

export interface MediaStore {
  readonly backend: MediaBackend;
  /** Stores the bytes under `key`; resolves once they are durable. */
  put(key: string, source: { stream: Readable } | { filePath: string }, meta: { contentType: string; sizeBytes: number }): Promise<void>;
  /** The bytes (or a range of them); throws MediaNotStoredError when nothing is stored under `key`. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  delete(key: string): Promise<void>;
  /**
   * A URL a platform can fetch the file from directly for `ttlSeconds` (a presigned GET, or the
   * bucket's public URL); null when the file is only reachable through Perennial's signed route.
   */
  directUrl(key: string, ttlSeconds: number): Promise<string | null>;
}

export class MediaNotStoredError extends Error {
  override name = 'MediaNotStoredError';
}

export function mediaRoot(dataDir: string): string {
  return path.join(dataDir, 'media');
}

export function storageKeyFor(workspaceId: string, mediaId: string): string {
  return `${workspaceId}/${mediaId}`;
}

export function mediaPath(dataDir: string, storageKey: string): string {
  if (!/^[0-9a-f-]{36}\/[0-9a-f-]{36}$/.test(storageKey)) throw new Error('malformed media storage key');
  return path.join(mediaRoot(dataDir), storageKey);
}

/** The folder under DATA_DIR/media: one file per upload, written beside its place and renamed in. */
export function localMediaStore(dataDir: string): MediaStore {
  return {
    backend: 'local',
    async put(key, source) {
      const target = mediaPath(dataDir, key);
      await fs.promises.mkdir(path.dirname(target), { recursive: true });
      if ('filePath' in source) {
        await fs.promises.rename(source.filePath, target);
        return;
      }
      const temp = `${target}.${randomUUID()}.part`;
      try {
        await pipeline(source.stream, fs.createWriteStream(temp, { flags: 'wx' }));
        await fs.promises.rename(temp, target);
      } finally {
        await fs.promises.rm(temp, { force: true });
      }
    },
    async get(key, range) {
      const file = mediaPath(dataDir, key);
      const handle = await fs.promises.open(file, 'r').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') throw new MediaNotStoredError(`no file for ${key}`);
        throw err;
      });
      return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
    },
    async delete(key) {
      await fs.promises.rm(mediaPath(dataDir, key), { force: true });
    },
    async directUrl() {
      return null;
    },
  };
}

export type StagedFile = { tempPath: string; sizeBytes: number; sha256: string; truncated: boolean };

/**
 * Streams an upload to a temporary file under DATA_DIR/media/.incoming, counting and hashing on
 * the way, so its type can be read from the bytes before it is stored anywhere.
 * `truncated` is true when the source stopped at the size limit (multipart's `file.truncated`).
 */
export async function stageUpload(dataDir: string, source: Readable & { truncated?: boolean }): Promise<StagedFile> {
  const dir = path.join(mediaRoot(dataDir), '.incoming');
  await fs.promises.mkdir(dir, { recursive: true });
  const tempPath = path.join(dir, randomUUID());
  const hash = createHash('sha256');
  let sizeBytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sizeBytes += chunk.length;
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(source, meter, fs.createWriteStream(tempPath, { flags: 'wx' }));
  } catch (err) {
    await discardStaged(tempPath);
    throw err;
  }
  return { tempPath, sizeBytes, sha256: hash.digest('hex'), truncated: source.truncated === true };
}

export async function discardStaged(tempPath: string): Promise<void> {
  await fs.promises.rm(tempPath, { force: true });
}
