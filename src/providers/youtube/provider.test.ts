import { SAMPLE_MP4 } from '../../emulator/platforms/sampleMedia.ts';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { answerConsent } from '../../emulator/core/consentPages.ts';
import { memoryProgress, openSandboxForTests, type SandboxForTests } from '../../emulator/platforms/sandboxForTests.ts';
import { createPkcePair } from '../oauthHelpers.ts';
import { ProviderError, type PublishRequest, type StoredCredential, type TokenSet } from '../types.ts';
import { provider } from './provider.ts';

const DAY = 86_400_000;
const ALICE = '109876543210000000001';
const ALICE_CHANNEL = 'UCsandboxAlice000000000a';
let sb: SandboxForTests;

before(async () => {
  sb = await openSandboxForTests(provider);
});
after(() => sb.close());
beforeEach(() => sb.emulator.core.reset());

async function connect(accountId: string) {
  const pkce = createPkcePair();
  const redirect = await answerConsent(provider.authorizationUrl(sb.ctx, { state: 'st', codeChallenge: pkce.codeChallenge }), { accountId });
  return provider.exchangeCode(sb.ctx, { code: redirect.searchParams.get('code')!, codeVerifier: pkce.codeVerifier });
}

function credentialOf(tokens: TokenSet, platformAccountId = ALICE_CHANNEL, refreshToken?: string | null): StoredCredential {
  return {
    accessToken: tokens.accessToken,
    accessExpiresAt: tokens.accessExpiresAt,
    refreshToken: refreshToken === undefined ? (tokens.refreshToken ?? null) : refreshToken,
    refreshExpiresAt: tokens.refreshExpiresAt ?? null,
    issuedAt: tokens.issuedAt,
    scopes: tokens.scopes,
    platformAccountId,
    meta: {},
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

const admin = (path: string, body: unknown) =>
  fetch(`${sb.emulator.url}/youtube/_admin${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

const upload = (title: string): PublishRequest => ({
  idempotencyKey: 'target-yt',
  text: `${title}\nA description`,
  media: [{ kind: 'video', url: sb.mediaUrl('clip.mp4'), mimeType: 'video/mp4', bytes: SAMPLE_MP4.length }],
  options: {},
});

describe('YouTube adapter against the emulator', () => {
  it('asks for offline access with prompt=consent and PKCE', () => {
    const url = provider.authorizationUrl(sb.ctx, { state: 's', codeChallenge: 'abc' });
    assert.equal(url.origin + url.pathname, `${sb.emulator.url}/youtube/accounts/o/oauth2/v2/auth`);
    assert.equal(url.searchParams.get('access_type'), 'offline');
    assert.equal(url.searchParams.get('prompt'), 'consent');
    assert.equal(url.searchParams.get('code_challenge'), 'abc');
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(url.searchParams.get('scope'), 'https://www.googleapis.com/auth/youtube.upload https://www.googleapis.com/auth/youtube.readonly');
  });

  it('connects: code + verifier with the secret in the body; the channel is the account', async () => {
    const { tokens, accounts } = await connect(ALICE);
    const [exchange] = sb.requests('/oauth2/token');
    assert.equal(exchange?.clientAuth, 'body');
    assert.deepEqual(Object.keys(exchange?.body ?? {}).sort(), ['client_id', 'client_secret', 'code', 'code_verifier', 'grant_type', 'redirect_uri']);
    assert.ok(tokens.refreshToken);
    assert.equal(tokens.refreshExpiresAt, null);
    assert.equal(tokens.accessExpiresAt?.getTime(), sb.clock.nowMs() + 3_599_000);
    assert.deepEqual(accounts.map((a) => [a.platformAccountId, a.kind, a.handle]), [[ALICE_CHANNEL, 'channel', '@alicesandbox']]);
    assert.deepEqual(sb.requests('/youtube/v3/channels')[0]?.query, { part: 'snippet', mine: 'true' });
  });

  it('reconnects to the same channel; another account has another; no channel is a clear error', async () => {
    const a = await connect(ALICE);
    const b = await connect(ALICE);
    assert.equal(a.accounts[0]?.platformAccountId, b.accounts[0]?.platformAccountId);
    assert.notEqual((await connect('109876543210000000002')).accounts[0]?.platformAccountId, ALICE_CHANNEL);
    const none = await rejection(connect('109876543210000000003'));
    assert.equal(none.reason, 'no_channel');
  });

  it('refreshes without rotation (no refresh token back: the stored one stays)', async () => {
    const { tokens } = await connect(ALICE);
    sb.clock.advance(DAY);
    sb.clearRequests();
    const next = await provider.refresh(sb.ctx, credentialOf(tokens));
    assert.deepEqual(sb.requests('/oauth2/token')[0]?.body, { grant_type: 'refresh_token', refresh_token: tokens.refreshToken, client_id: 'sandbox-youtube', client_secret: 'sandbox-secret-youtube' });
    assert.equal(next.refreshToken, undefined);
    assert.ok(await provider.refresh(sb.ctx, credentialOf(next, ALICE_CHANNEL, tokens.refreshToken)));
  });

  it('a refresh token unused for six months dies with invalid_grant', async () => {
    const { tokens } = await connect(ALICE);
    sb.clock.advance(183 * DAY);
    const err = await rejection(provider.refresh(sb.ctx, credentialOf(tokens)));
    assert.equal(err.errorClass, 'reconnect_needed');
    assert.equal(err.platformCode, 'invalid_grant');
  });

  it('a client in testing mode gets grants that end after 7 days, refreshes or not', async () => {
    await admin('/clients/sandbox-youtube/testing-mode', { enabled: true });
    const { tokens } = await connect(ALICE);
    sb.clock.advance(6 * DAY);
    await provider.refresh(sb.ctx, credentialOf(tokens));
    sb.clock.advance(DAY);
    assert.equal((await rejection(provider.refresh(sb.ctx, credentialOf(tokens)))).reason, 'invalid_grant');
  });

  it('evicts the oldest refresh token beyond the per-account limit', async () => {
    await admin('/settings', { refreshTokenLimit: 2 });
    const first = await connect(ALICE);
    const second = await connect(ALICE);
    await connect(ALICE);
    assert.equal((await rejection(provider.refresh(sb.ctx, credentialOf(first.tokens)))).reason, 'invalid_grant');
    assert.ok(await provider.refresh(sb.ctx, credentialOf(second.tokens)));
  });

  it('verifies with tokeninfo and revokes the grant on disconnect', async () => {
    const { tokens } = await connect(ALICE);
    const ok = await provider.verify(sb.ctx, credentialOf(tokens));
    assert.equal(ok.valid, true);
    assert.equal(ok.accessExpiresAt?.getTime(), Math.floor((sb.clock.nowMs() + 3_599_000) / 1000) * 1000);
    assert.deepEqual(sb.requests('/oauth2/tokeninfo')[0]?.query, { access_token: tokens.accessToken });
    assert.equal((await provider.verify({ ...sb.ctx, client: { clientId: 'another-app', clientSecret: 'x' } }, credentialOf(tokens))).reason, 'wrong_audience');

    await provider.revoke!(sb.ctx, credentialOf(tokens));
    assert.deepEqual(sb.requests('/oauth2/revoke')[0]?.body, { token: tokens.refreshToken });
    assert.deepEqual(await provider.verify(sb.ctx, credentialOf(tokens)), { valid: false, reason: 'token_invalid' });
    await provider.revoke!(sb.ctx, credentialOf(tokens)); // already revoked: still fine
    assert.equal((await rejection(provider.refresh(sb.ctx, credentialOf(tokens)))).reason, 'invalid_grant');
  });

  it('uploads a video through a resumable session, resumes on the same session, and finds it', async () => {
    const { tokens } = await connect(ALICE);
    const credential = credentialOf(tokens);
    const progress = memoryProgress();
    const result = await provider.publish(sb.ctx, credential, upload('Garden tour'), progress);
    assert.equal(result.url, `https://www.youtube.com/watch?v=${result.platformPostId}`);
    const [init] = sb.requests('/upload/youtube/v3/videos').filter((r) => r.method === 'POST');
    assert.deepEqual(init?.query, { uploadType: 'resumable', part: 'snippet,status' });
    assert.deepEqual(init?.body, { snippet: { title: 'Garden tour', description: 'Garden tour\nA description', categoryId: '22' }, status: { privacyStatus: 'public', selfDeclaredMadeForKids: false } });
    assert.match(String(progress.state.uploadUrl), /upload_id=/);

    // A retry after a lost answer re-sends to the saved session: same video, no second upload.
    const again = await provider.publish(sb.ctx, credential, upload('Garden tour'), memoryProgress(progress.state));
    assert.equal(again.platformPostId, result.platformPostId);
    assert.equal(sb.emulator.core.posts.list({ platform: 'youtube' }).length, 1);

    const found = await provider.findRecentPost!(sb.ctx, credential, upload('Garden tour'), new Date(sb.clock.nowMs() - 1000));
    assert.equal(found?.platformPostId, result.platformPostId);
    assert.equal(await provider.findRecentPost!(sb.ctx, credential, upload('Another'), new Date(0)), null);
  });

  it('refuses posts without exactly one video, and classifies quota and auth errors', async () => {
    const { tokens } = await connect(ALICE);
    const credential = credentialOf(tokens);
    assert.equal((await rejection(provider.publish(sb.ctx, credential, { ...upload('x'), media: [] }, memoryProgress()))).reason, 'unsupported_media');
    for (let i = 0; i < 6; i++) await provider.publish(sb.ctx, credential, upload(`Video ${i}`), memoryProgress());
    const quota = await rejection(provider.publish(sb.ctx, credential, upload('Seventh'), memoryProgress()));
    assert.equal(quota.errorClass, 'transient');
    assert.equal(quota.reason, 'quota_exceeded');
    assert.ok(quota.retryAfterMs! > 0 && quota.retryAfterMs! <= DAY);
    sb.emulator.core.grants.expireAccessTokens('youtube', ALICE);
    const dead = await rejection(provider.findRecentPost!(sb.ctx, credential, upload('x'), new Date(0)));
    assert.equal(dead.errorClass, 'refresh_needed');
    assert.equal(dead.platformCode, 'authError');
  });

  it('classifies a wrong secret and an HTML page on the token endpoint', async () => {
    const wrong = await rejection(provider.exchangeCode({ ...sb.ctx, client: { clientId: 'sandbox-youtube', clientSecret: 'nope' } }, { code: 'c' }));
    assert.equal(wrong.errorClass, 'app_misconfigured');
    sb.emulator.core.faults.add({ platform: 'youtube', endpoint: '/oauth2/token', kind: 'html_error', status: 200 });
    assert.equal((await rejection(connect(ALICE))).reason, 'malformed_response');
  });
});
