import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { authorize, connectThroughConsent, openConnectionHarness, type ConnectionHarness } from '../../connections/connectionTestHarness.ts';
import { loadCredential } from '../../connections/credentials.ts';
import { connectionProviderContext } from '../../connections/platformApps.ts';
import { accessLog, connections, platformApps } from '../../connections/schema.ts';
import { getProvider, providerContext } from '../registry.ts';

const ALICE = '109000000000000001';
const BOB = '109000000000000002';
const SERVER = 'https://mastodon.example';

describe('Mastodon adapter through the emulator', () => {
  let h: ConnectionHarness;
  let connectionId: string;
  before(async () => {
    h = await openConnectionHarness();
  });
  after(async () => h?.close());

  it('registers an app on the server once, then connects with a non-expiring token', async () => {
    h.emulator.core.requests.clear();
    const res = await connectThroughConsent(h, { platform: 'mastodon', instanceUrl: 'mastodon.example' }, ALICE);
    assert.equal(res.statusCode, 200, res.body);
    const c = res.json().connection;
    assert.equal(c.platformAccountId, `${ALICE}@mastodon.example`);
    assert.equal(c.handle, 'alice@mastodon.example');
    assert.equal(c.accessExpiresAt, null);
    assert.equal(c.hasRefreshToken, false);
    assert.equal(c.meta.instanceUrl, SERVER);
    connectionId = c.id;

    const sent = h.emulator.core.requests.list({ platform: 'mastodon' });
    assert.deepEqual(sent.map((r) => `${r.method} ${r.path}`), [
      'POST /mastodon.example/api/v1/apps',
      'GET /mastodon.example/oauth/authorize',
      'POST /mastodon.example/oauth/token',
      'GET /mastodon.example/api/v1/accounts/verify_credentials',
    ]);
    assert.deepEqual(sent[0]?.body, {
      client_name: 'Perennial',
      redirect_uris: 'http://localhost:3000/api/oauth/callback/mastodon',
      scopes: 'read write',
      website: 'http://localhost:3000',
    });
    const [app] = await h.ctx.db.select().from(platformApps);
    assert.equal(app?.instanceHost, 'mastodon.example');
    assert.equal(sent[1]?.query.client_id, app?.clientId);
    assert.equal(sent[2]?.clientAuth, 'body');
    assert.deepEqual(Object.keys(sent[2]?.body ?? {}).sort(), ['client_id', 'client_secret', 'code', 'code_verifier', 'grant_type', 'redirect_uri']);
    assert.equal(app?.clientSecretEnc.includes(String(sent[2]?.body?.client_secret)), false, 'app secret stored encrypted');

    h.emulator.core.requests.clear();
    await authorize(h, { platform: 'mastodon', instanceUrl: SERVER });
    assert.equal(h.emulator.core.requests.list({ platform: 'mastodon', path: '/api/v1/apps' }).length, 0, 'the app is reused');
    assert.equal((await h.ctx.db.select().from(platformApps)).length, 1);
  });

  it('verifies with verify_credentials; a token revoked by the user is reported', async () => {
    const [row] = await h.ctx.db.select().from(connections);
    const pctx = await connectionProviderContext(h.ctx, row!);
    const { credential } = await loadCredential(h.ctx, h.ctx.db, connectionId);
    const provider = getProvider('mastodon');
    assert.deepEqual(await provider.verify(pctx, credential), { valid: true, accessExpiresAt: null });
    // A context built without the server (the refresh engine's) reaches it through the credential.
    assert.deepEqual(await provider.verify(providerContext(h.ctx, 'mastodon'), credential), { valid: true, accessExpiresAt: null });
    await assert.rejects(provider.refresh(pctx, credential), { reason: 'not_refreshable' });
    h.emulator.core.grants.revokeAccount('mastodon', ALICE, 'user_revoked');
    assert.deepEqual(await provider.verify(pctx, credential), { valid: false, reason: 'token_revoked' });
  });

  it('reconnects the same account onto the same connection, refuses another account', async () => {
    const same = await connectThroughConsent(h, {}, ALICE, { reconnect: connectionId });
    assert.equal(same.statusCode, 200, same.body);
    assert.equal(same.json().connection.id, connectionId);
    const [before] = await h.ctx.db.select().from(connections);
    const other = await connectThroughConsent(h, {}, BOB, { reconnect: connectionId });
    assert.equal(other.statusCode, 409);
    assert.equal(other.json().error.code, 'account_mismatch');
    // Nothing written: the row (tokens, version, account) is as it was; the failure is logged.
    assert.deepEqual(await h.ctx.db.select().from(connections), [before]);
    const log = await h.ctx.db.select().from(accessLog);
    assert.deepEqual([log.at(-1)?.action, log.at(-1)?.detail], ['connect_failed', { reason: 'account_mismatch' }]);
  });

  it('publishes with an Idempotency-Key, so a retry does not post twice', async () => {
    const [row] = await h.ctx.db.select().from(connections);
    const pctx = await connectionProviderContext(h.ctx, row!);
    const { credential } = await loadCredential(h.ctx, h.ctx.db, connectionId);
    const provider = getProvider('mastodon');
    const post = { idempotencyKey: 'target-1', text: 'Toot <3', media: [], options: {} };
    const progress = { state: {}, save: async () => undefined };
    const first = await provider.publish(pctx, credential, post, progress);
    const again = await provider.publish(pctx, credential, post, progress);
    assert.deepEqual(again, first);
    assert.equal(h.emulator.core.posts.list({ platform: 'mastodon' }).length, 1);
    const sent = h.emulator.core.requests.list({ platform: 'mastodon', path: '/api/v1/statuses' });
    assert.deepEqual(sent[0]?.body, { status: 'Toot <3', visibility: 'public' });
    assert.deepEqual(await provider.findRecentPost?.(pctx, credential, post, new Date(0)), first);
  });

  it('refuses server addresses that are not URLs, with no state or app written', async () => {
    for (const instanceUrl of ['not a url', 'ftp://mastodon.example', 'https://mastodon.example/path', 'localhost']) {
      const res = await h.app.inject({
        method: 'POST',
        url: `/api/workspaces/${h.workspaceId}/connections/authorize`,
        headers: h.auth.headers,
        payload: { platform: 'mastodon', instanceUrl },
      });
      assert.equal(res.statusCode, 400, instanceUrl);
      assert.equal(res.json().error.code, 'invalid_url');
    }
    const missing = await h.app.inject({ method: 'POST', url: `/api/workspaces/${h.workspaceId}/connections/authorize`, headers: h.auth.headers, payload: { platform: 'mastodon' } });
    assert.equal(missing.json().error.code, 'invalid_url');
    assert.equal((await h.ctx.db.select().from(platformApps)).length, 1);
  });

  it('disconnects: revokes with the app credentials in the body and erases the token', async () => {
    h.emulator.core.requests.clear();
    const { credential } = await loadCredential(h.ctx, h.ctx.db, connectionId);
    const res = await h.app.inject({ method: 'DELETE', url: `/api/workspaces/${h.workspaceId}/connections/${connectionId}`, headers: h.auth.headers });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().revokedAtPlatform, true);
    const [revoke] = h.emulator.core.requests.list({ platform: 'mastodon', path: '/oauth/revoke' });
    assert.equal(revoke?.clientAuth, 'body');
    assert.equal(revoke?.body?.token, credential.accessToken);
    assert.equal(h.emulator.core.grants.authenticate('mastodon', credential.accessToken).ok, false);
    const actions = (await h.ctx.db.select().from(accessLog)).map((l) => l.action);
    assert.deepEqual(actions.slice(-2), ['revoked', 'disconnected']);
    const again = await h.app.inject({ method: 'DELETE', url: `/api/workspaces/${h.workspaceId}/connections/${connectionId}`, headers: h.auth.headers });
    assert.equal(again.statusCode, 409);
  });
});
