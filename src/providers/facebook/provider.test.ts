import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { memoryProgress, openSandboxForTests, type SandboxForTests } from '../../emulator/platforms/sandboxForTests.ts';
import { connectThroughConsent, rejection, storedCredential } from '../meta/adapterTestSupport.ts';
import { verifySignedRequest } from '../meta/signedRequest.ts';
import type { PublishRequest } from '../types.ts';
import { createFacebookProvider, provider } from './provider.ts';

const DAY = 86_400_000;
const APP_TOKEN = 'sandbox-facebook|sandbox-secret-facebook';
let sb: SandboxForTests;

before(async () => {
  sb = await openSandboxForTests(provider);
});
after(() => sb.close());
beforeEach(() => sb.emulator.core.reset());

const connect = (accountId: string) => connectThroughConsent(sb, provider, accountId);
const post = (text: string, media: PublishRequest['media'] = []): PublishRequest => ({ idempotencyKey: 'target-1', text, media, options: {} });
const image = (name: string) => ({ kind: 'image' as const, url: sb.mediaUrl(name), mimeType: 'image/png', bytes: 24 });

describe('Facebook Pages adapter against the emulator', () => {
  it('builds the dialog URL with comma-separated scopes and no PKCE', () => {
    const url = provider.authorizationUrl(sb.ctx, { state: 's' });
    assert.equal(url.origin + url.pathname, `${sb.emulator.url}/facebook/www/v22.0/dialog/oauth`);
    assert.equal(url.searchParams.get('client_id'), 'sandbox-facebook');
    assert.equal(url.searchParams.get('redirect_uri'), sb.ctx.redirectUri);
    assert.equal(url.searchParams.get('scope'), 'pages_show_list,pages_manage_posts,pages_read_engagement');
    assert.equal(url.searchParams.get('response_type'), 'code');
    assert.equal(url.searchParams.get('code_challenge'), null);
  });

  it('connects: code → short → long-lived user token (secret in the query), debug_token, then one choice per Page', async () => {
    const { tokens, accounts, code } = await connect('10001');
    const sent = sb.requests().map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(sent, [
      'GET /www/v22.0/dialog/oauth',
      'GET /graph/v22.0/oauth/access_token',
      'GET /graph/v22.0/oauth/access_token',
      'GET /graph/debug_token',
      'GET /graph/v22.0/me/accounts',
    ]);
    const [, exchange, extend, debug, pages] = sb.requests();
    assert.deepEqual(exchange!.query, { client_id: 'sandbox-facebook', redirect_uri: sb.ctx.redirectUri, client_secret: 'sandbox-secret-facebook', code });
    assert.equal(exchange!.body, null);
    assert.equal(exchange!.bearer, null);
    assert.deepEqual(Object.keys(extend!.query).sort(), ['client_id', 'client_secret', 'fb_exchange_token', 'grant_type']);
    assert.equal(extend!.query.grant_type, 'fb_exchange_token');
    assert.equal(debug!.query.access_token, APP_TOKEN);
    assert.equal(debug!.query.input_token, tokens.accessToken);
    assert.equal(pages!.query.access_token, tokens.accessToken);

    assert.equal(tokens.accessExpiresAt?.getTime(), sb.clock.nowMs() + 60 * DAY);
    assert.equal(tokens.dataAccessExpiresAt?.getTime(), sb.clock.nowMs() + 90 * DAY);
    assert.deepEqual(tokens.scopes, ['pages_show_list', 'pages_manage_posts', 'pages_read_engagement']);
    assert.equal(tokens.refreshToken, undefined);
    assert.deepEqual(
      accounts.map((a) => [a.platformAccountId, a.kind, a.displayName, a.meta?.userId]),
      [
        ['20001', 'page', 'Alice Bakery (sandbox)', '10001'],
        ['20002', 'page', 'Alice Books (sandbox)', '10001'],
      ],
    );
    for (const page of accounts) {
      assert.equal(page.tokens?.accessExpiresAt, null, 'a Page token from a long-lived user token never expires');
      assert.notEqual(page.tokens?.accessToken, tokens.accessToken);
      assert.equal(page.tokens?.dataAccessExpiresAt?.getTime(), sb.clock.nowMs() + 90 * DAY);
    }
  });

  it('reconnects: the same person yields the same Page ids, another person other Pages', async () => {
    const first = await connect('10001');
    const again = await connect('10001');
    assert.deepEqual(again.accounts.map((a) => a.platformAccountId), first.accounts.map((a) => a.platformAccountId));
    assert.notEqual(again.tokens.accessToken, first.tokens.accessToken);
    const bob = await connect('10002');
    assert.deepEqual(bob.accounts.map((a) => a.platformAccountId), ['20003']);
  });

  it('refuses a code used twice, and a wrong app secret, with classified errors', async () => {
    const { code } = await connect('10001');
    const reused = await rejection(provider.exchangeCode(sb.ctx, { code }));
    assert.deepEqual([reused.errorClass, reused.reason, reused.platformCode], ['bad_request', 'invalid_code', '100/36009']);
    const wrongSecret = { ...sb.ctx, client: { clientId: 'sandbox-facebook', clientSecret: 'wrong' } };
    const err = await rejection(provider.exchangeCode(wrongSecret, { code: 'whatever' }));
    assert.deepEqual([err.errorClass, err.reason], ['app_misconfigured', 'invalid_client']);
    assert.ok(!err.message.includes('wrong'));
  });

  it('reports a truncated or HTML token answer as malformed, without half results', async () => {
    sb.emulator.core.faults.add({ platform: 'facebook', endpoint: '/oauth/access_token', kind: 'truncated_json' });
    const url = provider.authorizationUrl(sb.ctx, { state: 's' });
    const { answerConsent } = await import('../../emulator/core/consentPages.ts');
    const code = (await answerConsent(url, { accountId: '10001' })).searchParams.get('code')!;
    const truncated = await rejection(provider.exchangeCode(sb.ctx, { code }));
    assert.deepEqual([truncated.errorClass, truncated.reason], ['transient', 'malformed_response']);
    sb.emulator.core.faults.add({ platform: 'facebook', endpoint: '/me/accounts', kind: 'html_error' });
    const html = await rejection(connect('10001'));
    assert.deepEqual([html.errorClass, html.reason, html.httpStatus], ['transient', 'malformed_response', 502]);
  });

  it('verifies through debug_token: valid, then data access expired after 90 days', async () => {
    const { tokens, accounts } = await connect('10001');
    const page = storedCredential(tokens, accounts[0]!);
    const ok = await provider.verify(sb.ctx, page);
    assert.equal(ok.valid, true);
    assert.equal(ok.accessExpiresAt, null);
    assert.equal(ok.dataAccessExpiresAt?.getTime(), sb.clock.nowMs() + 90 * DAY);
    assert.ok(ok.scopes?.includes('pages_manage_posts'));
    const debug = sb.requests('/debug_token').at(-1)!;
    assert.deepEqual(debug.query, { input_token: page.accessToken, access_token: APP_TOKEN });

    sb.clock.advance(91 * DAY);
    assert.deepEqual((await provider.verify(sb.ctx, page)).reason, 'data_access_expired');
    const publish = await rejection(provider.publish(sb.ctx, page, post('late'), memoryProgress()));
    assert.deepEqual([publish.errorClass, publish.reason], ['reconnect_needed', 'data_access_expired']);

    // Logging in again (reconnect) makes the user active: 90 more days.
    const again = await connect('10001');
    const renewed = await provider.verify(sb.ctx, storedCredential(again.tokens, again.accounts[0]!));
    assert.deepEqual([renewed.valid, renewed.dataAccessExpiresAt?.getTime()], [true, sb.clock.nowMs() + 90 * DAY]);
  });

  for (const [action, reason, code] of [
    ['password_changed', 'password_changed', '190/460'],
    ['role_lost', 'role_lost', '190/492'],
    ['user_revoked', 'deauthorized', '190/458'],
  ] as const) {
    it(`classifies ${action}: verify says ${reason}, publishing fails with ${code}`, async () => {
      const { tokens, accounts } = await connect('10001');
      const page = storedCredential(tokens, accounts[0]!);
      sb.emulator.core.grants.revokeAccount('facebook', '10001', action);
      const verified = await provider.verify(sb.ctx, page);
      assert.deepEqual([verified.valid, verified.reason], [false, reason]);
      const err = await rejection(provider.publish(sb.ctx, page, post('hello'), memoryProgress()));
      assert.deepEqual([err.errorClass, err.reason, err.platformCode, err.httpStatus], ['reconnect_needed', reason, code, 400]);
    });
  }

  it('refresh: a Page token has nothing to extend; the user token is re-exchanged and keeps its expiry by default', async () => {
    const { tokens, accounts } = await connect('10001');
    const pageErr = await rejection(provider.refresh(sb.ctx, storedCredential(tokens, accounts[0]!)));
    assert.deepEqual([pageErr.errorClass, pageErr.reason], ['bad_request', 'refresh_not_applicable']);

    const user = storedCredential(tokens, { platformAccountId: '10001', kind: 'user', displayName: 'Alice' });
    sb.clock.advance(10 * DAY);
    sb.clearRequests();
    const same = await provider.refresh(sb.ctx, user);
    assert.equal(same.accessExpiresAt?.getTime(), tokens.accessExpiresAt?.getTime(), 'fb_exchange_token does not extend (default)');
    const [call] = sb.requests();
    assert.equal(call!.method, 'GET');
    assert.deepEqual(call!.query, {
      grant_type: 'fb_exchange_token',
      client_id: 'sandbox-facebook',
      client_secret: 'sandbox-secret-facebook',
      fb_exchange_token: user.accessToken,
    });

    // Both sides are configurable: the emulator extends, and the adapter then declares it.
    assert.equal(provider.facts.refresh.kind, 'none');
    assert.equal(createFacebookProvider({ exchangeExtends: true }).facts.refresh.kind, 'extend_same_token');
    sb.emulator.core.setPolicy('facebook', { exchangeExtends: true } as never);
    const extended = await provider.refresh(sb.ctx, user);
    assert.equal(extended.accessExpiresAt?.getTime(), sb.clock.nowMs() + 60 * DAY);
    assert.notEqual(extended.accessToken, user.accessToken);

    sb.clock.advance(61 * DAY);
    const expired = await rejection(provider.refresh(sb.ctx, storedCredential(extended, { platformAccountId: '10001', kind: 'user', displayName: 'A' })));
    assert.deepEqual([expired.errorClass, expired.reason], ['reconnect_needed', 'token_expired']);
  });

  it('disconnects: DELETE /{user-id}/permissions with the app token; the grant is gone; twice is fine', async () => {
    const { tokens, accounts } = await connect('10001');
    const page = storedCredential(tokens, accounts[0]!);
    sb.clearRequests();
    await provider.revoke!(sb.ctx, page);
    const [call] = sb.requests();
    assert.equal(`${call!.method} ${call!.path}`, 'DELETE /graph/v22.0/10001/permissions');
    assert.deepEqual(call!.query, { access_token: APP_TOKEN });
    assert.deepEqual((await provider.verify(sb.ctx, page)).reason, 'deauthorized');
    await provider.revoke!(sb.ctx, page);
  });

  it('publishes text, one photo, several photos and a video, and finds them again', async () => {
    const { tokens, accounts } = await connect('10001');
    const page = storedCredential(tokens, accounts[0]!);
    sb.clearRequests();

    const text = await provider.publish(sb.ctx, page, { ...post('Fresh bread today'), link: 'https://bakery.example' }, memoryProgress());
    assert.match(text.platformPostId, /^20001_/);
    const feed = sb.requests('/feed')[0]!;
    assert.equal(feed.method, 'POST');
    assert.deepEqual(feed.body, { message: 'Fresh bread today', link: 'https://bakery.example', access_token: page.accessToken });

    const photo = await provider.publish(sb.ctx, page, post('One photo', [image('a.png')]), memoryProgress());
    assert.deepEqual(sb.requests('/photos')[0]!.body, { url: sb.mediaUrl('a.png'), message: 'One photo', access_token: page.accessToken });

    const progress = memoryProgress();
    const album = await provider.publish(sb.ctx, page, post('Two photos', [image('b.png'), image('c.png')]), progress);
    const uploads = sb.requests('/photos').slice(1);
    assert.deepEqual(uploads.map((u) => u.body?.published), ['false', 'false']);
    assert.equal(progress.saves.length, 3, 'each photo id, then the post id, saved as they come');
    const attached = sb.requests('/feed').at(-1)!.body!;
    assert.ok(String(attached['attached_media[0]']).includes('media_fbid'));

    const video = await provider.publish(sb.ctx, page, post('A video', [{ kind: 'video', url: sb.mediaUrl('v.mp4'), mimeType: 'video/mp4', bytes: 24 }]), memoryProgress());
    assert.deepEqual(sb.requests('/videos')[0]!.body, { file_url: sb.mediaUrl('v.mp4'), description: 'A video', access_token: page.accessToken });

    const published = sb.emulator.core.posts.list({ platform: 'facebook', accountId: '20001' });
    assert.deepEqual(published.map((p) => p.text), ['Fresh bread today', 'One photo', 'Two photos', 'A video']);
    assert.equal(published[2]!.media.length, 2);
    const since = new Date(sb.clock.nowMs() - 60_000);
    assert.deepEqual(await provider.findRecentPost!(sb.ctx, page, post('One photo'), since), { platformPostId: photo.platformPostId, url: `https://www.facebook.com/${photo.platformPostId}` });
    assert.equal(await provider.findRecentPost!(sb.ctx, page, post('Never posted'), since), null);
    assert.ok(album.platformPostId && video.platformPostId);
  });

  it('resumes from saved progress instead of posting twice, and rejects bad posts before any request', async () => {
    const { tokens, accounts } = await connect('10001');
    const page = storedCredential(tokens, accounts[0]!);
    const progress = memoryProgress();
    const first = await provider.publish(sb.ctx, page, post('Once'), progress);
    sb.clearRequests();
    const again = await provider.publish(sb.ctx, page, post('Once'), progress);
    assert.equal(again.platformPostId, first.platformPostId);
    assert.equal(sb.requests().length, 0);
    assert.equal(sb.emulator.core.posts.list({ platform: 'facebook' }).length, 1);

    for (const [bad, reason] of [
      [post('x'.repeat(63_207)), 'text_too_long'],
      [post(''), 'empty_post'],
      [post('mix', [image('a.png'), { kind: 'video', url: sb.mediaUrl('v.mp4'), mimeType: 'video/mp4', bytes: 1 }]), 'media_mix_unsupported'],
    ] as const) {
      const err = await rejection(provider.publish(sb.ctx, page, bad, memoryProgress()));
      assert.deepEqual([err.errorClass, err.reason], ['bad_request', reason]);
    }
    assert.equal(sb.requests().length, 0);
  });

  it('receives the deauthorize callback as a signed_request the app secret verifies', async () => {
    const received: string[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(new URLSearchParams(body).get('signed_request') ?? '');
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { tokens, accounts } = await connect('10001');
      const callback = `http://127.0.0.1:${(server.address() as AddressInfo).port}/deauthorize`;
      const admin = `${sb.emulator.url}/facebook/_meta`;
      const put = await fetch(`${admin}/deauthorize-callback`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: callback }) });
      assert.equal(put.status, 200);
      const res = await fetch(`${admin}/users/10001/deauthorize`, { method: 'POST' });
      const answer = (await res.json()) as { revoked: number; deliveries: { status: number }[] };
      assert.equal(answer.deliveries[0]?.status, 200);
      assert.ok(answer.revoked >= 1);
      assert.equal(received.length, 1);
      const payload = verifySignedRequest(received[0]!, 'sandbox-secret-facebook', { nowMs: sb.clock.nowMs(), maxAgeMs: 60_000 });
      assert.equal(payload.user_id, '10001');
      assert.equal((await provider.verify(sb.ctx, storedCredential(tokens, accounts[0]!))).reason, 'deauthorized');
    } finally {
      // The callback URL outlives core.reset(); leave none behind.
      await fetch(`${sb.emulator.url}/facebook/_meta/deauthorize-callback`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: null }) });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
