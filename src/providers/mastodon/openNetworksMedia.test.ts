/** Images and videos on Mastodon (v2 media + media_ids) and images on Bluesky (uploadBlob + embed), against the emulator. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { eq } from 'drizzle-orm';
import { connectThroughConsent, openConnectionHarness, type ConnectionHarness } from '../../connections/connectionTestHarness.ts';
import { loadCredential } from '../../connections/credentials.ts';
import { connectionProviderContext } from '../../connections/platformApps.ts';
import { connections } from '../../connections/schema.ts';
import { mastodonMediaSettings } from '../../emulator/platforms/mastodonMedia.ts';
import { sampleFor, SAMPLE_MP4 } from '../../emulator/platforms/sampleMedia.ts';
import { memoryProgress } from '../../emulator/platforms/sandboxForTests.ts';
import { rejection } from '../meta/adapterTestSupport.ts';
import { getProvider } from '../registry.ts';
import type { PublishMedia, PublishRequest } from '../types.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const upload = (bytes: Buffer, kind: 'image' | 'video', altText?: string): PublishMedia => ({
  kind, url: 'http://perennial.invalid/media/x', mimeType: kind === 'image' ? 'image/png' : 'video/mp4', bytes: bytes.length, read: async () => Readable.from([bytes]), ...(altText ? { altText } : {}),
});
const post = (media: PublishMedia[], text = 'media post'): PublishRequest => ({ idempotencyKey: `k-${text}`, text, media, options: {} });
const PNG = sampleFor('a.png')!.bytes;

describe('media on the open networks', () => {
  let h: ConnectionHarness;
  const context = async (platform: string) => {
    const [row] = await h.ctx.db.select().from(connections).where(eq(connections.platform, platform));
    return { pctx: await connectionProviderContext(h.ctx, row!), credential: (await loadCredential(h.ctx, h.ctx.db, row!.id)).credential };
  };
  before(async () => {
    h = await openConnectionHarness();
    const m = await connectThroughConsent(h, { platform: 'mastodon', instanceUrl: 'mastodon.example' }, '109000000000000001');
    assert.equal(m.statusCode, 200, m.body);
    const b = await h.app.inject({ method: 'POST', url: `/api/workspaces/${h.workspaceId}/connections/password`, headers: h.auth.headers, payload: { platform: 'bluesky', identifier: 'alice.sandbox.bsky.social', password: 'abcd-efgh-ijkl-mnop' } });
    assert.equal(b.statusCode, 200, b.body);
  });
  after(async () => h?.close());

  it('Mastodon: uploads images with alt text and attaches them; ids saved, not uploaded twice', async () => {
    const { pctx, credential } = await context('mastodon');
    const mastodon = getProvider('mastodon');
    const progress = memoryProgress();
    const result = await mastodon.publish(pctx, credential, post([upload(PNG, 'image', 'a pixel'), upload(sampleFor('a.jpg')!.bytes, 'image')]), progress);
    const status = h.emulator.core.posts.get('mastodon', result.platformPostId)!;
    assert.deepEqual(status.media.map((m) => [(m as { contentType: string }).contentType, (m as { sha256: string }).sha256, (m as { description: string | null }).description]), [
      ['image/png', sha(PNG), 'a pixel'],
      ['image/jpeg', sha(sampleFor('a.jpg')!.bytes), null],
    ]);
    assert.equal((progress.state.mastodonMediaIds as string[]).length, 2);
    h.emulator.core.requests.clear();
    await mastodon.publish(pctx, credential, post([upload(PNG, 'image'), upload(PNG, 'image')], 'again'), memoryProgress({ mastodonMediaIds: progress.state.mastodonMediaIds }));
    assert.equal(h.emulator.core.requests.list({ platform: 'mastodon' }).filter((r) => r.path.endsWith('/api/v2/media')).length, 0);
  });

  it('Mastodon: a video processed asynchronously is polled, then resumed after a retry', async () => {
    const { pctx, credential } = await context('mastodon');
    const mastodon = getProvider('mastodon');
    const quick = await mastodon.publish(pctx, credential, post([upload(SAMPLE_MP4, 'video')], 'video now'), memoryProgress());
    assert.equal((h.emulator.core.posts.get('mastodon', quick.platformPostId)!.media[0] as { kind: string }).kind, 'video');

    mastodonMediaSettings.settings(h.emulator.core).videoProcessingMs = 120_000;
    try {
      const progress = memoryProgress();
      const err = await rejection(mastodon.publish(pctx, credential, post([upload(SAMPLE_MP4, 'video')], 'video later'), progress));
      assert.deepEqual([err.errorClass, err.reason], ['transient', 'media_processing']);
      h.ctx.clock.advance(121_000);
      h.emulator.core.requests.clear();
      const done = await mastodon.publish(pctx, credential, post([upload(SAMPLE_MP4, 'video')], 'video later'), progress);
      assert.equal(h.emulator.core.requests.list({ platform: 'mastodon' }).filter((r) => r.path.endsWith('/api/v2/media')).length, 0, 'not uploaded twice');
      assert.equal((h.emulator.core.posts.get('mastodon', done.platformPostId)!.media[0] as { sha256: string }).sha256, sha(SAMPLE_MP4));
    } finally {
      mastodonMediaSettings.settings(h.emulator.core).videoProcessingMs = 0;
    }
  });

  it('Mastodon emulator: unknown media ids and files of another type are refused', async () => {
    const { pctx, credential } = await context('mastodon');
    const auth = { authorization: `Bearer ${credential.accessToken}` };
    const base = pctx.instanceBase!(String(credential.meta.instanceUrl));
    const unknown = await fetch(`${base}/api/v1/statuses`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ status: 'x', media_ids: ['1'] }) });
    assert.equal(unknown.status, 422);
    const form = new FormData();
    form.set('file', new Blob(['%PDF-1.4 not media']), 'doc.pdf');
    assert.equal((await fetch(`${base}/api/v2/media`, { method: 'POST', headers: auth, body: form })).status, 422);
  });

  it('Bluesky: uploads blobs and embeds the images; blobs saved; video and oversized images refused', async () => {
    const { pctx, credential } = await context('bluesky');
    const bluesky = getProvider('bluesky');
    const progress = memoryProgress();
    const result = await bluesky.publish(pctx, credential, post([upload(PNG, 'image', 'alt text')]), progress);
    const record = h.emulator.core.posts.get('bluesky', result.platformPostId)!;
    assert.deepEqual(record.media.map((m) => [(m as { contentType: string }).contentType, (m as { sha256: string }).sha256, (m as { alt: string }).alt]), [['image/png', sha(PNG), 'alt text']]);
    assert.equal((progress.state.blueskyBlobs as unknown[]).length, 1);
    const video = await rejection(bluesky.publish(pctx, credential, post([upload(SAMPLE_MP4, 'video')], 'v'), memoryProgress()));
    assert.deepEqual([video.errorClass, video.reason], ['bad_request', 'media_type_not_supported']);
    const big = await rejection(bluesky.publish(pctx, credential, post([upload(Buffer.concat([PNG, Buffer.alloc(1_000_001)]), 'image')], 'big'), memoryProgress()));
    assert.deepEqual([big.errorClass, big.reason], ['bad_request', 'media_too_large']);
  });
});
