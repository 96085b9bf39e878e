import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { answerConsent } from '../../emulator/core/consentPages.ts';
import { memoryProgress, openSandboxForTests, type SandboxForTests } from '../../emulator/platforms/sandboxForTests.ts';
import { ProviderError, type StoredCredential, type TokenSet } from '../types.ts';
import { provider } from './provider.ts';

const DAY = 86_400_000;
let sb: SandboxForTests;

before(async () => {
  sb = await openSandboxForTests(provider);
});
after(() => sb.close());
beforeEach(() => sb.emulator.core.reset());

async function connect(accountId: string) {
  const url = provider.authorizationUrl(sb.ctx, { state: 'state-1' });
  const redirect = await answerConsent(url, { accountId });
  assert.equal(redirect.searchParams.get('state'), 'state-1');
  return provider.exchangeCode(sb.ctx, { code: redirect.searchParams.get('code')! });
}

function credentialOf(tokens: TokenSet, platformAccountId: string): StoredCredential {
  return {
    accessToken: tokens.accessToken,
    accessExpiresAt: tokens.accessExpiresAt,
    refreshToken: tokens.refreshToken ?? null,
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

describe('LinkedIn adapter against the emulator', () => {
  it('builds the authorization URL with space-separated scopes and no PKCE', () => {
    const url = provider.authorizationUrl(sb.ctx, { state: 's' });
    assert.equal(url.origin + url.pathname, `${sb.emulator.url}/linkedin/www/oauth/v2/authorization`);
    assert.equal(url.searchParams.get('response_type'), 'code');
    assert.equal(url.searchParams.get('client_id'), 'sandbox-linkedin');
    assert.equal(url.searchParams.get('redirect_uri'), sb.ctx.redirectUri);
    assert.equal(url.searchParams.get('scope'), 'openid profile w_member_social r_organization_social rw_organization_admin w_organization_social');
    assert.equal(url.searchParams.get('code_challenge'), null);
  });

  it('connects: exchanges the code with the secret in the body and offers the member and their organizations', async () => {
    const { tokens, accounts } = await connect('li-alice');
    const [exchange] = sb.requests('/oauth/v2/accessToken');
    assert.equal(exchange?.method, 'POST');
    assert.equal(exchange?.clientAuth, 'body');
    assert.equal(exchange?.contentType, 'application/x-www-form-urlencoded');
    assert.deepEqual(Object.keys(exchange?.body ?? {}).sort(), ['client_id', 'client_secret', 'code', 'grant_type', 'redirect_uri']);
    assert.equal(exchange?.body?.grant_type, 'authorization_code');
    assert.equal(exchange?.body?.client_secret, 'sandbox-secret-linkedin');
    assert.equal(exchange?.body?.redirect_uri, sb.ctx.redirectUri);

    assert.equal(tokens.accessExpiresAt?.getTime(), sb.clock.nowMs() + 60 * DAY);
    assert.equal(tokens.refreshExpiresAt?.getTime(), sb.clock.nowMs() + 365 * DAY);
    assert.ok(tokens.scopes.includes('w_member_social'));
    assert.deepEqual(
      accounts.map((a) => [a.platformAccountId, a.kind, a.displayName]),
      [
        ['urn:li:person:li-alice', 'user', 'Alice Martin (sandbox)'],
        ['urn:li:organization:2414183', 'organization', 'Acme Gardens (sandbox)'],
        ['urn:li:organization:1035', 'organization', 'Globex Tools (sandbox)'],
      ],
    );
    const acl = sb.requests('/rest/organizationAcls')[0];
    assert.deepEqual(acl?.query, { q: 'roleAssignee', role: 'ADMINISTRATOR', state: 'APPROVED' });
    assert.equal(acl?.bearer, tokens.accessToken);
  });

  it('reconnects to the same account (same URN) and tells a different account apart', async () => {
    const first = await connect('li-alice');
    const again = await connect('li-alice');
    assert.equal(again.accounts[0]?.platformAccountId, first.accounts[0]?.platformAccountId);
    assert.notEqual(again.tokens.accessToken, first.tokens.accessToken);
    const other = await connect('li-bob');
    assert.deepEqual(other.accounts.map((a) => a.platformAccountId), ['urn:li:person:li-bob']);
  });

  it('offers only the member when the grant lacks the organization scopes', async () => {
    const url = provider.authorizationUrl(sb.ctx, { state: 's', scopes: ['openid', 'profile', 'w_member_social'] });
    const redirect = await answerConsent(url, { accountId: 'li-alice' });
    const { accounts } = await provider.exchangeCode(sb.ctx, { code: redirect.searchParams.get('code')! });
    assert.deepEqual(accounts.map((a) => a.kind), ['user']);
    assert.equal(sb.requests('/rest/organizationAcls').length, 0);
  });

  it('verifies through introspectToken: active, then revoked by the user', async () => {
    const { tokens, accounts } = await connect('li-alice');
    const credential = credentialOf(tokens, accounts[0]!.platformAccountId);
    const ok = await provider.verify(sb.ctx, credential);
    assert.equal(ok.valid, true);
    assert.equal(ok.accessExpiresAt?.getTime(), Math.floor((sb.clock.nowMs() + 60 * DAY) / 1000) * 1000);
    const [introspect] = sb.requests('/oauth/v2/introspectToken');
    assert.equal(introspect?.clientAuth, 'body');
    assert.deepEqual(Object.keys(introspect?.body ?? {}).sort(), ['client_id', 'client_secret', 'token']);

    sb.emulator.core.grants.revokeAccount('linkedin', 'li-alice', 'user_revoked');
    assert.deepEqual(await provider.verify(sb.ctx, credential), { valid: false, reason: 'token_revoked' });
    sb.clock.advance(61 * DAY);
    assert.equal((await provider.verify(sb.ctx, { ...credential, accessToken: 'unknown' })).reason, 'token_invalid');
  });

  it('refreshes without moving the refresh end (refresh_token_expires_in counts down from the first grant)', async () => {
    const { tokens, accounts } = await connect('li-alice');
    const end = tokens.refreshExpiresAt!.getTime();
    sb.clock.advance(59 * DAY);
    sb.clearRequests();
    const refreshed = await provider.refresh(sb.ctx, credentialOf(tokens, accounts[0]!.platformAccountId));
    const [request] = sb.requests('/oauth/v2/accessToken');
    assert.deepEqual(request?.body, { grant_type: 'refresh_token', refresh_token: tokens.refreshToken, client_id: 'sandbox-linkedin', client_secret: 'sandbox-secret-linkedin' });
    assert.equal(refreshed.refreshExpiresAt?.getTime(), end);
    assert.equal(refreshed.refreshToken, tokens.refreshToken);
    assert.equal(refreshed.accessExpiresAt?.getTime(), sb.clock.nowMs() + 60 * DAY);

    sb.clock.advance(306 * DAY);
    const dead = await rejection(provider.refresh(sb.ctx, credentialOf(refreshed, accounts[0]!.platformAccountId)));
    assert.equal(dead.errorClass, 'reconnect_needed');
    assert.equal(dead.reason, 'invalid_grant');
  });

  it('asks for a reconnect when the app gets no refresh tokens (self-serve apps)', async () => {
    sb.emulator.core.setPolicy('linkedin', { issueRefreshToken: () => false });
    const { tokens, accounts } = await connect('li-bob');
    assert.equal(tokens.refreshToken, undefined);
    const err = await rejection(provider.refresh(sb.ctx, credentialOf(tokens, accounts[0]!.platformAccountId)));
    assert.equal(err.reason, 'no_refresh_token');
    assert.equal(sb.requests('/oauth/v2/accessToken').length, 1);
  });

  it('classifies a refused code and a wrong client secret', async () => {
    const used = await rejection(provider.exchangeCode(sb.ctx, { code: 'never-issued' }));
    assert.equal(used.errorClass, 'bad_request');
    assert.equal(used.platformCode, 'invalid_redirect_uri');
    const wrong = await rejection(provider.exchangeCode({ ...sb.ctx, client: { clientId: 'sandbox-linkedin', clientSecret: 'nope' } }, { code: 'x' }));
    assert.equal(wrong.errorClass, 'app_misconfigured');
  });

  it('has no revocation endpoint: disconnect only forgets the tokens', () => {
    assert.equal(provider.facts.canRevoke, false);
    assert.equal(provider.revoke, undefined);
  });

  it('publishes with two uploaded images, resumes uploads from progress, and finds the post again', async () => {
    const { tokens, accounts } = await connect('li-alice');
    const org = accounts.find((a) => a.kind === 'organization')!;
    const credential = credentialOf(tokens, org.platformAccountId);
    const post = {
      idempotencyKey: 't-1',
      text: 'Spring bulbs are in',
      media: [
        { kind: 'image' as const, url: sb.mediaUrl('a.png'), mimeType: 'image/png', bytes: 24, altText: 'Tulips' },
        { kind: 'image' as const, url: sb.mediaUrl('b.png'), mimeType: 'image/png', bytes: 24 },
      ],
      options: {},
    };
    const progress = memoryProgress();
    const result = await provider.publish(sb.ctx, credential, post, progress);
    assert.match(result.platformPostId, /^urn:li:share:\d+$/);
    assert.equal(result.url, `https://www.linkedin.com/feed/update/${result.platformPostId}/`);
    assert.equal(progress.saves.length, 2);
    const init = sb.requests('/rest/images').map((r) => r.body);
    assert.deepEqual(init[0], { initializeUploadRequest: { owner: org.platformAccountId } });
    const [create] = sb.requests('/rest/posts');
    assert.equal((create?.body as { author: string }).author, org.platformAccountId);
    assert.equal((create?.body as { content: { multiImage: { images: { altText?: string }[] } } }).content.multiImage.images[0]?.altText, 'Tulips');
    const published = sb.emulator.core.posts.list({ platform: 'linkedin' });
    assert.equal(published.length, 1);

    // A retry that already uploaded both images goes straight to the post.
    sb.clearRequests();
    await provider.publish(sb.ctx, credential, { ...post, text: 'Second' }, memoryProgress(progress.state));
    assert.equal(sb.requests('/rest/images').length, 0);

    const found = await provider.findRecentPost!(sb.ctx, credential, post, new Date(sb.clock.nowMs() - 60_000));
    assert.equal(found?.platformPostId, result.platformPostId);
    assert.equal(await provider.findRecentPost!(sb.ctx, credential, { ...post, text: 'never posted' }, new Date(0)), null);
  });

  it('rejects what LinkedIn would refuse before calling it, and classifies API errors', async () => {
    const { tokens, accounts } = await connect('li-bob');
    const credential = credentialOf(tokens, accounts[0]!.platformAccountId);
    const long = await rejection(provider.publish(sb.ctx, credential, { idempotencyKey: 'k', text: 'x'.repeat(3001), media: [], options: {} }, memoryProgress()));
    assert.equal(long.reason, 'text_too_long');
    const video = await rejection(
      provider.publish(sb.ctx, credential, { idempotencyKey: 'k', text: 'v', media: [{ kind: 'video', url: sb.mediaUrl('v.mp4'), mimeType: 'video/mp4', bytes: 1 }], options: {} }, memoryProgress()),
    );
    assert.equal(video.reason, 'unsupported_media');

    // Posting as an organization bob does not administer: 403 ACCESS_DENIED.
    const forbidden = await rejection(
      provider.publish(sb.ctx, { ...credential, platformAccountId: 'urn:li:organization:2414183' }, { idempotencyKey: 'k', text: 'hi', media: [], options: {} }, memoryProgress()),
    );
    assert.equal(forbidden.errorClass, 'reconnect_needed');
    assert.equal(forbidden.reason, 'permission_denied');

    sb.emulator.core.grants.expireAccessTokens('linkedin', 'li-bob');
    const expired = await rejection(provider.publish(sb.ctx, credential, { idempotencyKey: 'k', text: 'hi', media: [], options: {} }, memoryProgress()));
    assert.equal(expired.errorClass, 'refresh_needed');
    assert.equal(expired.platformCode, '65602');
  });

  it('turns HTML error pages and truncated JSON into malformed_response', async () => {
    sb.emulator.core.faults.add({ platform: 'linkedin', endpoint: '/www/oauth/v2/accessToken', kind: 'html_error', status: 502 });
    const gateway = await rejection(connect('li-alice'));
    assert.equal(gateway.errorClass, 'transient');
    assert.equal(gateway.httpStatus, 502);
    sb.emulator.core.faults.add({ platform: 'linkedin', endpoint: '/www/oauth/v2/accessToken', kind: 'html_error', status: 200 });
    const html = await rejection(connect('li-alice'));
    assert.equal(html.reason, 'malformed_response');
    assert.equal(html.errorClass, 'transient');
    sb.emulator.core.faults.add({ platform: 'linkedin', endpoint: '/www/oauth/v2/accessToken', kind: 'truncated_json' });
    const truncated = await rejection(connect('li-alice'));
    assert.equal(truncated.reason, 'malformed_response');
  });
});
