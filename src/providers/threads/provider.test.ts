import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { memoryProgress, openSandboxForTests, type SandboxForTests } from '../../emulator/platforms/sandboxForTests.ts';
import { connectThroughConsent, rejection, storedCredential } from '../meta/adapterTestSupport.ts';
import type { PublishRequest } from '../types.ts';
import { provider } from './provider.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ALICE = '25000000000000001';
let sb: SandboxForTests;

before(async () => {
  sb = await openSandboxForTests(provider);
});
after(() => sb.close());
beforeEach(() => sb.emulator.core.reset());

const connect = (accountId = ALICE) => connectThroughConsent(sb, provider, accountId);
async function connected() {
  const { tokens, accounts } = await connect();
  return storedCredential(tokens, accounts[0]!);
}
const post = (text: string, media: PublishRequest['media'] = []): PublishRequest => ({ idempotencyKey: 't-1', text, media, options: {} });

describe('Threads adapter against the emulator', () => {
  it('builds the authorize URL on threads.net with the Threads app id', () => {
    const url = provider.authorizationUrl(sb.ctx, { state: 's' });
    assert.equal(url.origin + url.pathname, `${sb.emulator.url}/threads/www/oauth/authorize`);
    assert.equal(url.searchParams.get('client_id'), 'sandbox-threads');
    assert.equal(url.searchParams.get('scope'), 'threads_basic,threads_content_publish');
  });

  it('connects: POST code exchange (form), th_exchange_token (secret in the query), /me', async () => {
    const { tokens, accounts, code } = await connect();
    assert.deepEqual(
      sb.requests().map((r) => `${r.method} ${r.path}`),
      ['GET /www/oauth/authorize', 'POST /graph/oauth/access_token', 'GET /graph/access_token', 'GET /graph/v1.0/me'],
    );
    const [, exchange, longLived] = sb.requests();
    assert.deepEqual(exchange!.body, {
      client_id: 'sandbox-threads',
      client_secret: 'sandbox-secret-threads',
      code,
      grant_type: 'authorization_code',
      redirect_uri: sb.ctx.redirectUri,
    });
    assert.deepEqual(longLived!.query, { grant_type: 'th_exchange_token', client_secret: 'sandbox-secret-threads', access_token: longLived!.query.access_token! });
    assert.equal(tokens.accessExpiresAt?.getTime(), sb.clock.nowMs() + 60 * DAY);
    assert.deepEqual(tokens.scopes, ['threads_basic', 'threads_content_publish']);
    assert.deepEqual(accounts.map((a) => [a.platformAccountId, a.handle]), [[ALICE, 'alice.sandbox']]);
  });

  it('reconnects: same account, same id; another account, another id; a reused code is refused', async () => {
    const first = await connect();
    assert.equal((await connect()).accounts[0]!.platformAccountId, first.accounts[0]!.platformAccountId);
    assert.equal((await connect('25000000000000002')).accounts[0]!.platformAccountId, '25000000000000002');
    const err = await rejection(provider.exchangeCode(sb.ctx, { code: first.code }));
    assert.deepEqual([err.errorClass, err.reason], ['bad_request', 'invalid_code']);
  });

  it('refreshes after 24 h with th_refresh_token; not before; not after expiry', async () => {
    const credential = await connected();
    sb.clearRequests();
    assert.equal((await rejection(provider.refresh(sb.ctx, credential))).reason, 'min_age_not_reached');
    assert.equal(sb.requests().length, 0);
    sb.clock.advance(DAY);
    const refreshed = await provider.refresh(sb.ctx, credential);
    assert.deepEqual(
      sb.requests().map((r) => [r.method, r.path, r.query, r.body, r.clientAuth]),
      [['GET', '/graph/refresh_access_token', { grant_type: 'th_refresh_token', access_token: credential.accessToken }, null, 'none']],
    );
    assert.equal(refreshed.accessExpiresAt?.getTime(), sb.clock.nowMs() + 60 * DAY);

    const tooYoung = await rejection(provider.refresh(sb.ctx, { ...credential, accessToken: refreshed.accessToken }));
    assert.equal(tooYoung.reason, 'min_age_not_reached', 'the platform refuses the fresh token too');

    sb.clock.advance(61 * DAY);
    const expired = await rejection(provider.refresh(sb.ctx, { ...credential, accessToken: refreshed.accessToken, issuedAt: refreshed.issuedAt }));
    assert.deepEqual([expired.errorClass, expired.reason], ['reconnect_needed', 'token_expired']);
  });

  it('verifies with /me and sees revocation', async () => {
    const credential = await connected();
    assert.equal((await provider.verify(sb.ctx, credential)).valid, true);
    sb.emulator.core.grants.revokeAccount('threads', ALICE, 'user_revoked');
    assert.deepEqual(await provider.verify(sb.ctx, credential), { valid: false, reason: 'deauthorized' });
    assert.equal(provider.revoke, undefined, 'Threads has no revocation endpoint');
  });

  it('the emulator answers debug_token with expiry, data-access expiry and scopes', async () => {
    const credential = await connected();
    const url = new URL(`${sb.ctx.hosts.graph}/v1.0/debug_token`);
    url.searchParams.set('access_token', credential.accessToken);
    url.searchParams.set('input_token', credential.accessToken);
    const body = (await (await fetch(url)).json()) as { data: Record<string, unknown> };
    assert.equal(body.data.is_valid, true);
    assert.equal(body.data.expires_at, Math.floor((sb.clock.nowMs() + 60 * DAY) / 1000));
    assert.equal(body.data.data_access_expires_at, Math.floor((sb.clock.nowMs() + 90 * DAY) / 1000));
    assert.deepEqual(body.data.scopes, ['threads_basic', 'threads_content_publish']);
  });

  it('publishes text (with a link) and an image carousel, then finds the post', async () => {
    const credential = await connected();
    sb.clearRequests();
    const text = await provider.publish(sb.ctx, credential, { ...post('Hello Threads'), link: 'https://example.org' }, memoryProgress());
    const [create, status, publish] = sb.requests();
    assert.equal(`${create!.method} ${create!.path}`, `POST /graph/v1.0/${ALICE}/threads`);
    assert.deepEqual(create!.body, { media_type: 'TEXT', text: 'Hello Threads', link_attachment: 'https://example.org', access_token: credential.accessToken });
    assert.equal(status!.query.fields, 'status,error_message');
    assert.equal(`${publish!.method} ${publish!.path}`, `POST /graph/v1.0/${ALICE}/threads_publish`);
    assert.match(text.url ?? '', /threads\.net\/@alice\.sandbox\/post\//);

    const images = ['1.jpg', '2.jpg'].map((n) => ({ kind: 'image' as const, url: sb.mediaUrl(n), mimeType: 'image/jpeg', bytes: 24 }));
    await provider.publish(sb.ctx, credential, post('Two pictures', images), memoryProgress());
    assert.deepEqual(sb.emulator.core.posts.list({ platform: 'threads' }).map((p) => [p.text, p.media.length]), [['Hello Threads', 0], ['Two pictures', 2]]);
    assert.deepEqual(await provider.findRecentPost!(sb.ctx, credential, post('Hello Threads'), new Date(sb.clock.nowMs() - 1000)), text);
  });

  it('rejects a post over 500 characters before any request, and the emulator refuses one too', async () => {
    const credential = await connected();
    sb.clearRequests();
    assert.equal((await rejection(provider.publish(sb.ctx, credential, post('x'.repeat(501)), memoryProgress()))).reason, 'text_too_long');
    assert.equal(sb.requests().length, 0);
    const form = new URLSearchParams({ media_type: 'TEXT', text: 'x'.repeat(501), access_token: credential.accessToken });
    const res = await fetch(`${sb.ctx.hosts.graph}/v1.0/${ALICE}/threads`, { method: 'POST', body: form });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: { code: number } }).error.code, 100);
  });
});
