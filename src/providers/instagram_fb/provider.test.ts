import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { memoryProgress, openSandboxForTests, type SandboxForTests } from '../../emulator/platforms/sandboxForTests.ts';
import { connectThroughConsent, rejection, storedCredential } from '../meta/adapterTestSupport.ts';
import type { PublishRequest } from '../types.ts';
import { provider } from './provider.ts';

const DAY = 86_400_000;
const APP_TOKEN = 'sandbox-instagram_fb|sandbox-secret-instagram_fb';
const ALICE_IG = '17841400000011001';
let sb: SandboxForTests;

before(async () => {
  sb = await openSandboxForTests(provider);
});
after(() => sb.close());
beforeEach(() => sb.emulator.core.reset());

const connect = (accountId: string) => connectThroughConsent(sb, provider, accountId);
const post = (text: string): PublishRequest => ({
  idempotencyKey: 't-1',
  text,
  media: [{ kind: 'image', url: sb.mediaUrl('p.jpg'), mimeType: 'image/jpeg', bytes: 24 }],
  options: {},
});

describe('Instagram through Facebook Login, against the emulator', () => {
  it('asks Facebook for the Instagram and Pages scopes', () => {
    const url = provider.authorizationUrl(sb.ctx, { state: 's' });
    assert.equal(url.origin + url.pathname, `${sb.emulator.url}/instagram_fb/www/v22.0/dialog/oauth`);
    assert.equal(url.searchParams.get('scope'), 'instagram_basic,instagram_content_publish,pages_show_list,pages_read_engagement');
  });

  it('connects through Facebook and offers only Pages with a linked professional account, with the Page token', async () => {
    const { tokens, accounts, code } = await connect('11001');
    const [, exchange, extend, debug, pages] = sb.requests();
    assert.deepEqual(exchange!.query, { client_id: 'sandbox-instagram_fb', redirect_uri: sb.ctx.redirectUri, client_secret: 'sandbox-secret-instagram_fb', code });
    assert.equal(extend!.query.grant_type, 'fb_exchange_token');
    assert.equal(debug!.query.access_token, APP_TOKEN);
    assert.match(pages!.query.fields ?? '', /instagram_business_account\{id,username,name,profile_picture_url\}/);
    assert.equal(tokens.dataAccessExpiresAt?.getTime(), sb.clock.nowMs() + 90 * DAY);
    assert.deepEqual(
      accounts.map((a) => [a.platformAccountId, a.kind, a.handle, a.meta?.pageId, a.tokens?.accessExpiresAt]),
      [[ALICE_IG, 'profile', 'alice.bakery.sandbox', '21001', null]],
    );
  });

  it('reconnects: same person, same account id; another person, another', async () => {
    const first = await connect('11001');
    const again = await connect('11001');
    assert.equal(again.accounts[0]!.platformAccountId, first.accounts[0]!.platformAccountId);
    const bob = await connect('11002');
    assert.deepEqual(bob.accounts.map((a) => a.platformAccountId), ['17841400000011003']);
  });

  it('verifies through debug_token and classifies role loss on the Page', async () => {
    const { tokens, accounts } = await connect('11001');
    const credential = storedCredential(tokens, accounts[0]!);
    sb.clearRequests();
    const ok = await provider.verify(sb.ctx, credential);
    assert.deepEqual([ok.valid, ok.accessExpiresAt], [true, null]);
    // debug_token of the Page token, with the app token (the app's id and secret), nothing else.
    assert.deepEqual(
      sb.requests().map((r) => [r.method, r.path, r.query, r.body, r.bearer]),
      [['GET', '/graph/debug_token', { input_token: credential.accessToken, access_token: 'sandbox-instagram_fb|sandbox-secret-instagram_fb' }, null, null]],
    );
    sb.emulator.core.grants.revokeAccount('instagram_fb', '11001', 'role_lost');
    assert.equal((await provider.verify(sb.ctx, credential)).reason, 'role_lost');
    const err = await rejection(provider.publish(sb.ctx, credential, post('x'), memoryProgress()));
    assert.deepEqual([err.errorClass, err.platformCode], ['reconnect_needed', '190/492']);
  });

  it('refresh: the Page token does not expire, so there is nothing to refresh', async () => {
    const { tokens, accounts } = await connect('11001');
    const err = await rejection(provider.refresh(sb.ctx, storedCredential(tokens, accounts[0]!)));
    assert.equal(err.reason, 'refresh_not_applicable');
  });

  it('publishes with the container flow on the Facebook Graph host, and finds the post again', async () => {
    const { tokens, accounts } = await connect('11001');
    const credential = storedCredential(tokens, accounts[0]!);
    sb.clearRequests();
    const result = await provider.publish(sb.ctx, credential, post('From the bakery'), memoryProgress());
    const create = sb.requests('/media')[0]!;
    assert.equal(`${create.method} ${create.path}`, `POST /graph/v22.0/${ALICE_IG}/media`);
    assert.equal(create.body?.access_token, credential.accessToken);
    assert.equal(sb.emulator.core.posts.list({ platform: 'instagram_fb', accountId: ALICE_IG }).length, 1);
    assert.deepEqual(await provider.findRecentPost!(sb.ctx, credential, post('From the bakery'), new Date(0)), result);
  });

  it("refuses to publish to an account the Page token is not linked to", async () => {
    const { tokens, accounts } = await connect('11001');
    const credential = { ...storedCredential(tokens, accounts[0]!), platformAccountId: '17841400000011003' };
    const err = await rejection(provider.publish(sb.ctx, credential, post('x'), memoryProgress()));
    assert.deepEqual([err.errorClass, err.reason], ['reconnect_needed', 'permission_missing']);
  });

  it('disconnects by removing the app from the user', async () => {
    const { tokens, accounts } = await connect('11001');
    const credential = storedCredential(tokens, accounts[0]!);
    sb.clearRequests();
    await provider.revoke!(sb.ctx, credential);
    assert.deepEqual(sb.requests().map((r) => [r.method, r.path, r.query.access_token]), [['DELETE', '/graph/v22.0/11001/permissions', APP_TOKEN]]);
    assert.equal((await provider.verify(sb.ctx, credential)).valid, false);
  });
});
