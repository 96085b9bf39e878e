import fs from 'node:fs';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { MediaNotStoredError, type MediaStore } from './mediaStore.ts';

export type S3Settings = {
  endpoint: string | undefined;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  /** Objects are publicly readable under this base (a CDN, a public bucket): no presigning. */
  publicUrl: string | undefined;
};

/**
 * S3-compatible storage (AWS, MinIO, Garage, R2, ...). Uploads go up in parts (lib-storage), so
 * a video is never held in memory; platforms that pull by URL get a presigned GET (or the
 * public URL when S3_PUBLIC_URL is set). Checksums are computed only where the API requires
 * them, which keeps older S3-compatible servers working.
 */
export function s3MediaStore(settings: S3Settings): MediaStore & { client: S3Client } {
  const client = new S3Client({
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const Bucket = settings.bucket;
  return {
    backend: 's3',
    client,
    async put(key, source, meta) {
      const Body = 'filePath' in source ? fs.createReadStream(source.filePath) : source.stream;
      await new Upload({ client, params: { Bucket, Key: key, Body, ContentType: meta.contentType }, queueSize: 2, partSize: 8 * 1024 * 1024 }).done();
    },
    async get(key, range) {
      try {
        const res = await client.send(new GetObjectCommand({ Bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }));
        if (!res.Body) throw new MediaNotStoredError(`no object for ${key}`);
        return res.Body instanceof Readable ? res.Body : Readable.fromWeb(res.Body.transformToWebStream() as Parameters<typeof Readable.fromWeb>[0]);
      } catch (err) {
        if (err instanceof NoSuchKey || (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 404)) {
          throw new MediaNotStoredError(`no object for ${key}`);
        }
        throw err;
      }
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
    },
    async directUrl(key, ttlSeconds) {
      if (settings.publicUrl) return `${settings.publicUrl.replace(/\/+$/, '')}/${key.split('/').map(encodeURIComponent).join('/')}`;
      return getSignedUrl(client, new GetObjectCommand({ Bucket, Key: key }), { expiresIn: ttlSeconds });
    },
  };
}
