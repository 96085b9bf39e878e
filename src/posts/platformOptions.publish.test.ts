/**
 * Per-platform options end to end: composed through the API (strict schemas, compose-time checks
 * against what the connection recorded), stored with the post, turned into the publish request
 * by buildPublishRequest and sent by each adapter to the emulator, which records and checks the
 * parameters under the platforms' own names.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { eq } from 'drizzle-orm';
import { connectThroughConsent, openConnectionHarness, type ConnectionHarness } from '../connections/connectionTestHarness.ts';
import { loadCredential } from '../connections/credentials.ts';
import { connectionProviderContext } from '../connections/platformApps.ts';
import { connections } from '../connections/schema.ts';
import { sampleFor } from '../emulator/platforms/sampleMedia.ts';
import { memoryProgress } from '../emulator/platforms/sandboxForTests.ts';
import { uploadMedia } from '../media/uploadMedia.ts';
import { createHttpClient } from '../providers/httpClient.ts';
import { getProvider } from '../providers/registry.ts';
import { ProviderError, type PlatformId } from '../providers/types.ts';
import { buildPublishRequest } from '../publishing/buildPublishRequest.ts';
import { findPost } from './postsRepo.ts';

const ACCOUNTS: { platform: PlatformId; accountId: string; pick?: string; instanceUrl?: string }[] = [
  { platform: 'x', accountId: '1500000000000000001' },
  { platform: 'tiktok', accountId: '-000AbCdEfGhAlice' },
  { platform: 'youtube', accountId: '109876543210000000001' },
  { platform: 'pinterest', accountId: '1150000000000000001' },
  { platform: 'linkedin', accountId: 'li-alice', pick: 'urn:li:person:li-alice' },
  { platform: 'mastodon', accountId: '109000000000000001', instanceUrl: 'mastodon.example' },
];

let h: ConnectionHarness;
let media: http.Server;
let mediaOrigin = '';
const connectionOf: Partial<Record<PlatformId, string>> = {};
let imageId = '';
let videoId = '';

async function connect(account: (typeof ACCOUNTS)[number]): Promise<string> {
  const res = await connectThroughConsent(h, { platform: account.platform, ...(account.instanceUrl ? { instanceUrl: account.instanceUrl } : {}) }, account.accountId);
  assert.equal(res.statusCode, 200, res.body);
  let answer = res.json() as { result: string; selectionId?: string; connection?: { id: string } };
  if (answer.result === 'select_account') {
    const picked = await h.app.inject({
      method: 'POST',
      url: `/api/workspaces/${h.workspaceId}/connections/select`,
      headers: h.auth.headers,
      payload: { selectionId: answer.selectionId, platformAccountId: account.pick },
    });
    assert.equal(picked.statusCode, 200, picked.body);
    answer = picked.json();
  }
  return answer.connection!.id;
}

const compose = (payload: object) => h.app.inject({ method: 'POST', url: `/api/workspaces/${h.workspaceId}/posts`, headers: h.auth.headers, payload });

/** Builds the stored post's request for `platform` and publishes it with the adapter against the emulator. */
async function publish(postId: string, platform: PlatformId) {
  const post = (await findPost(h.ctx.db, h.workspaceId, postId))!;
  const target = post.targets.find((t) => t.platform === platform)!;
  const request = await buildPublishRequest(h.ctx, { targetId: target.id, workspaceId: h.workspaceId, platform, content: post.content, mediaBaseUrl: mediaOrigin });
  const [row] = await h.ctx.db.select().from(connections).where(eq(connections.id, target.connectionId));
  const pctx = await connectionProviderContext(h.ctx, row!);
  const ctx = { ...pctx, http: createHttpClient({ trustedOrigins: [new URL(h.emulator.url).origin, mediaOrigin] }) };
  const { credential } = await loadCredential(h.ctx, h.ctx.db, target.connectionId);
  const result = await getProvider(platform).publish(ctx, credential, request, memoryProgress());
  // A private TikTok post has no public id: the adapter keeps TikTok's publish id instead.
  const recorded = h.emulator.core.posts.list({ platform }).find((p) => p.id === result.platformPostId || p.extra.publishId === result.platformPostId);
  return { request, result, recorded };
}

before(async () => {
  h = await openConnectionHarness();
  // Stands in for PUBLIC_URL's signed media route: the emulated platforms fetch and sniff what they are given.
  media = http.createServer((req, res) => {
    const sample = req.url?.includes(videoId) ? sampleFor('tour.mp4') : sampleFor('bed.jpg');
    res.writeHead(200, { 'content-type': sample!.type });
    res.end(sample!.bytes);
  });
  await new Promise<void>((resolve) => media.listen(0, '127.0.0.1', resolve));
  mediaOrigin = `http://127.0.0.1:${(media.address() as AddressInfo).port}`;
  for (const account of ACCOUNTS) connectionOf[account.platform] = await connect(account);
  // Real (tiny) files through the upload path, so adapters that read the bytes themselves find them.
  const file = async (fileName: string) =>
    (await uploadMedia(h.ctx, { workspaceId: h.workspaceId, userId: h.auth.userId, fileName, stream: Readable.from([sampleFor(fileName)!.bytes]) })).id;
  imageId = await file('bed.jpg');
  videoId = await file('tour.mp4');
});
after(async () => {
  await new Promise<void>((resolve) => media.close(() => resolve()));
  await h?.close();
});

describe('per-platform options, compose to platform', () => {
  it('sends each platform its options under its own parameter names', async () => {
    const res = await compose({
      content: {
        text: 'Raised beds, week 3',
        link: 'https://garden.example/beds',
        overrides: {
          x: { options: { replySettings: 'mentionedUsers' } },
          tiktok: { mediaIds: [videoId], options: { privacyLevel: 'SELF_ONLY', disableComment: true, disableDuet: true, disableStitch: false } },
          youtube: { mediaIds: [videoId], title: 'Garden tour', options: { privacyStatus: 'unlisted', selfDeclaredMadeForKids: true, tags: ['garden', 'raised beds'], categoryId: '26' } },
          pinterest: { mediaIds: [imageId], title: 'Raised beds', options: { boardId: '1150000000000100002' } },
          linkedin: { options: { visibility: 'CONNECTIONS' } },
          mastodon: { options: { visibility: 'unlisted', spoilerText: 'Gardening', sensitive: true, language: 'en' } },
        },
      },
      connectionIds: ACCOUNTS.map((a) => connectionOf[a.platform]),
      scheduledAt: '2026-01-06T09:00',
    });
    assert.equal(res.statusCode, 201, res.body);
    const postId = res.json().id as string;
    assert.deepEqual(res.json().content.overrides.tiktok.options, { privacyLevel: 'SELF_ONLY', disableComment: true, disableDuet: true, disableStitch: false }, 'stored and returned');

    const x = await publish(postId, 'x');
    assert.deepEqual(x.request.options, { replySettings: 'mentionedUsers' });
    assert.equal(x.recorded?.extra.reply_settings, 'mentionedUsers');
    assert.equal(x.recorded?.text, 'Raised beds, week 3 https://garden.example/beds');

    const tiktok = await publish(postId, 'tiktok');
    assert.deepEqual(
      { privacy: tiktok.recorded?.extra.privacy, comment: tiktok.recorded?.extra.disable_comment, duet: tiktok.recorded?.extra.disable_duet, stitch: tiktok.recorded?.extra.disable_stitch },
      { privacy: 'SELF_ONLY', comment: true, duet: true, stitch: false },
    );

    const youtube = await publish(postId, 'youtube');
    assert.deepEqual(
      { ...youtube.recorded?.extra },
      { title: 'Garden tour', privacyStatus: 'unlisted', selfDeclaredMadeForKids: true, tags: ['garden', 'raised beds'], categoryId: '26' },
    );

    const pin = await publish(postId, 'pinterest');
    assert.equal(pin.recorded?.extra.board_id, '1150000000000100002', 'the chosen board, not the default one');
    assert.equal(pin.recorded?.extra.title, 'Raised beds');
    assert.equal(pin.recorded?.extra.link, 'https://garden.example/beds');

    const linkedin = await publish(postId, 'linkedin');
    assert.equal(linkedin.recorded?.extra.visibility, 'CONNECTIONS');

    const mastodon = await publish(postId, 'mastodon');
    assert.deepEqual(
      { visibility: mastodon.recorded?.extra.visibility, spoiler: mastodon.recorded?.extra.spoiler_text, sensitive: mastodon.recorded?.extra.sensitive, language: mastodon.recorded?.extra.language },
      { visibility: 'unlisted', spoiler: 'Gardening', sensitive: true, language: 'en' },
    );
  });

  it('without options, each platform gets its default: the Pinterest default board from the connection, public elsewhere', async () => {
    const res = await compose({
      content: { text: 'Defaults', overrides: { pinterest: { mediaIds: [imageId] } } },
      connectionIds: [connectionOf.pinterest, connectionOf.mastodon, connectionOf.x],
      scheduledAt: '2026-01-06T10:00',
    });
    assert.equal(res.statusCode, 201, res.body);
    const pin = await publish(res.json().id, 'pinterest');
    assert.equal(pin.recorded?.extra.board_id, '1150000000000100001');
    assert.equal((await publish(res.json().id, 'mastodon')).recorded?.extra.visibility, 'public');
    assert.equal((await publish(res.json().id, 'x')).recorded?.extra.reply_settings, 'everyone');
  });

  it('refuses at compose an unknown board of the connection, a misspelt or foreign option, with the path named', async () => {
    const board = await compose({
      content: { text: 'Pin', mediaIds: [imageId], overrides: { pinterest: { options: { boardId: '999' } } } },
      connectionIds: [connectionOf.pinterest],
      scheduledAt: '2026-01-06T09:00',
    });
    assert.equal(board.statusCode, 400);
    assert.deepEqual(board.json().error.details.issues.map((i: { code: string; field: string }) => [i.field, i.code]), [['options', 'board_not_found']]);
    for (const overrides of [{ tiktok: { options: { privacy: 'SELF_ONLY' } } }, { x: { options: { visibility: 'unlisted' } } }, { youtube: { options: { privacyStatus: 'hidden' } } }, { bluesky: { options: { lang: 'en' } } }]) {
      const res = await compose({ content: { text: 'hi', overrides }, connectionIds: [connectionOf.x], scheduledAt: '2026-01-06T09:00' });
      assert.equal(res.statusCode, 400, JSON.stringify(overrides));
      assert.equal(res.json().error.code, 'validation_failed');
      assert.match(JSON.stringify(res.json().error), /overrides/, JSON.stringify(res.json().error));
    }
  });

  it('a TikTok privacy level the creator is not offered fails at publish, never replaced by another', async () => {
    const res = await compose({
      content: { text: 'Followers only', mediaIds: [videoId], overrides: { tiktok: { options: { privacyLevel: 'FOLLOWER_OF_CREATOR' } } } },
      connectionIds: [connectionOf.tiktok],
      scheduledAt: '2026-01-06T09:00',
    });
    assert.equal(res.statusCode, 201, res.body);
    const before = h.emulator.core.posts.list({ platform: 'tiktok' }).length;
    await assert.rejects(publish(res.json().id, 'tiktok'), (err: unknown) => err instanceof ProviderError && err.reason === 'privacy_level_not_allowed');
    assert.equal(h.emulator.core.posts.list({ platform: 'tiktok' }).length, before);
  });
});
