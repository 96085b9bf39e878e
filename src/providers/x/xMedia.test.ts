import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { answerConsent } from '../../emulator/core/consentPages.ts';
import { sampleFor, SAMPLE_MP4 } from '../../emulator/platforms/sampleMedia.ts';
import { memoryProgress, openSandboxForTests, type SandboxForTests } from '../../emulator/platforms/sandboxForTests.ts';
import { xMediaSettings } from '../../emulator/platforms/xMedia.ts';
import { rejection, storedCredential } from '../meta/adapterTestSupport.ts';
import { createPkcePair } from '../oauthHelpers.ts';
import type { PublishMedia, PublishRequest, StoredCredential } from '../types.ts';
import { provider } from './provider.ts';

const ALICE = '1500000000000000001';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** A 9 MB "video": a real MP4 header, then padding (three 4 MB segments). */
const BIG_MP4 = Buffer.concat([SAMPLE_MP4, Buffer.alloc(9 * 1024 * 1024 - SAMPLE_MP4.length, 5)]);

function upload(bytes: Buffer, kind: 'image' | 'video', mimeType: string): PublishMedia {
  return { kind, url: 'http://perennial.invalid/media/x', mimeType, bytes: bytes.length, mediaId: 'm', read: async () => Readable.from([bytes]) };
}

describe('X media upload (v2 initialize/append/finalize/status) against the emulator', () => {
  let sb: SandboxForTests;
  let credential: StoredCredential;
  const post = (media: PublishMedia[], text = 'with media'): PublishRequest => ({ idempotencyKey: 't', text, media, options: {} });

  before(async () => {
    sb = await openSandboxForTests(provider);
    const pkce = createPkcePair();
    const redirect = await answerConsent(provider.authorizationUrl(sb.ctx, { state: 's', codeChallenge: pkce.codeChallenge }), { accountId: ALICE });
    const { tokens, accounts } = await provider.exchangeCode(sb.ctx, { code: redirect.searchParams.get('code')!, codeVerifier: pkce.codeVerifier });
    assert.ok(tokens.scopes.includes('media.write'));
    credential = storedCredential(tokens, accounts[0]!);
  });
  after(() => sb.close());

  it('uploads an image fetched from a URL and attaches it to the post; the ids are saved', async () => {
    sb.clearRequests();
    const progress = memoryProgress();
    const png = sampleFor('a.png')!.bytes;
    const result = await provider.publish(sb.ctx, credential, post([{ kind: 'image', url: sb.mediaUrl('a.png'), mimeType: 'image/png', bytes: 0 }]), progress);
    const tweet = sb.emulator.core.posts.get('x', result.platformPostId)!;
    assert.deepEqual(tweet.media.map((m) => ({ ...(m as object) })), [{ kind: 'image', mediaId: (progress.state.xMediaIds as string[])[0], contentType: 'image/png', bytes: png.length, sha256: sha(png) }]);
    assert.deepEqual(sb.requests().map((r) => r.path).filter((p) => p.includes('/media/')).map((p) => p.replace(/\d{10,}/, 'ID')), [
      '/api/2/media/upload/initialize', '/api/2/media/upload/ID/append', '/api/2/media/upload/ID/finalize',
    ]);
    assert.equal((sb.requests('/2/media/upload/initialize')[0]!.body as { media_category: string }).media_category, 'tweet_image');
  });

  it('sends a video in 4 MB segments, streamed from storage', async () => {
    sb.clearRequests();
    const result = await provider.publish(sb.ctx, credential, post([upload(BIG_MP4, 'video', 'video/mp4')]), memoryProgress());
    assert.equal(sb.requests().filter((r) => r.path.endsWith('/append')).length, 3);
    const [media] = sb.emulator.core.posts.get('x', result.platformPostId)!.media as { kind: string; bytes: number; sha256: string }[];
    assert.deepEqual([media!.kind, media!.bytes, media!.sha256], ['video', BIG_MP4.length, sha(BIG_MP4)]);
  });

  it('resumes a video still processing after a retry without uploading it again', async () => {
    xMediaSettings.settings(sb.emulator.core).videoProcessingMs = 60_000;
    try {
      sb.clearRequests();
      const progress = memoryProgress();
      const err = await rejection(provider.publish(sb.ctx, credential, post([upload(SAMPLE_MP4, 'video', 'video/mp4')]), progress));
      assert.deepEqual([err.errorClass, err.reason], ['transient', 'media_processing']);
      assert.ok((progress.state.xPendingMedia as { id: string }).id);
      sb.clock.advance(61_000);
      sb.clearRequests();
      const result = await provider.publish(sb.ctx, credential, post([upload(SAMPLE_MP4, 'video', 'video/mp4')]), progress);
      assert.equal(sb.requests('/2/media/upload/initialize').length, 0, 'not uploaded twice');
      assert.ok(sb.requests('/2/media/upload').some((r) => r.query.command === 'STATUS'), 'STATUS was polled');
      assert.equal((sb.emulator.core.posts.get('x', result.platformPostId)!.media[0] as { sha256: string }).sha256, sha(SAMPLE_MP4));
      assert.equal(progress.state.xPendingMedia, undefined);
    } finally {
      xMediaSettings.settings(sb.emulator.core).videoProcessingMs = 0;
    }
  });

  it('skips media already uploaded by an earlier attempt', async () => {
    const first = memoryProgress();
    await provider.publish(sb.ctx, credential, post([upload(sampleFor('a.jpg')!.bytes, 'image', 'image/jpeg')], 'first try'), first);
    sb.clearRequests();
    const again = memoryProgress({ xMediaIds: first.state.xMediaIds });
    await provider.publish(sb.ctx, credential, post([upload(sampleFor('a.jpg')!.bytes, 'image', 'image/jpeg')], 'second try'), again);
    assert.equal(sb.requests('/2/media/upload/initialize').length, 0);
    assert.deepEqual((sb.requests('/2/tweets')[0]!.body as { media: unknown }).media, { media_ids: first.state.xMediaIds });
  });

  it('fails permanently, before any upload, for a file too large or of the wrong type', async () => {
    sb.clearRequests();
    const huge = upload(Buffer.concat([sampleFor('a.png')!.bytes, Buffer.alloc(6 * 1024 * 1024)]), 'image', 'image/png');
    const tooLarge = await rejection(provider.publish(sb.ctx, credential, post([huge]), memoryProgress()));
    assert.deepEqual([tooLarge.errorClass, tooLarge.reason], ['bad_request', 'media_too_large']);
    const notVideo = await rejection(provider.publish(sb.ctx, credential, post([upload(sampleFor('a.png')!.bytes, 'video', 'video/mp4')]), memoryProgress()));
    assert.deepEqual([notVideo.errorClass, notVideo.reason], ['bad_request', 'media_type_not_supported']);
    const gone = await rejection(provider.publish(sb.ctx, credential, post([{ kind: 'image', url: sb.mediaUrl('missing.png'), mimeType: 'image/png', bytes: 0 }]), memoryProgress()));
    assert.deepEqual([gone.errorClass, gone.reason], ['bad_request', 'media_unavailable']);
    assert.equal(sb.requests('/2/media/upload/initialize').length, 0);
  });

  it('emulator: refuses unknown media ids, sizes over the limit, a size mismatch and a missing scope', async () => {
    const api = sb.ctx.hosts.api;
    const bearer = { authorization: `Bearer ${credential.accessToken}` };
    const json = { ...bearer, 'content-type': 'application/json' };
    const unknown = await fetch(`${api}/2/tweets`, { method: 'POST', headers: json, body: JSON.stringify({ text: 'x', media: { media_ids: ['123'] } }) });
    assert.equal(unknown.status, 400);
    const tooBig = await fetch(`${api}/2/media/upload/initialize`, { method: 'POST', headers: json, body: JSON.stringify({ media_type: 'image/png', total_bytes: 6 * 1024 * 1024 }) });
    assert.equal(tooBig.status, 400);
    const badType = await fetch(`${api}/2/media/upload/initialize`, { method: 'POST', headers: json, body: JSON.stringify({ media_type: 'application/pdf', total_bytes: 10 }) });
    assert.equal(badType.status, 400);
    const init = (await (await fetch(`${api}/2/media/upload/initialize`, { method: 'POST', headers: json, body: JSON.stringify({ media_type: 'image/png', total_bytes: 999 }) })).json()) as { data: { id: string } };
    const form = new FormData();
    form.set('segment_index', '0');
    form.set('media', new Blob([new Uint8Array(sampleFor('a.png')!.bytes)]), 'seg');
    assert.equal((await fetch(`${api}/2/media/upload/${init.data.id}/append`, { method: 'POST', headers: bearer, body: form })).status, 200);
    assert.equal((await fetch(`${api}/2/media/upload/${init.data.id}/finalize`, { method: 'POST', headers: bearer })).status, 400, 'total_bytes did not match');
    assert.equal((await fetch(`${api}/2/media/upload/999/finalize`, { method: 'POST', headers: bearer })).status, 400, 'unknown media id');

    const pkce = createPkcePair();
    const scopes = ['tweet.read', 'tweet.write', 'users.read'];
    const redirect = await answerConsent(provider.authorizationUrl(sb.ctx, { state: 's2', codeChallenge: pkce.codeChallenge, scopes }), { accountId: ALICE });
    const { tokens } = await provider.exchangeCode(sb.ctx, { code: redirect.searchParams.get('code')!, codeVerifier: pkce.codeVerifier });
    const noScope = await fetch(`${api}/2/media/upload/initialize`, { method: 'POST', headers: { ...json, authorization: `Bearer ${tokens.accessToken}` }, body: '{}' });
    assert.equal(noScope.status, 403);
  });
});
