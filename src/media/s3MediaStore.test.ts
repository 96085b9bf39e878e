import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { openPostsTestApp, type PostsTestApp } from '../posts/testing/postsTestApp.ts';
import { MEDIA_LINK_TTL_MS, mediaLinkFor } from './mediaLinks.ts';
import { findMediaById, insertMediaFile } from './mediaRepo.ts';
import { localMediaStore, storageKeyFor } from './mediaStore.ts';
import { mediaStores } from './mediaStores.ts';
import { s3MediaStore } from './s3MediaStore.ts';
import { startS3ForTests, type S3ForTests } from './testing/s3ForTests.ts';
import { uploadMedia } from './uploadMedia.ts';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const MP4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmp42'), Buffer.from([0, 0, 0, 0]), Buffer.from('mp42isom'), Buffer.alloc(300_000, 3)]);

function multipart(fileName: string, bytes: Buffer) {
  const boundary = '----perennials3';
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describe('media in S3-compatible storage (s3rver)', () => {
  let s3: S3ForTests;
  let t: PostsTestApp;
  let store: ReturnType<typeof s3MediaStore>;
  const objects = async () => ((await store.client.send(new ListObjectsV2Command({ Bucket: s3.bucket }))).Contents ?? []).map((o) => o.Key);
  const upload = (fileName: string, bytes: Buffer) => {
    const m = multipart(fileName, bytes);
    return t.app.inject({ method: 'POST', url: `/api/workspaces/${t.workspaceId}/media`, headers: { ...t.auth.headers, ...m.headers }, payload: m.payload });
  };

  before(async () => {
    s3 = await startS3ForTests();
    t = await openPostsTestApp({ env: { ...s3.env, MEDIA_MAX_UPLOAD_MB: '1' } });
    assert.equal(mediaStores(t.ctx.config).current.backend, 's3');
    // The bucket as the app's store sees it, with a client of its own to look inside.
    store = s3MediaStore(t.ctx.config.s3!);
  });
  after(async () => {
    await t.close();
    await s3.close();
  });

  it('stores an upload in the bucket and serves it to members, whole and in ranges', async () => {
    const res = await upload('clip.mp4', MP4);
    assert.equal(res.statusCode, 201, res.body);
    const media = res.json();
    const row = (await findMediaById(t.ctx.db, media.id))!;
    assert.equal(row.storageBackend, 's3');
    const head = await store.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: row.storageKey }));
    assert.equal(head.ContentLength, MP4.length);
    assert.equal(head.ContentType, 'video/mp4');

    const url = `/api/workspaces/${t.workspaceId}/media/${media.id}/content`;
    const whole = await t.app.inject({ method: 'GET', url, headers: t.auth.headers });
    assert.equal(whole.statusCode, 200);
    assert.deepEqual(whole.rawPayload, MP4);
    const part = await t.app.inject({ method: 'GET', url, headers: { ...t.auth.headers, range: 'bytes=100-199' } });
    assert.equal(part.statusCode, 206);
    assert.deepEqual(part.rawPayload, MP4.subarray(100, 200));
  });

  // s3rver does not verify SigV4 signatures, so only the URL's form and S3 serving it are checked here.
  it('gives platforms a presigned, expiring URL that S3 itself serves', async () => {
    const media = (await upload('pic.png', PNG)).json();
    const row = (await findMediaById(t.ctx.db, media.id))!;
    const link = await mediaLinkFor(t.ctx, row);
    assert.ok(link.startsWith(`${s3.endpoint}/${s3.bucket}/`), link);
    assert.match(link, /X-Amz-Signature=[0-9a-f]{64}/);
    assert.equal(new URL(link).searchParams.get('X-Amz-Expires'), String(MEDIA_LINK_TTL_MS / 1000));
    const fetched = await fetch(link);
    assert.equal(fetched.status, 200);
    assert.deepEqual(Buffer.from(await fetched.arrayBuffer()), PNG);
  });

  it('deletes the object again when the row cannot be written, and keeps nothing of a refused file', async () => {
    const before = await objects();
    await assert.rejects(uploadMedia(t.ctx, { workspaceId: t.workspaceId, userId: 'not-a-uuid', fileName: 'orphan.png', stream: Readable.from([PNG]) }));
    assert.deepEqual(await objects(), before, 'no object without a row');
    const big = await upload('big.png', Buffer.concat([PNG, Buffer.alloc(1024 * 1024 + 10)]));
    assert.equal(big.statusCode, 413);
    const script = await upload('x.png', Buffer.from('#!/bin/sh\necho hi\n'));
    assert.equal(script.statusCode, 415);
    assert.deepEqual(await objects(), before, 'refused files never reach the bucket');
  });

  it('keeps serving uploads stored in the folder before S3 was configured', async () => {
    const id = randomUUID();
    const key = storageKeyFor(t.workspaceId, id);
    await localMediaStore(t.ctx.config.dataDir).put(key, { stream: Readable.from([PNG]) }, { contentType: 'image/png', sizeBytes: PNG.length });
    await insertMediaFile(t.ctx.db, {
      id, workspaceId: t.workspaceId, fileName: 'old.png', mimeType: 'image/png', kind: 'image', sizeBytes: PNG.length, sha256: 'x',
      storageBackend: 'local', storageKey: key, uploadedBy: null, createdAt: t.ctx.clock.now(),
    });
    const res = await t.app.inject({ method: 'GET', url: `/api/workspaces/${t.workspaceId}/media/${id}/content`, headers: t.auth.headers });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.rawPayload, PNG);
    const link = new URL(await mediaLinkFor(t.ctx, (await findMediaById(t.ctx.db, id))!));
    assert.equal(link.pathname, `/media/${id}`, 'a folder upload is linked through the signed route');
    const pub = await t.app.inject({ method: 'GET', url: `${link.pathname}${link.search}` });
    assert.deepEqual(pub.rawPayload, PNG);
  });
});
