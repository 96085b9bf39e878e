import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createWorkspace, signUpAndSignIn } from '../testing/testUsers.ts';
import { openPostsTestApp, type PostsTestApp } from '../posts/testing/postsTestApp.ts';
import { mediaLinkFor, mediaLinkKey, signedMediaPath, MEDIA_LINK_TTL_MS } from './mediaLinks.ts';
import { findMediaById } from './mediaRepo.ts';
import { mediaRoot } from './mediaStore.ts';
import { uploadMedia } from './uploadMedia.ts';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const MP4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmp42'), Buffer.from([0, 0, 0, 0]), Buffer.from('mp42isom'), Buffer.alloc(5000, 7)]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0'), Buffer.alloc(64, 1)]);

function multipart(fileName: string, bytes: Buffer, field = 'file') {
  const boundary = '----perennialtest';
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${fileName}"\r\nContent-Type: image/png\r\n\r\n`),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describe('media uploads', () => {
  let t: PostsTestApp;
  const upload = (fileName: string, bytes: Buffer, field?: string) => {
    const m = multipart(fileName, bytes, field);
    return t.app.inject({ method: 'POST', url: `/api/workspaces/${t.workspaceId}/media`, headers: { ...t.auth.headers, ...m.headers }, payload: m.payload });
  };

  before(async () => {
    t = await openPostsTestApp({ env: { MEDIA_MAX_UPLOAD_MB: '1' } });
  });
  after(() => t.close());

  it('stores an image, typed from its bytes, and serves it back to members', async () => {
    const res = await upload('photos/cat.png', PNG);
    assert.equal(res.statusCode, 201, res.body);
    const media = res.json();
    assert.equal(media.mimeType, 'image/png');
    assert.equal(media.kind, 'image');
    assert.equal(media.fileName, 'cat.png');
    assert.equal(media.sizeBytes, PNG.length);
    const content = await t.app.inject({ method: 'GET', url: `/api/workspaces/${t.workspaceId}/media/${media.id}/content`, headers: t.auth.headers });
    assert.equal(content.statusCode, 200);
    assert.equal(content.headers['content-type'], 'image/png');
    assert.deepEqual(content.rawPayload, PNG);

    const other = await signUpAndSignIn(t.app);
    const theirs = await createWorkspace(t.app, other, 'Other');
    for (const url of [`/api/workspaces/${t.workspaceId}/media/${media.id}/content`, `/api/workspaces/${theirs}/media/${media.id}/content`]) {
      const res = await t.app.inject({ method: 'GET', url, headers: other.headers });
      assert.equal(res.statusCode, 404, url);
    }
    const anonymous = await t.app.inject({ method: 'GET', url: `/api/workspaces/${t.workspaceId}/media/${media.id}/content` });
    assert.equal(anonymous.statusCode, 401);
  });

  it('serves an upload to platforms through a signed, expiring link, without a session, with ranges', async () => {
    const video = (await upload('clip.mp4', MP4)).json();
    assert.equal(video.mimeType, 'video/mp4');
    const row = (await findMediaById(t.ctx.db, video.id))!;
    const link = new URL(await mediaLinkFor(t.ctx, row));
    assert.equal(link.pathname, `/media/${video.id}`);
    const path = `${link.pathname}${link.search}`;

    const whole = await t.app.inject({ method: 'GET', url: path });
    assert.equal(whole.statusCode, 200, whole.body);
    assert.equal(whole.headers['content-type'], 'video/mp4');
    assert.equal(whole.headers['accept-ranges'], 'bytes');
    assert.deepEqual(whole.rawPayload, MP4);

    const part = await t.app.inject({ method: 'GET', url: path, headers: { range: 'bytes=4-11' } });
    assert.equal(part.statusCode, 206);
    assert.equal(part.headers['content-range'], `bytes 4-11/${MP4.length}`);
    assert.equal(part.rawPayload.toString(), 'ftypmp42');
    const tail = await t.app.inject({ method: 'GET', url: path, headers: { range: 'bytes=-10' } });
    assert.deepEqual(tail.rawPayload, MP4.subarray(MP4.length - 10));
    const beyond = await t.app.inject({ method: 'GET', url: path, headers: { range: `bytes=${MP4.length}-` } });
    assert.equal(beyond.statusCode, 416);
    assert.equal(beyond.headers['content-range'], `bytes */${MP4.length}`);

    // Bad links answer exactly like an unknown upload: no way to probe for ids.
    const signature = link.searchParams.get('signature')!;
    const expires = link.searchParams.get('expires')!;
    const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
    const key = mediaLinkKey(t.ctx);
    const unknownId = '00000000-0000-4000-8000-000000000000';
    const bad = [
      `/media/${video.id}`,
      `/media/${video.id}?expires=${expires}&signature=${flipped}`,
      `/media/${video.id}?expires=${Number(expires) + 60}&signature=${signature}`,
      `/media/${video.id}?expires=${expires}&signature=${signature.slice(0, 20)}`,
      signedMediaPath(key, unknownId, t.ctx.clock.nowMs() + 60_000),
      signedMediaPath(Buffer.alloc(32, 1), video.id, t.ctx.clock.nowMs() + 60_000),
    ];
    const bodies = new Set<string>();
    for (const url of bad) {
      const res = await t.app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
      bodies.add(res.body);
    }
    assert.equal(bodies.size, 1, 'every refused link answers the same');

    t.ctx.clock.advance(MEDIA_LINK_TTL_MS + 1000);
    const expired = await t.app.inject({ method: 'GET', url: path });
    assert.equal(expired.statusCode, 404, 'the link expired with the clock');
  });

  it('refuses a file whose bytes are not an accepted image or video, whatever its name says', async () => {
    const res = await upload('fake.png', Buffer.from('#!/bin/sh\necho not an image\n'));
    assert.equal(res.statusCode, 415);
    assert.equal(res.json().error.code, 'unsupported_media_type');
    const pdf = await upload('doc.jpg', Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n'));
    assert.equal(pdf.statusCode, 415);
  });

  it('refuses a file over the size limit and keeps nothing of it', async () => {
    const before = await t.ctx.database.query<{ n: number }>('select count(*)::int as n from media_files');
    const res = await upload('big.png', Buffer.concat([PNG, Buffer.alloc(1024 * 1024 + 10)]));
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().error.code, 'payload_too_large');
    const afterCount = await t.ctx.database.query<{ n: number }>('select count(*)::int as n from media_files');
    assert.equal(afterCount.rows[0]!.n, before.rows[0]!.n);
  });

  it('keeps no bytes when the upload’s row cannot be written', async () => {
    const workspaceDir = path.join(mediaRoot(t.ctx.config.dataDir), t.workspaceId);
    const filesBefore = fs.existsSync(workspaceDir) ? fs.readdirSync(workspaceDir).length : 0;
    // A malformed uploader id makes the insert fail after the bytes were moved into place.
    await assert.rejects(uploadMedia(t.ctx, { workspaceId: t.workspaceId, userId: 'not-a-uuid', fileName: 'orphan.png', stream: Readable.from([PNG]) }));
    const filesAfter = fs.existsSync(workspaceDir) ? fs.readdirSync(workspaceDir).length : 0;
    assert.equal(filesAfter, filesBefore, 'the stored file was removed with the failed insert');
  });

  it('refuses a video at compose time for the platforms whose adapters take images only', async () => {
    const video = (await upload('clip.mp4', MP4)).json();
    for (const platform of ['linkedin', 'bluesky', 'pinterest'] as const) {
      const connection = await t.connect(platform);
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/workspaces/${t.workspaceId}/posts`,
        headers: t.auth.headers,
        payload: { content: { text: 'a clip', mediaIds: [video.id] }, connectionIds: [connection], scheduledAt: '2026-01-06T10:00' },
      });
      assert.equal(res.statusCode, 400, platform);
      const codes = res.json().error.details.issues.map((i: { code: string }) => i.code);
      assert.ok(codes.includes('video_not_supported'), `${platform}: ${codes.join(',')}`);
    }
  });

  it('checks uploads against each platform when a post uses them', async () => {
    const png = (await upload('a.png', PNG)).json();
    const jpeg = (await upload('b.jpg', JPEG)).json();
    const instagram = await t.connect('instagram');
    const youtube = await t.connect('youtube');
    const bad = await t.app.inject({
      method: 'POST',
      url: `/api/workspaces/${t.workspaceId}/posts`,
      headers: t.auth.headers,
      payload: { content: { text: 'pic', mediaIds: [png.id] }, connectionIds: [instagram, youtube], scheduledAt: '2026-01-06T10:00' },
    });
    assert.equal(bad.statusCode, 400);
    const codes = bad.json().error.details.issues.map((i: { code: string }) => i.code).sort();
    assert.deepEqual(codes, ['media_type_not_supported', 'media_type_not_supported', 'title_required', 'too_many_images', 'video_required']);
    const good = await t.app.inject({
      method: 'POST',
      url: `/api/workspaces/${t.workspaceId}/posts`,
      headers: t.auth.headers,
      payload: { content: { text: 'pic', mediaIds: [jpeg.id] }, connectionIds: [instagram], scheduledAt: '2026-01-06T10:00' },
    });
    assert.equal(good.statusCode, 201, good.body);
  });
});
