import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { accessLog } from '../../connections/schema.ts';
import { loadCredential, saveRefreshedTokens } from '../../connections/credentials.ts';
import { basicAuthHeader, pkceChallenge } from '../oauthHelpers.ts';
import { connectThroughConsent, dumpAllTables, openConnectionHarness, type ConnectionHarness } from '../../connections/connectionTestHarness.ts';
import { getProvider, providerContext } from '../registry.ts';
import { ProviderError } from '../types.ts';

const ALICE = '1500000000000000001';
const BOB = '1500000000000000002';

describe('X adapter through the emulator', () => {
  let h: ConnectionHarness;
  let connectionId: string;
  before(async () => {
    h = await openConnectionHarness();
  });
  after(async () => h?.close());

  it('connects: authorize URL with PKCE and state, Basic-auth code exchange, users/me', async () => {
    h.emulator.core.requests.clear();
    const res = await connectThroughConsent(h, { platform: 'x' }, ALICE);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.result, 'connected');
    assert.equal(body.connection.platformAccountId, ALICE);
    assert.equal(body.connection.handle, 'sandbox_alice');
    assert.equal(body.connection.state, 'active');
    assert.equal(body.connection.hasRefreshToken, true);
    assert.deepEqual(body.connection.scopes.sort(), ['media.write', 'offline.access', 'tweet.read', 'tweet.write', 'users.read']);
    assert.equal(body.connection.accessExpiresAt, new Date(h.ctx.clock.nowMs() + 7_200_000).toISOString());
    assert.equal(JSON.stringify(body).includes('x-at-'), false, 'no token in the API output');
    connectionId = body.connection.id;

    const [authz, token, me] = h.emulator.core.requests.list({ platform: 'x' });
    assert.equal(authz?.path, '/www/i/oauth2/authorize');
    assert.equal(authz?.query.response_type, 'code');
    assert.equal(authz?.query.client_id, 'sandbox-x');
    assert.equal(authz?.query.redirect_uri, 'http://localhost:3000/api/oauth/callback/x');
    assert.equal(authz?.query.scope, 'tweet.read tweet.write users.read media.write offline.access');
    assert.equal(authz?.query.code_challenge_method, 'S256');
    assert.ok((authz?.query.state ?? '').length >= 40);

    assert.equal(token?.method, 'POST');
    assert.equal(token?.path, '/api/2/oauth2/token');
    assert.equal(token?.clientAuth, 'basic');
    assert.equal(token?.contentType, 'application/x-www-form-urlencoded');
    assert.deepEqual(Object.keys(token?.body ?? {}).sort(), ['code', 'code_verifier', 'grant_type', 'redirect_uri']);
    assert.equal(token?.body?.grant_type, 'authorization_code');
    assert.equal(pkceChallenge(String(token?.body?.code_verifier)), authz?.query.code_challenge);

    assert.equal(me?.method, 'GET');
    assert.equal(me?.path, '/api/2/users/me');
    assert.ok(me?.bearer?.startsWith('x-at-'));

    const log = await h.ctx.db.select().from(accessLog);
    assert.deepEqual(log.map((l) => [l.action, l.app, l.actorUserId]), [['granted', 'sandbox-x', h.auth.userId]]);
  });

  it('keeps no token in clear in any table', async () => {
    const { credential } = await loadCredential(h.ctx, h.ctx.db, connectionId);
    const dump = await dumpAllTables(h.ctx);
    assert.ok(credential.accessToken.length > 20 && credential.refreshToken);
    assert.equal(dump.includes(credential.accessToken), false);
    assert.equal(dump.includes(credential.refreshToken!), false);
  });

  it('verifies with users/me and refreshes with rotation (exact request)', async () => {
    const provider = getProvider('x');
    const pctx = providerContext(h.ctx, 'x');
    const { credential, tokenVersion } = await loadCredential(h.ctx, h.ctx.db, connectionId);
    assert.deepEqual(await provider.verify(pctx, credential), { valid: true });

    h.emulator.core.requests.clear();
    h.ctx.clock.advance(90 * 60_000);
    const tokens = await provider.refresh(pctx, credential);
    const [sent] = h.emulator.core.requests.list({ platform: 'x' });
    assert.equal(sent?.clientAuth, 'basic');
    assert.deepEqual(sent?.body, { grant_type: 'refresh_token', refresh_token: credential.refreshToken });
    assert.ok(tokens.refreshToken && tokens.refreshToken !== credential.refreshToken, 'rotated');
    assert.equal(await saveRefreshedTokens(h.ctx, h.ctx.db, connectionId, tokens, tokenVersion), true);
    assert.equal(await saveRefreshedTokens(h.ctx, h.ctx.db, connectionId, tokens, tokenVersion), false, 'fenced on token_version');

    // The old refresh token is dead, and presenting it again kills the whole family.
    await assert.rejects(provider.refresh(pctx, credential), (err: ProviderError) => err.errorClass === 'reconnect_needed' && err.reason === 'invalid_grant');
    assert.equal(h.emulator.core.grants.reuseDetections.get('x'), 1);
    const fresh = (await loadCredential(h.ctx, h.ctx.db, connectionId)).credential;
    await assert.rejects(provider.refresh(pctx, fresh), (err: ProviderError) => err.reason === 'invalid_grant');
    assert.deepEqual(await provider.verify(pctx, fresh), { valid: false, reason: 'access_token_invalid' });
  });

  it('reconnects the same account onto the same connection', async () => {
    const res = await connectThroughConsent(h, {}, ALICE, { reconnect: connectionId });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().result, 'reconnected');
    assert.equal(res.json().connection.id, connectionId);
    const provider = getProvider('x');
    const { credential } = await loadCredential(h.ctx, h.ctx.db, connectionId);
    assert.deepEqual(await provider.verify(providerContext(h.ctx, 'x'), credential), { valid: true });
  });

  it('refuses a reconnect that authorised another account, writing nothing', async () => {
    const before = await loadCredential(h.ctx, h.ctx.db, connectionId);
    const res = await connectThroughConsent(h, {}, BOB, { reconnect: connectionId });
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().error.code, 'account_mismatch');
    const afterwards = await loadCredential(h.ctx, h.ctx.db, connectionId);
    assert.equal(afterwards.tokenVersion, before.tokenVersion);
    const list = await h.app.inject({ method: 'GET', url: `/api/workspaces/${h.workspaceId}/connections`, headers: h.auth.headers });
    assert.equal(list.json().connections.length, 1);
    const log = await h.ctx.db.select().from(accessLog);
    assert.equal(log.at(-1)?.action, 'connect_failed');
    assert.deepEqual(log.at(-1)?.detail, { reason: 'account_mismatch' });
  });

  it('publishes and finds the post again', async () => {
    const provider = getProvider('x');
    const pctx = providerContext(h.ctx, 'x');
    const { credential } = await loadCredential(h.ctx, h.ctx.db, connectionId);
    const since = h.ctx.clock.now();
    const post = { idempotencyKey: 't1', text: 'Hello from the sandbox', media: [], options: {} };
    const published = await provider.publish(pctx, credential, post, { state: {}, save: async () => undefined });
    assert.deepEqual(h.emulator.core.posts.list({ platform: 'x' }).map((p) => p.text), ['Hello from the sandbox']);
    assert.deepEqual(await provider.findRecentPost?.(pctx, credential, post, since), published);
  });

  it('disconnects: revokes at X with Basic auth, erases the secrets, keeps the row', async () => {
    h.emulator.core.requests.clear();
    const { credential } = await loadCredential(h.ctx, h.ctx.db, connectionId);
    const res = await h.app.inject({ method: 'DELETE', url: `/api/workspaces/${h.workspaceId}/connections/${connectionId}`, headers: h.auth.headers });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().revokedAtPlatform, true);
    assert.equal(res.json().connection.state, 'disconnected');
    const [revoke] = h.emulator.core.requests.list({ platform: 'x', path: '/2/oauth2/revoke' });
    assert.equal(revoke?.clientAuth, 'basic');
    assert.deepEqual(revoke?.body, { token: credential.refreshToken, token_type_hint: 'refresh_token' });
    const { rows } = await h.ctx.database.query<{ access_token_enc: string | null; refresh_token_enc: string | null }>(
      'select access_token_enc, refresh_token_enc from connections where id = $1',
      [connectionId],
    );
    assert.deepEqual(rows, [{ access_token_enc: null, refresh_token_enc: null }]);
    const verify = await getProvider('x').verify(providerContext(h.ctx, 'x'), credential);
    assert.equal(verify.valid, false);
    const log = await h.ctx.db.select().from(accessLog);
    assert.deepEqual(log.slice(-2).map((l) => l.action), ['revoked', 'disconnected']);
  });

  it('answers unauthorized_client without Basic auth (app_misconfigured)', async () => {
    const pctx = providerContext(h.ctx, 'x');
    const res = await pctx.http(`${pctx.hosts.api}/2/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token&refresh_token=x&client_id=sandbox-x',
    });
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { error: 'unauthorized_client', error_description: 'Missing valid authorization header' });
    assert.equal(basicAuthHeader('a b', 'c:d'), `Basic ${Buffer.from('a+b:c%3Ad').toString('base64')}`);
  });
});
