import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openConnectionHarness, type ConnectionHarness } from '../../connections/connectionTestHarness.ts';
import { loadCredential, saveRefreshedTokens } from '../../connections/credentials.ts';
import { connectionProviderContext } from '../../connections/platformApps.ts';
import { accessLog, connections } from '../../connections/schema.ts';
import { getProvider } from '../registry.ts';
import { ProviderError } from '../types.ts';

const ALICE = { did: 'did:plc:sandboxalice000000000001', handle: 'alice.sandbox.bsky.social', password: 'abcd-efgh-ijkl-mnop' };
const BOB = { handle: 'bob.sandbox.bsky.social', password: 'bbbb-cccc-dddd-eeee' };
const HOUR = 3_600_000;

describe('Bluesky app-password adapter through the emulator', () => {
  let h: ConnectionHarness;
  let connectionId: string;
  const connect = (body: Record<string, unknown>) =>
    h.app.inject({ method: 'POST', url: `/api/workspaces/${h.workspaceId}/connections/password`, headers: h.auth.headers, payload: { platform: 'bluesky', ...body } });
  before(async () => {
    h = await openConnectionHarness();
  });
  after(async () => h?.close());

  it('refuses a wrong app password with a clear error, an access-log entry and no connection', async () => {
    const res = await connect({ identifier: ALICE.handle, password: 'wrong-pass-word-xxxx' });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'bad_request');
    assert.equal(res.json().error.details.reason, 'invalid_credentials');
    assert.equal(res.body.includes('wrong-pass'), false);
    const [log] = await h.ctx.db.select().from(accessLog);
    assert.equal(log?.action, 'connect_failed');
    assert.equal((await h.ctx.db.select().from(connections)).length, 0);
  });

  it('connects with createSession (exact request); the password is not stored or logged', async () => {
    h.emulator.core.requests.clear();
    const res = await connect({ identifier: ALICE.handle, password: ALICE.password });
    assert.equal(res.statusCode, 200, res.body);
    const c = res.json().connection;
    assert.equal(c.platformAccountId, ALICE.did);
    assert.equal(c.handle, ALICE.handle);
    assert.equal(c.accessExpiresAt, new Date(h.ctx.clock.nowMs() + 2 * HOUR).toISOString());
    assert.equal(c.refreshExpiresAt, new Date(h.ctx.clock.nowMs() + 90 * 24 * HOUR).toISOString());
    connectionId = c.id;
    const [sent] = h.emulator.core.requests.list({ platform: 'bluesky' });
    assert.equal(sent?.path, '/pds/xrpc/com.atproto.server.createSession');
    assert.deepEqual(sent?.body, { identifier: ALICE.handle, password: ALICE.password });
    assert.equal(sent?.contentType, 'application/json');
    const { rows } = await h.ctx.database.query('select * from connections');
    assert.equal(JSON.stringify(rows).includes(ALICE.password), false);
    assert.equal(h.ctx.logText().includes(ALICE.password), false);
  });

  it('refreshes with rotation; the old refresh JWT works for 2 h (same successor), then is revoked', async () => {
    const provider = getProvider('bluesky');
    const [row] = await h.ctx.db.select().from(connections);
    const pctx = await connectionProviderContext(h.ctx, row!);
    const { credential, tokenVersion } = await loadCredential(h.ctx, h.ctx.db, connectionId);
    assert.deepEqual(await provider.verify(pctx, credential), { valid: true });
    h.emulator.core.requests.clear();
    h.ctx.clock.advance(HOUR);
    const next = await provider.refresh(pctx, credential);
    const [sent] = h.emulator.core.requests.list({ platform: 'bluesky' });
    assert.equal(sent?.bearer, credential.refreshToken);
    assert.equal(sent?.body, null);
    assert.notEqual(next.refreshToken, credential.refreshToken);
    assert.equal(await saveRefreshedTokens(h.ctx, h.ctx.db, connectionId, next, tokenVersion), true);
    const fresh = (await loadCredential(h.ctx, h.ctx.db, connectionId)).credential;
    assert.deepEqual(await provider.verify(pctx, fresh), { valid: true });

    h.ctx.clock.advance(HOUR);
    const again = await provider.refresh(pctx, credential);
    assert.equal(again.refreshToken, next.refreshToken, 'inside the grace: the same successor');
    h.ctx.clock.advance(HOUR + 1);
    await assert.rejects(provider.refresh(pctx, credential), (err: ProviderError) => err.errorClass === 'reconnect_needed' && err.reason === 'token_revoked');
    assert.ok(await provider.refresh(pctx, fresh), 'the current refresh JWT still works');
  });

  it('reconnects the same account (same connection) and refuses another', async () => {
    const same = await connect({ identifier: ALICE.handle, password: ALICE.password, connectionId });
    assert.equal(same.statusCode, 200, same.body);
    assert.equal(same.json().result, 'reconnected');
    assert.equal(same.json().connection.id, connectionId);
    const [before] = await h.ctx.db.select().from(connections);
    const other = await connect({ identifier: BOB.handle, password: BOB.password, connectionId });
    assert.equal(other.statusCode, 409);
    assert.equal(other.json().error.code, 'account_mismatch');
    // Nothing written: the row (tokens, version, account) is as it was; the failure is logged.
    assert.deepEqual(await h.ctx.db.select().from(connections), [before]);
    const log = await h.ctx.db.select().from(accessLog);
    assert.deepEqual([log.at(-1)?.action, log.at(-1)?.detail], ['connect_failed', { reason: 'account_mismatch' }]);
  });

  it('publishes a post and finds it again', async () => {
    const provider = getProvider('bluesky');
    const [row] = await h.ctx.db.select().from(connections);
    const pctx = await connectionProviderContext(h.ctx, row!);
    const { credential } = await loadCredential(h.ctx, h.ctx.db, connectionId);
    const post = { idempotencyKey: 'k', text: 'Hello Bluesky', media: [], options: {} };
    const since = h.ctx.clock.now();
    const published = await provider.publish(pctx, credential, post, { state: {}, save: async () => undefined });
    assert.match(published.url ?? '', /^https:\/\/bsky\.app\/profile\/alice\.sandbox\.bsky\.social\/post\//);
    assert.deepEqual(await provider.findRecentPost?.(pctx, credential, post, since), published);
  });

  it('disconnects with deleteSession', async () => {
    const { credential } = await loadCredential(h.ctx, h.ctx.db, connectionId);
    h.emulator.core.requests.clear();
    const res = await h.app.inject({ method: 'DELETE', url: `/api/workspaces/${h.workspaceId}/connections/${connectionId}`, headers: h.auth.headers });
    assert.equal(res.json().revokedAtPlatform, true);
    const [sent] = h.emulator.core.requests.list({ platform: 'bluesky' });
    assert.equal(sent?.path, '/pds/xrpc/com.atproto.server.deleteSession');
    assert.equal(sent?.bearer, credential.refreshToken);
    const [row] = await h.ctx.db.select().from(connections);
    await assert.rejects(getProvider('bluesky').refresh(await connectionProviderContext(h.ctx, row!), credential), { errorClass: 'reconnect_needed' });
  });

  it('rate-limits createSession at 30 per 5 minutes per identifier', async () => {
    h.ctx.clock.advance(5 * 60_000); // forget the earlier attempts
    for (let i = 0; i < 30; i += 1) assert.equal((await connect({ identifier: BOB.handle, password: 'nope-nope-nope-nope' })).statusCode, 400);
    const limited = await connect({ identifier: BOB.handle, password: BOB.password });
    assert.equal(limited.statusCode, 503);
    assert.equal(limited.json().error.code, 'platform_unavailable');
    assert.equal(limited.json().error.details.reason, 'rate_limited');
    h.ctx.clock.advance(5 * 60_000);
    assert.equal((await connect({ identifier: BOB.handle, password: BOB.password })).statusCode, 200);
  });
  it('reports an expired access JWT as refresh_needed and an expired refresh JWT as reconnect_needed', async () => {
    const provider = getProvider('bluesky');
    const [row] = await h.ctx.db.select().from(connections);
    const pctx = await connectionProviderContext(h.ctx, row!);
    const res = await connect({ identifier: ALICE.handle, password: ALICE.password });
    const { credential } = await loadCredential(h.ctx, h.ctx.db, res.json().connection.id);
    h.ctx.clock.advance(2 * HOUR);
    assert.deepEqual(await provider.verify(pctx, credential), { valid: false, reason: 'token_expired' });
    h.ctx.clock.advance(90 * 24 * HOUR);
    await assert.rejects(provider.refresh(pctx, credential), (err: ProviderError) => err.errorClass === 'reconnect_needed' && err.reason === 'token_expired');
  });

});
