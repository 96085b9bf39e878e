import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { answerConsent } from '../../emulator/core/consentPages.ts';
import { memoryProgress, openSandboxForTests, type SandboxForTests } from '../../emulator/platforms/sandboxForTests.ts';
import { ProviderError, type AccountChoice, type PublishRequest, type StoredCredential, type TokenSet } from '../types.ts';
import { provider } from './provider.ts';

const DAY = 86_400_000;
const ALICE = '1150000000000000001';
const BOB = '1150000000000000002';
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

function credentialOf(tokens: TokenSet, account: Pick<AccountChoice, 'platformAccountId' | 'meta'>): StoredCredential {
  return {
    accessToken: tokens.accessToken,
    accessExpiresAt: tokens.accessExpiresAt,
    refreshToken: tokens.refreshToken ?? null,
    refreshExpiresAt: tokens.refreshExpiresAt ?? null,
    issuedAt: tokens.issuedAt,
    scopes: tokens.scopes,
    platformAccountId: account.platformAccountId,
    meta: account.meta ?? {},
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

const pin = (key: string, images = 1): PublishRequest => ({
  idempotencyKey: key,
  text: 'Raised beds in three weekends',
  link: 'https://example.com/raised-beds',
  media: Array.from({ length: images }, (_, i) => ({ kind: 'image' as const, url: sb.mediaUrl(`bed-${i}.png`), mimeType: 'image/png', bytes: 24, altText: `Bed ${i}` })),
  options: { title: 'Raised beds' },
});

describe('Pinterest adapter against the emulator', () => {
  it('builds the authorization URL with comma-separated scopes', () => {
    const url = provider.authorizationUrl(sb.ctx, { state: 's' });
    assert.equal(url.origin + url.pathname, `${sb.emulator.url}/pinterest/www/oauth/`);
    assert.equal(url.searchParams.get('scope'), 'boards:read,boards:write,pins:read,pins:write,user_accounts:read');
    assert.equal(url.searchParams.get('client_id'), 'sandbox-pinterest');
  });

  it('connects with HTTP Basic and continuous_refresh; the account carries its boards', async () => {
    const { tokens, accounts } = await connect(ALICE);
    const [exchange] = sb.requests('/v5/oauth/token');
    assert.equal(exchange?.clientAuth, 'basic');
    assert.deepEqual(exchange?.body, { grant_type: 'authorization_code', code: exchange?.body?.code, redirect_uri: sb.ctx.redirectUri, continuous_refresh: 'true' });
    assert.ok(!('client_secret' in (exchange?.body ?? {})));
    assert.match(tokens.accessToken, /^pina_/);
    assert.match(tokens.refreshToken ?? '', /^pinr_/);
    assert.equal(tokens.accessExpiresAt?.getTime(), sb.clock.nowMs() + 30 * DAY);
    assert.equal(tokens.refreshExpiresAt?.getTime(), Math.floor((sb.clock.nowMs() + 60 * DAY) / 1000) * 1000);
    assert.deepEqual(tokens.scopes, ['boards:read', 'boards:write', 'pins:read', 'pins:write', 'user_accounts:read']);
    const [account] = accounts;
    assert.equal(account?.platformAccountId, ALICE);
    assert.equal(account?.handle, 'alice_sandbox');
    assert.equal(account?.meta?.defaultBoardId, '1150000000000100001');
    assert.equal((account?.meta?.boards as unknown[]).length, 2);
  });

  it('reconnects to the same account; another user is another account', async () => {
    const a = await connect(ALICE);
    const b = await connect(ALICE);
    assert.equal(a.accounts[0]?.platformAccountId, b.accounts[0]?.platformAccountId);
    assert.equal((await connect(BOB)).accounts[0]?.platformAccountId, BOB);
  });

  it('refreshes continuously: a new 60-day refresh token each time, the old one refused', async () => {
    const { tokens, accounts } = await connect(ALICE);
    sb.clock.advance(20 * DAY);
    sb.clearRequests();
    const next = await provider.refresh(sb.ctx, credentialOf(tokens, accounts[0]!));
    const [request] = sb.requests('/v5/oauth/token');
    assert.equal(request?.clientAuth, 'basic');
    assert.deepEqual(request?.body, { grant_type: 'refresh_token', refresh_token: tokens.refreshToken });
    assert.ok(next.refreshToken && next.refreshToken !== tokens.refreshToken);
    assert.equal(next.refreshExpiresAt?.getTime(), Math.floor((sb.clock.nowMs() + 60 * DAY) / 1000) * 1000);
    const old = await rejection(provider.refresh(sb.ctx, credentialOf(tokens, accounts[0]!)));
    assert.equal(old.errorClass, 'reconnect_needed');
    assert.equal(old.platformCode, '283');
  });

  it('keeps the previous refresh token valid when the policy says so ([UNC])', async () => {
    sb.emulator.core.setPolicy('pinterest', { reuseGraceMs: 60 * DAY });
    const { tokens, accounts } = await connect(ALICE);
    const next = await provider.refresh(sb.ctx, credentialOf(tokens, accounts[0]!));
    const again = await provider.refresh(sb.ctx, credentialOf(tokens, accounts[0]!));
    assert.equal(again.refreshToken, next.refreshToken);
  });

  it('a refresh token idle for 60 days dies', async () => {
    const { tokens, accounts } = await connect(ALICE);
    sb.clock.advance(60 * DAY);
    assert.equal((await rejection(provider.refresh(sb.ctx, credentialOf(tokens, accounts[0]!)))).reason, 'invalid_grant');
  });

  it('verifies with user_account; an expired access token asks for a refresh', async () => {
    const { tokens, accounts } = await connect(ALICE);
    assert.deepEqual(await provider.verify(sb.ctx, credentialOf(tokens, accounts[0]!)), { valid: true });
    sb.clock.advance(30 * DAY);
    assert.deepEqual(await provider.verify(sb.ctx, credentialOf(tokens, accounts[0]!)), { valid: false, reason: 'token_invalid' });
  });

  it('cannot revoke user tokens: disconnect forgets them only', () => {
    assert.equal(provider.facts.canRevoke, false);
    assert.equal(provider.revoke, undefined);
  });

  it('publishes a pin with our key in the note, a carousel, and finds the pin again', async () => {
    const { tokens, accounts } = await connect(ALICE);
    const credential = credentialOf(tokens, accounts[0]!);
    const result = await provider.publish(sb.ctx, credential, pin('target-1'), memoryProgress());
    assert.equal(result.url, `https://www.pinterest.com/pin/${result.platformPostId}/`);
    const [create] = sb.requests('/v5/pins').filter((r) => r.method === 'POST');
    assert.deepEqual(create?.body, {
      board_id: '1150000000000100001',
      title: 'Raised beds',
      description: 'Raised beds in three weekends',
      link: 'https://example.com/raised-beds',
      alt_text: 'Bed 0',
      note: 'perennial:target-1',
      media_source: { source_type: 'image_url', url: sb.mediaUrl('bed-0.png') },
    });
    await provider.publish(sb.ctx, credential, { ...pin('target-2', 3), options: { boardId: '1150000000000100002' } }, memoryProgress());
    const carousel = sb.emulator.core.posts.list({ platform: 'pinterest' })[1];
    assert.equal(carousel?.media.length, 3);
    assert.equal(carousel?.extra.board_id, '1150000000000100002');

    assert.equal((await provider.findRecentPost!(sb.ctx, credential, pin('target-1'), new Date(0)))?.platformPostId, result.platformPostId);
    assert.equal(await provider.findRecentPost!(sb.ctx, credential, pin('target-9'), new Date(0)), null);
  });

  it('refuses pins without a board or image, and classifies board, rate and token errors', async () => {
    const bob = await connect(BOB);
    assert.equal((await rejection(provider.publish(sb.ctx, credentialOf(bob.tokens, bob.accounts[0]!), pin('k'), memoryProgress()))).reason, 'no_board');
    const { tokens, accounts } = await connect(ALICE);
    const credential = credentialOf(tokens, accounts[0]!);
    assert.equal((await rejection(provider.publish(sb.ctx, credential, { ...pin('k'), media: [] }, memoryProgress()))).reason, 'unsupported_media');
    const foreign = await rejection(provider.publish(sb.ctx, credential, { ...pin('k'), options: { boardId: 'not-mine' } }, memoryProgress()));
    assert.equal(foreign.errorClass, 'bad_request');
    assert.equal(foreign.httpStatus, 404);
    for (let i = 0; i < 10; i++) await provider.publish(sb.ctx, credential, pin(`burst-${i}`), memoryProgress());
    const limited = await rejection(provider.publish(sb.ctx, credential, pin('burst-10'), memoryProgress()));
    assert.equal(limited.errorClass, 'transient');
    assert.equal(limited.retryAfterMs, 60_000);
    sb.emulator.core.grants.expireAccessTokens('pinterest', ALICE);
    const dead = await rejection(provider.publish(sb.ctx, credential, pin('k'), memoryProgress()));
    assert.equal(dead.errorClass, 'refresh_needed');
    assert.equal(dead.platformCode, '2');
  });

  it('classifies missing Basic auth and truncated JSON', async () => {
    const wrong = await rejection(provider.exchangeCode({ ...sb.ctx, client: { clientId: 'sandbox-pinterest', clientSecret: 'nope' } }, { code: 'c' }));
    assert.equal(wrong.errorClass, 'app_misconfigured');
    sb.emulator.core.faults.add({ platform: 'pinterest', endpoint: '/v5/oauth/token', kind: 'truncated_json' });
    assert.equal((await rejection(connect(ALICE))).reason, 'malformed_response');
  });
});
