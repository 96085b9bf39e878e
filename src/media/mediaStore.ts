import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Where uploaded bytes live: a folder under DATA_DIR/media, one file per upload at
 * `<workspaceId>/<mediaId>`. The rest of the code only knows a storage key, so S3-compatible
 * storage can replace this module later without touching the database or the routes (not built yet).
 */
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

export type StagedFile = { tempPath: string; sizeBytes: number; sha256: string; truncated: boolean };

/**
 * Streams an upload to a temporary file beside its final place, counting and hashing on the way.
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

export async function commitStaged(dataDir: string, tempPath: string, storageKey: string): Promise<void> {
  const target = mediaPath(dataDir, storageKey);
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  await fs.promises.rename(tempPath, target);
}

export async function discardStaged(tempPath: string): Promise<void> {
  await fs.promises.rm(tempPath, { force: true });
}

/** Removes stored bytes whose database row was never written (a failed insert after the commit). */
export async function removeStored(dataDir: string, storageKey: string): Promise<void> {
  await fs.promises.rm(mediaPath(dataDir, storageKey), { force: true });
}
