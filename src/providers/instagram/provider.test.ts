import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { answerConsent } from '../../emulator/core/consentPages.ts';
import { memoryProgress, openSandboxForTests, type SandboxForTests } from '../../emulator/platforms/sandboxForTests.ts';
import { connectThroughConsent, rejection, storedCredential } from '../meta/adapterTestSupport.ts';
import type { PublishRequest } from '../types.ts';
import { createInstagramProvider, provider } from './provider.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ALICE = '17841400000021001';
let sb: SandboxForTests;

before(async () => {
  sb = await openSandboxForTests(provider);
});
after(() => sb.close());
beforeEach(() => sb.emulator.core.reset());

const connect = (accountId = ALICE) => connectThroughConsent(sb, provider, accountId);
async function connected(accountId = ALICE) {
  const { tokens, accounts } = await connect(accountId);
  return storedCredential(tokens, accounts[0]!);
}
const image = (name: string) => ({ kind: 'image' as const, url: sb.mediaUrl(name), mimeType: 'image/jpeg', bytes: 24 });
const video = (name: string) => ({ kind: 'video' as const, url: sb.mediaUrl(name), mimeType: 'video/mp4', bytes: 24 });
const post = (text: string, media: PublishRequest['media']): PublishRequest => ({ idempotencyKey: 't-1', text, media, options: {} });

describe('Instagram (Instagram Login) adapter against the emulator', () => {
  it('builds the authorize URL on instagram.com with comma-separated scopes', () => {
    const url = provider.authorizationUrl(sb.ctx, { state: 's' });
    assert.equal(url.origin + url.pathname, `${sb.emulator.url}/instagram/www/oauth/authorize`);
    assert.equal(url.searchParams.get('scope'), 'instagram_business_basic,instagram_business_content_publish');
    assert.equal(url.searchParams.get('response_type'), 'code');
    assert.equal(url.searchParams.get('client_id'), 'sandbox-instagram');
  });

  it('connects: POST code exchange (secret in the form), ig_exchange_token (secret in the query), then /me', async () => {
    const { tokens, accounts, code } = await connect();
    assert.deepEqual(
      sb.requests().map((r) => `${r.method} ${r.path}`),
      ['GET /www/oauth/authorize', 'POST /api/oauth/access_token', 'GET /graph/access_token', 'GET /graph/v22.0/me'],
    );
    const [, exchange, longLived, me] = sb.requests();
    assert.equal(exchange!.contentType, 'application/x-www-form-urlencoded');
    assert.deepEqual(exchange!.body, {
      client_id: 'sandbox-instagram',
      client_secret: 'sandbox-secret-instagram',
      grant_type: 'authorization_code',
      redirect_uri: sb.ctx.redirectUri,
      code,
    });
    assert.deepEqual(exchange!.query, {});
    assert.deepEqual(Object.keys(longLived!.query).sort(), ['access_token', 'client_secret', 'grant_type']);
    assert.equal(longLived!.query.grant_type, 'ig_exchange_token');
    assert.equal(longLived!.query.client_secret, 'sandbox-secret-instagram');
    assert.equal(me!.query.access_token, tokens.accessToken);

    assert.equal(tokens.accessExpiresAt?.getTime(), sb.clock.nowMs() + 60 * DAY);
    assert.equal(tokens.issuedAt.getTime(), sb.clock.nowMs());
    assert.deepEqual(tokens.scopes, ['instagram_business_basic', 'instagram_business_content_publish']);
    assert.equal(tokens.refreshToken, undefined);
    assert.deepEqual(accounts.map((a) => [a.platformAccountId, a.kind, a.handle]), [[ALICE, 'profile', 'alice.sandbox']]);
  });

  for (const [wrapped, asArray] of [
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    it(`accepts the code-exchange shape wrapped=${wrapped} permissionsAsArray=${asArray}`, async () => {
      sb.emulator.core.setPolicy('instagram', { codeResponseWrapped: wrapped, permissionsAsArray: asArray } as never);
      const { tokens } = await connect();
      assert.deepEqual(tokens.scopes, ['instagram_business_basic', 'instagram_business_content_publish']);
    });
  }

  it('strips the #_ Meta appends to the code; refuses a reused code in Instagram\'s error shape', async () => {
    const url = provider.authorizationUrl(sb.ctx, { state: 's' });
    const code = (await answerConsent(url, { accountId: ALICE })).searchParams.get('code')!;
    await provider.exchangeCode(sb.ctx, { code: `${code}#_` });
    assert.equal(sb.requests('/api/oauth/access_token')[0]!.body?.code, code);
    const err = await rejection(provider.exchangeCode(sb.ctx, { code }));
    assert.deepEqual([err.errorClass, err.reason, err.platformCode], ['bad_request', 'invalid_code', '400']);
  });

  it('reports a truncated code exchange as malformed', async () => {
    sb.emulator.core.faults.add({ platform: 'instagram', endpoint: '/oauth/access_token', kind: 'truncated_json' });
    const err = await rejection(connect());
    assert.deepEqual([err.errorClass, err.reason], ['transient', 'malformed_response']);
  });

  it('reconnects the same account to the same id, another account to another id', async () => {
    const a = await connect();
    const b = await connect();
    assert.equal(a.accounts[0]!.platformAccountId, b.accounts[0]!.platformAccountId);
    assert.equal((await connect('17841400000021002')).accounts[0]!.platformAccountId, '17841400000021002');
  });

  it('refreshes only after 24 hours, by GET with the token in the query, for 60 more days', async () => {
    const credential = await connected();
    sb.clock.advance(23 * HOUR);
    sb.clearRequests();
    const young = await rejection(provider.refresh(sb.ctx, credential));
    assert.deepEqual([young.errorClass, young.reason, young.retryAfterMs], ['transient', 'min_age_not_reached', HOUR]);
    assert.equal(sb.requests().length, 0, 'no call for a token known to be too young');

    sb.clock.advance(2 * HOUR);
    const refreshed = await provider.refresh(sb.ctx, credential);
    const [call] = sb.requests();
    assert.equal(`${call!.method} ${call!.path}`, 'GET /graph/refresh_access_token');
    assert.deepEqual(call!.query, { grant_type: 'ig_refresh_token', access_token: credential.accessToken });
    assert.equal(call!.body, null);
    assert.notEqual(refreshed.accessToken, credential.accessToken);
    assert.equal(refreshed.accessExpiresAt?.getTime(), sb.clock.nowMs() + 60 * DAY);
    assert.equal(refreshed.issuedAt.getTime(), sb.clock.nowMs());
    assert.equal(refreshed.refreshToken, undefined);
    assert.deepEqual(refreshed.scopes, credential.scopes);
    assert.deepEqual([...sb.emulator.core.requests.refreshesByGrant.values()], [1]);
  });

  it("maps the platform's too-young refusal (configurable, default 400 code 100) to min_age_not_reached", async () => {
    const credential = await connected();
    // Our clock believes the token is old; the platform does not.
    const err = await rejection(provider.refresh(sb.ctx, { ...credential, issuedAt: new Date(sb.clock.nowMs() - 2 * DAY) }));
    assert.deepEqual([err.errorClass, err.reason, err.httpStatus, err.platformCode], ['transient', 'min_age_not_reached', 400, '100']);
  });

  it('another code 100 on a refresh is not "too young": it stays a bad request', async () => {
    // A refresh the platform refuses for another reason with the same code (here: a grant_type it does not take).
    const misconfigured = createInstagramProvider({ tokenRules: { refreshGrant: 'th_refresh_token' } });
    const credential = await connected();
    sb.clock.advance(25 * HOUR);
    const err = await rejection(misconfigured.refresh(sb.ctx, credential));
    assert.deepEqual([err.errorClass, err.reason, err.platformCode], ['bad_request', 'invalid_parameter', '100']);
    assert.match(err.message, /grant_type must be ig_refresh_token/);
  });

  it('cannot refresh an expired token: 190 "Session has expired" means reconnect', async () => {
    const credential = await connected();
    sb.clock.advance(61 * DAY);
    const err = await rejection(provider.refresh(sb.ctx, credential));
    assert.deepEqual([err.errorClass, err.reason], ['reconnect_needed', 'token_expired']);
    assert.match(err.message, /Session has expired on/);
  });

  it('verifies with /me; a password change or revocation ends the grant', async () => {
    const credential = await connected();
    assert.deepEqual(await provider.verify(sb.ctx, credential), { valid: true, accessExpiresAt: credential.accessExpiresAt, scopes: credential.scopes });
    assert.deepEqual(await provider.verify(sb.ctx, { ...credential, platformAccountId: 'someone-else' }), { valid: false, reason: 'account_mismatch' });
    sb.emulator.core.grants.revokeAccount('instagram', ALICE, 'password_changed');
    assert.deepEqual(await provider.verify(sb.ctx, credential), { valid: false, reason: 'password_changed' });
    sb.emulator.core.faults.add({ platform: 'instagram', endpoint: '/me', kind: 'server_error' });
    const down = await rejection(provider.verify(sb.ctx, credential));
    assert.equal(down.errorClass, 'transient');
  });

  it('has no revocation endpoint: disconnect erases our copy only', () => {
    assert.equal(provider.facts.canRevoke, false);
    assert.equal(provider.revoke, undefined);
  });

  it('publishes an image: container, status, media_publish, permalink', async () => {
    const credential = await connected();
    sb.clearRequests();
    const progress = memoryProgress();
    const result = await provider.publish(sb.ctx, credential, post('Croissants', [image('c.jpg')]), progress);
    assert.deepEqual(
      sb.requests().map((r) => `${r.method} ${r.path.replace(/\d{10,}/g, 'ID')}`),
      ['POST /graph/v22.0/ID/media', 'GET /graph/v22.0/ID', 'POST /graph/v22.0/ID/media_publish', 'GET /graph/v22.0/ID'],
    );
    const [create, status, publish] = sb.requests();
    assert.equal(create!.path, `/graph/v22.0/${ALICE}/media`);
    assert.deepEqual(create!.body, { image_url: sb.mediaUrl('c.jpg'), caption: 'Croissants', access_token: credential.accessToken });
    assert.equal(status!.query.fields, 'status_code,status');
    assert.deepEqual(publish!.body, { creation_id: progress.state.containerId, access_token: credential.accessToken });
    assert.match(result.url ?? '', /^https:\/\/www\.instagram\.com\/p\//);
    const [published] = sb.emulator.core.posts.list({ platform: 'instagram' });
    assert.equal(published?.text, 'Croissants');
    assert.deepEqual(await provider.findRecentPost!(sb.ctx, credential, post('Croissants', []), new Date(sb.clock.nowMs() - 1000)), result);
  });

  it('waits for a video container (transient media_processing) and resumes without a second container', async () => {
    const credential = await connected();
    const progress = memoryProgress();
    const err = await rejection(provider.publish(sb.ctx, credential, post('Reel', [video('r.mp4')]), progress));
    assert.deepEqual([err.errorClass, err.reason, err.retryAfterMs], ['transient', 'media_processing', 30_000]);
    assert.ok(progress.state.containerId);
    assert.equal(sb.requests('/media')[0]!.body?.media_type, 'REELS');
    sb.clock.advance(60_000);
    await provider.publish(sb.ctx, credential, post('Reel', [video('r.mp4')]), progress);
    assert.equal(sb.requests('/media').length, 1, 'one container only');
    assert.equal(sb.emulator.core.posts.list({ platform: 'instagram' }).length, 1);
  });

  it('publishes a carousel from item containers', async () => {
    const credential = await connected();
    const progress = memoryProgress();
    await provider.publish(sb.ctx, credential, post('Three', [image('1.jpg'), image('2.jpg'), image('3.jpg')]), progress);
    const creates = sb.requests('/media').map((r) => r.body!);
    assert.deepEqual(creates.map((b) => b.is_carousel_item ?? b.media_type), ['true', 'true', 'true', 'CAROUSEL']);
    assert.equal(creates[3]!.children, (progress.state.childIds as string[]).join(','));
    assert.equal(sb.emulator.core.posts.list({ platform: 'instagram' })[0]?.media.length, 3);
  });

  it('after a lost media_publish answer, never publishes twice: the published container is reported uncertain for the engine to look up', async () => {
    const credential = await connected();
    const progress = memoryProgress();
    const since = new Date(sb.clock.nowMs() - 1000);
    sb.emulator.core.faults.add({ platform: 'instagram', endpoint: '/media_publish', kind: 'drop_after_commit' });
    const lost = await rejection(provider.publish(sb.ctx, credential, post('Only once', [image('o.jpg')]), progress));
    assert.equal(lost.errorClass, 'transient');
    // The answer is not matched by caption here (an older post may share it): the engine looks up from its intent.
    const again = await rejection(provider.publish(sb.ctx, credential, post('Only once', [image('o.jpg')]), progress));
    assert.equal(again.name, 'PublishOutcomeUncertain');
    const posts = sb.emulator.core.posts.list({ platform: 'instagram' });
    assert.equal(posts.length, 1);
    assert.equal((await provider.findRecentPost!(sb.ctx, credential, post('Only once', []), since))?.platformPostId, posts[0]!.id);
  });

  it('rejects posts Instagram cannot take before any request', async () => {
    const credential = await connected();
    sb.clearRequests();
    for (const [bad, reason] of [
      [post('no media', []), 'media_required'],
      [post('x'.repeat(2201), [image('a.jpg')]), 'text_too_long'],
      [post('too many', Array.from({ length: 11 }, (_, i) => image(`${i}.jpg`))), 'too_many_media'],
    ] as const) {
      const err = await rejection(provider.publish(sb.ctx, credential, bad, memoryProgress()));
      assert.deepEqual([err.errorClass, err.reason], ['bad_request', reason]);
    }
    assert.equal(sb.requests().length, 0);
  });
});
