import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { answerConsent } from '../../emulator/core/consentPages.ts';
import { memoryProgress, openSandboxForTests, type SandboxForTests } from '../../emulator/platforms/sandboxForTests.ts';
import { ProviderError, type PublishRequest, type StoredCredential, type TokenSet } from '../types.ts';
import { provider } from './provider.ts';
import { parseAuthorizationRemoved, verifyTikTokSignature } from './tiktokWebhook.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ALICE = '-000AbCdEfGhAlice';
let sb: SandboxForTests;

before(async () => {
  sb = await openSandboxForTests(provider);
});
after(() => sb.close());
beforeEach(() => sb.emulator.core.reset());

async function connect(accountId: string) {
  const redirect = await answerConsent(provider.authorizationUrl(sb.ctx, { state: 'st' }), { accountId });
  return provider.exchangeCode(sb.ctx, { code: redirect.searchParams.get('code')! });
}

function credentialOf(tokens: TokenSet, platformAccountId: string, meta: Record<string, unknown> = {}): StoredCredential {
  return {
    accessToken: tokens.accessToken,
    accessExpiresAt: tokens.accessExpiresAt,
    refreshToken: tokens.refreshToken ?? null,
    refreshExpiresAt: tokens.refreshExpiresAt ?? null,
    issuedAt: tokens.issuedAt,
    scopes: tokens.scopes,
    platformAccountId,
    meta,
  };
}

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ProviderError, `expected a ProviderError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

const video = (text: string): PublishRequest => ({
  idempotencyKey: 'target-1',
  text,
  media: [{ kind: 'video', url: sb.mediaUrl('clip.mp4'), mimeType: 'video/mp4', bytes: 24 }],
  options: {},
});

describe('TikTok adapter against the emulator', () => {
  it('builds the authorization URL with client_key and comma-separated scopes', () => {
    const url = provider.authorizationUrl(sb.ctx, { state: 's' });
    assert.equal(url.origin + url.pathname, `${sb.emulator.url}/tiktok/www/v2/auth/authorize/`);
    assert.equal(url.searchParams.get('client_key'), 'sandbox-tiktok');
    assert.equal(url.searchParams.get('client_id'), null);
    assert.equal(url.searchParams.get('scope'), 'user.info.basic,user.info.profile,video.publish,video.list');
    assert.equal(url.searchParams.get('response_type'), 'code');
  });

  it('connects with client_key and secret in the body; lifetimes come from the response (2 h / 180 d)', async () => {
    const { tokens, accounts } = await connect(ALICE);
    const [exchange] = sb.requests('/v2/oauth/token/');
    assert.equal(exchange?.method, 'POST');
    assert.equal(exchange?.clientAuth, 'body');
    assert.deepEqual(Object.keys(exchange?.body ?? {}).sort(), ['client_key', 'client_secret', 'code', 'grant_type', 'redirect_uri']);
    assert.equal(exchange?.body?.client_secret, 'sandbox-secret-tiktok');
    assert.equal(tokens.accessExpiresAt?.getTime(), sb.clock.nowMs() + 2 * HOUR);
    assert.equal(tokens.refreshExpiresAt?.getTime(), sb.clock.nowMs() + 180 * DAY);
    assert.deepEqual(accounts.map((a) => [a.platformAccountId, a.handle, a.meta?.username]), [[ALICE, 'alice.sandbox', 'alice.sandbox']]);
    assert.deepEqual(sb.requests('/v2/user/info/')[0]?.query, { fields: 'open_id,union_id,avatar_url,display_name,username' });
  });

  it('follows the legacy lifetimes (24 h / 365 d) when the platform sends them', async () => {
    const res = await fetch(`${sb.emulator.url}/tiktok/_admin/lifetimes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ preset: 'legacy' }) });
    assert.equal(res.status, 200);
    const { tokens } = await connect(ALICE);
    assert.equal(tokens.accessExpiresAt?.getTime(), sb.clock.nowMs() + 24 * HOUR);
    assert.equal(tokens.refreshExpiresAt?.getTime(), sb.clock.nowMs() + 365 * DAY);
  });

  it('reconnects to the same open_id, and another user has another', async () => {
    const a = await connect(ALICE);
    const b = await connect(ALICE);
    assert.equal(a.accounts[0]?.platformAccountId, b.accounts[0]?.platformAccountId);
    const other = await connect('-000AbCdEfGhBobby');
    assert.notEqual(other.accounts[0]?.platformAccountId, a.accounts[0]?.platformAccountId);
  });

  it('refreshes with rotation: the new refresh token works, the previous one is dead', async () => {
    const { tokens } = await connect(ALICE);
    sb.clock.advance(2 * HOUR);
    const expired = await provider.verify(sb.ctx, credentialOf(tokens, ALICE));
    assert.deepEqual(expired, { valid: false, reason: 'token_invalid' });
    sb.clearRequests();
    const next = await provider.refresh(sb.ctx, credentialOf(tokens, ALICE));
    const [request] = sb.requests('/v2/oauth/token/');
    assert.deepEqual(request?.body, { client_key: 'sandbox-tiktok', client_secret: 'sandbox-secret-tiktok', grant_type: 'refresh_token', refresh_token: tokens.refreshToken });
    assert.ok(next.refreshToken && next.refreshToken !== tokens.refreshToken);
    assert.deepEqual(await provider.verify(sb.ctx, credentialOf(next, ALICE)), { valid: true });
    const old = await rejection(provider.refresh(sb.ctx, credentialOf(tokens, ALICE)));
    assert.equal(old.errorClass, 'reconnect_needed');
    assert.equal(old.reason, 'invalid_grant');
    assert.ok(await provider.refresh(sb.ctx, credentialOf(next, ALICE)));
  });

  it('revokes (disconnect) with client_key, secret and the token; the grant is then dead', async () => {
    const { tokens } = await connect(ALICE);
    sb.clearRequests();
    await provider.revoke!(sb.ctx, credentialOf(tokens, ALICE));
    const [request] = sb.requests('/v2/oauth/revoke/');
    assert.deepEqual(request?.body, { client_key: 'sandbox-tiktok', client_secret: 'sandbox-secret-tiktok', token: tokens.accessToken });
    assert.equal((await provider.verify(sb.ctx, credentialOf(tokens, ALICE))).valid, false);
    assert.equal((await rejection(provider.refresh(sb.ctx, credentialOf(tokens, ALICE)))).reason, 'invalid_grant');
  });

  it('POSTs a signed authorization.removed webhook when the user disconnects the app', async () => {
    const { tokens } = await connect(ALICE);
    const received: { signature: string | undefined; body: string }[] = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ signature: req.headers['tiktok-signature'] as string | undefined, body });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/tiktok`;
      const admin = (path: string, body: unknown) => fetch(`${sb.emulator.url}/tiktok/_admin${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await admin('/webhook', { url: hook });
      const result = (await (await admin(`/users/${ALICE}/remove-authorization`, { reason: 1 })).json()) as { revoked: number; deliveries: { status: number }[] };
      assert.equal(result.revoked, 1);
      assert.deepEqual(result.deliveries.map((d) => d.status), [200]);
      const [event] = received;
      assert.ok(verifyTikTokSignature(event!.signature, event!.body, 'sandbox-secret-tiktok', sb.clock.nowMs()));
      assert.equal(verifyTikTokSignature(event!.signature, event!.body, 'wrong-secret', sb.clock.nowMs()), false);
      assert.equal(verifyTikTokSignature(event!.signature, event!.body.replace('1', '2'), 'sandbox-secret-tiktok', sb.clock.nowMs()), false);
      assert.equal(verifyTikTokSignature(event!.signature, event!.body, 'sandbox-secret-tiktok', sb.clock.nowMs() + 10 * 60_000), false);
      assert.deepEqual(parseAuthorizationRemoved(event!.body), { clientKey: 'sandbox-tiktok', openId: ALICE, reason: 'user_disconnected', createdAt: new Date(Math.floor(sb.clock.nowMs() / 1000) * 1000) });
      // "The access_token for the user will have been already revoked when you receive the disconnect callback."
      assert.equal((await provider.verify(sb.ctx, credentialOf(tokens, ALICE))).valid, false);
    } finally {
      await new Promise<void>((r) => receiver.close(() => r()));
    }
  });

  it('publishes a video: creator_info, init, status; a retry while processing only checks the status', async () => {
    const { tokens, accounts } = await connect(ALICE);
    const credential = credentialOf(tokens, ALICE, accounts[0]?.meta);
    const set = await fetch(`${sb.emulator.url}/tiktok/_admin/settings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ processingMs: 30_000 }) });
    assert.equal(set.status, 200);
    const progress = memoryProgress();
    const processing = await rejection(provider.publish(sb.ctx, credential, video('Morning walk #sandbox'), progress));
    assert.equal(processing.reason, 'still_processing');
    assert.equal(processing.errorClass, 'transient');
    assert.match(String(progress.state.publishId), /^v_pub_url~/);
    const [init] = sb.requests('/v2/post/publish/video/init/');
    assert.deepEqual(init?.body, {
      post_info: { title: 'Morning walk #sandbox', privacy_level: 'PUBLIC_TO_EVERYONE', disable_comment: false, disable_duet: false, disable_stitch: false },
      source_info: { source: 'PULL_FROM_URL', video_url: sb.mediaUrl('clip.mp4') },
    });

    sb.clock.advance(30_000);
    const result = await provider.publish(sb.ctx, credential, video('Morning walk #sandbox'), progress);
    assert.equal(sb.requests('/v2/post/publish/video/init/').length, 1);
    assert.equal(result.url, `https://www.tiktok.com/@alice.sandbox/video/${result.platformPostId}`);
    assert.equal(sb.emulator.core.posts.list({ platform: 'tiktok' }).length, 1);
    // The 64-bit id arrives as a bare JSON number and keeps every digit.
    assert.equal(result.platformPostId, sb.emulator.core.posts.list({ platform: 'tiktok' })[0]?.id);

    const found = await provider.findRecentPost!(sb.ctx, credential, video('Morning walk #sandbox'), new Date(sb.clock.nowMs() - 60_000));
    assert.equal(found?.platformPostId, result.platformPostId);
    assert.equal(await provider.findRecentPost!(sb.ctx, credential, video('other'), new Date(0)), null);
  });

  it('publishes photos through content/init', async () => {
    const { tokens } = await connect(ALICE);
    const post: PublishRequest = { idempotencyKey: 'p', text: 'Two photos', media: [1, 2].map((i) => ({ kind: 'image' as const, url: sb.mediaUrl(`${i}.jpg`), mimeType: 'image/jpeg', bytes: 24 })), options: {} };
    await provider.publish(sb.ctx, credentialOf(tokens, ALICE), post, memoryProgress());
    const [init] = sb.requests('/v2/post/publish/content/init/');
    assert.equal((init?.body as { media_type: string }).media_type, 'PHOTO');
    assert.deepEqual((init?.body as { source_info: { photo_images: string[] } }).source_info.photo_images, [sb.mediaUrl('1.jpg'), sb.mediaUrl('2.jpg')]);
  });

  it('refuses bad media locally and classifies rate limits and dead tokens', async () => {
    const { tokens } = await connect(ALICE);
    const credential = credentialOf(tokens, ALICE);
    const none = await rejection(provider.publish(sb.ctx, credential, { ...video('x'), media: [] }, memoryProgress()));
    assert.equal(none.reason, 'unsupported_media');
    for (let i = 0; i < 6; i++) await provider.publish(sb.ctx, credential, video(`post ${i}`), memoryProgress());
    const limited = await rejection(provider.publish(sb.ctx, credential, video('seventh'), memoryProgress()));
    assert.equal(limited.errorClass, 'transient');
    assert.equal(limited.reason, 'rate_limited');
    assert.equal(limited.platformCode, 'rate_limit_exceeded');
    sb.emulator.core.grants.expireAccessTokens('tiktok', ALICE);
    const dead = await rejection(provider.publish(sb.ctx, credential, video('x'), memoryProgress()));
    assert.equal(dead.errorClass, 'refresh_needed');
    assert.equal(dead.platformCode, 'access_token_invalid');
  });

  it('classifies a wrong secret and malformed responses', async () => {
    const wrong = await rejection(provider.exchangeCode({ ...sb.ctx, client: { clientId: 'sandbox-tiktok', clientSecret: 'nope' } }, { code: 'c' }));
    assert.equal(wrong.errorClass, 'app_misconfigured');
    sb.emulator.core.faults.add({ platform: 'tiktok', endpoint: '/v2/oauth/token/', kind: 'truncated_json' });
    assert.equal((await rejection(connect(ALICE))).reason, 'malformed_response');
  });
});
