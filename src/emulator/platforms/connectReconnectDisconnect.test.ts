import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { eq, isNull } from 'drizzle-orm';
import { connectThroughConsent, dumpAllTables, openConnectionHarness, type ConnectionHarness } from '../../connections/connectionTestHarness.ts';
import { loadCredential } from '../../connections/credentials.ts';
import { accessLog, connections } from '../../connections/schema.ts';
import type { PlatformId } from '../../providers/types.ts';

/**
 * Platforms through Perennial's own connect / reconnect / disconnect flows (HTTP routes, vault,
 * access log) against the emulator: LinkedIn, TikTok, YouTube, Pinterest, Instagram (Instagram
 * Login), Instagram through Facebook Login and Threads. (Facebook Pages, X, Bluesky and Mastodon
 * have the same in their own files.)
 */
type Case = {
  platform: PlatformId;
  alice: string;
  bob: string;
  /** The account id the connection gets (LinkedIn: the member URN, YouTube: the channel, IG via Facebook: the IG account). */
  aliceAccount: string;
  /** The code exchange: where it goes and where the client secret travels. */
  token: { method: 'GET' | 'POST'; path: string; secretIn: 'body' | 'basic' | 'query' };
  /** null: the token never expires (a Page token). */
  accessTtlMs: number | null;
  refreshToken: boolean;
  /** The revocation request a disconnect sends, or null (no revocation endpoint). */
  revoke: { method: 'POST' | 'DELETE'; path: string } | null;
};

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const cases: Case[] = [
  { platform: 'linkedin', alice: 'li-alice', bob: 'li-bob', aliceAccount: 'urn:li:person:li-alice', token: { method: 'POST', path: '/oauth/v2/accessToken', secretIn: 'body' }, accessTtlMs: 60 * DAY, refreshToken: true, revoke: null },
  { platform: 'tiktok', alice: '-000AbCdEfGhAlice', bob: '-000AbCdEfGhBobby', aliceAccount: '-000AbCdEfGhAlice', token: { method: 'POST', path: '/v2/oauth/token/', secretIn: 'body' }, accessTtlMs: 2 * HOUR, refreshToken: true, revoke: { method: 'POST', path: '/api/v2/oauth/revoke/' } },
  { platform: 'youtube', alice: '109876543210000000001', bob: '109876543210000000002', aliceAccount: 'UCsandboxAlice000000000a', token: { method: 'POST', path: '/oauth2/token', secretIn: 'body' }, accessTtlMs: 3_599_000, refreshToken: true, revoke: { method: 'POST', path: '/oauth2/revoke' } },
  { platform: 'pinterest', alice: '1150000000000000001', bob: '1150000000000000002', aliceAccount: '1150000000000000001', token: { method: 'POST', path: '/v5/oauth/token', secretIn: 'basic' }, accessTtlMs: 30 * DAY, refreshToken: true, revoke: null },
  { platform: 'instagram', alice: '17841400000021001', bob: '17841400000021002', aliceAccount: '17841400000021001', token: { method: 'POST', path: '/api/oauth/access_token', secretIn: 'body' }, accessTtlMs: 60 * DAY, refreshToken: false, revoke: null },
  { platform: 'instagram_fb', alice: '11001', bob: '11002', aliceAccount: '17841400000011001', token: { method: 'GET', path: '/graph/v22.0/oauth/access_token', secretIn: 'query' }, accessTtlMs: null, refreshToken: false, revoke: { method: 'DELETE', path: '/graph/v22.0/11001/permissions' } },
  { platform: 'threads', alice: '25000000000000001', bob: '25000000000000002', aliceAccount: '25000000000000001', token: { method: 'POST', path: '/graph/oauth/access_token', secretIn: 'body' }, accessTtlMs: 60 * DAY, refreshToken: false, revoke: null },
];

let h: ConnectionHarness;
before(async () => {
  h = await openConnectionHarness();
});
after(async () => h?.close());
beforeEach(async () => {
  h.emulator.core.reset();
  // Each test starts without live connections (rows and the access log stay, as they do).
  await h.ctx.db.update(connections).set({ state: 'disconnected', disconnectedAt: h.ctx.clock.now(), accessTokenEnc: null, refreshTokenEnc: null }).where(isNull(connections.disconnectedAt));
});

type Connection = { id: string; platformAccountId: string; state: string; accessExpiresAt: string | null; hasRefreshToken: boolean; scopes: string[]; kind: string };

/** Connects (or reconnects) as `accountId`; a member-or-organization choice (LinkedIn) picks `pick`. */
async function connectAs(c: Case, accountId: string, options: { reconnect?: string; pick?: string } = {}) {
  const res = await connectThroughConsent(h, { platform: c.platform }, accountId, options);
  const body = res.json() as { result: string; selectionId?: string; connection?: Connection; error?: { code: string } };
  if (res.statusCode !== 200 || body.result !== 'select_account') return { status: res.statusCode, body };
  const pick = await h.app.inject({
    method: 'POST',
    url: `/api/workspaces/${h.workspaceId}/connections/select`,
    headers: h.auth.headers,
    payload: { selectionId: body.selectionId, platformAccountId: options.pick ?? c.aliceAccount },
  });
  return { status: pick.statusCode, body: pick.json() as typeof body };
}

const logOf = async (connectionId: string) => (await h.ctx.db.select().from(accessLog).where(eq(accessLog.connectionId, connectionId))).map((e) => e.action);

for (const c of cases) {
  describe(`${c.platform}: connect, reconnect, disconnect through Perennial`, () => {
    it('connects with the platform client authentication and stores lifetimes, scopes and the account', async () => {
      const { status, body } = await connectAs(c, c.alice);
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.result, 'connected');
      const connection = body.connection!;
      assert.equal(connection.platformAccountId, c.aliceAccount);
      assert.equal(connection.state, 'active');
      assert.equal(connection.accessExpiresAt === null ? null : Date.parse(connection.accessExpiresAt), c.accessTtlMs === null ? null : h.ctx.clock.nowMs() + c.accessTtlMs);
      assert.equal(connection.hasRefreshToken, c.refreshToken);
      assert.ok(connection.scopes.length > 0);
      const [exchange] = h.emulator.core.requests.list({ platform: c.platform, path: c.token.path }).filter((r) => r.method === c.token.method);
      assert.ok(exchange, 'the code exchange was sent');
      const secret = `sandbox-secret-${c.platform}`;
      if (c.token.secretIn === 'basic') assert.equal(exchange.clientAuth, 'basic');
      if (c.token.secretIn === 'body') assert.equal(exchange.body?.client_secret, secret);
      if (c.token.secretIn === 'query') assert.deepEqual([exchange.query.client_secret, exchange.body], [secret, null]);
      assert.ok((exchange.body?.code ?? exchange.query.code) !== undefined, 'the code was exchanged');
      assert.deepEqual(await logOf(connection.id), ['granted']);
      // Every token the adapter sent (bearer or access_token parameter) is nowhere in the database in clear.
      const dump = await dumpAllTables(h.ctx);
      const used = h.emulator.core.requests.list({ platform: c.platform }).flatMap((r) => [r.bearer, r.query.access_token].filter((t): t is string => typeof t === 'string' && !t.includes('|')));
      assert.ok(used.length > 0);
      for (const token of used) assert.ok(!dump.includes(token), 'a token is stored in clear');
    });

    it('reconnects the same account into the same connection with new tokens', async () => {
      const first = await connectAs(c, c.alice);
      const id = first.body.connection!.id;
      const before = await loadCredential(h.ctx, h.ctx.db, id);
      h.ctx.clock.advance(HOUR);
      const again = await connectAs(c, c.alice, { reconnect: id });
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.body.result, 'reconnected');
      assert.equal(again.body.connection?.id, id);
      assert.equal(again.body.connection?.state, 'active');
      const after = await loadCredential(h.ctx, h.ctx.db, id);
      assert.notEqual(after.credential.accessToken, before.credential.accessToken);
      assert.equal(after.tokenVersion, before.tokenVersion + 1);
      assert.deepEqual(await logOf(id), ['granted', 'reconnected']);
    });

    it('refuses a reconnect that authorised another account (account_mismatch), writing nothing', async () => {
      const first = await connectAs(c, c.alice);
      const id = first.body.connection!.id;
      const [before] = await h.ctx.db.select().from(connections).where(eq(connections.id, id));
      const other = await connectAs(c, c.bob, { reconnect: id });
      assert.equal(other.status, 409, JSON.stringify(other.body));
      assert.equal(other.body.error?.code, 'account_mismatch');
      const [after] = await h.ctx.db.select().from(connections).where(eq(connections.id, id));
      assert.deepEqual(after, before, 'the connection row is untouched (tokens, version, account, meta)');
      const live = await h.ctx.db.select().from(connections);
      assert.equal(live.filter((r) => r.disconnectedAt === null && r.workspaceId === h.workspaceId && r.platform === c.platform && r.platformAccountId !== c.aliceAccount).length, 0, 'no connection for the other account');
      const entries = await h.ctx.db.select().from(accessLog).where(eq(accessLog.connectionId, id));
      assert.deepEqual(entries.map((e) => [e.action, e.detail]), [['granted', { account: before!.platformAccountId }], ['connect_failed', { reason: 'account_mismatch' }]]);
    });

    it(`disconnects: ${c.revoke ? 'revokes at the platform, then' : 'no revocation endpoint, so it only'} erases the tokens`, async () => {
      const { body } = await connectAs(c, c.alice);
      const id = body.connection!.id;
      const { credential } = await loadCredential(h.ctx, h.ctx.db, id);
      h.emulator.core.requests.clear();
      const res = await h.app.inject({ method: 'DELETE', url: `/api/workspaces/${h.workspaceId}/connections/${id}`, headers: h.auth.headers });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().connection.state, 'disconnected');
      assert.equal(res.json().revocation, c.revoke ? 'revoked' : 'not_supported');
      const sent = h.emulator.core.requests.list({ platform: c.platform });
      assert.deepEqual(sent.map((r) => `${r.method} ${r.path}`), c.revoke ? [`${c.revoke.method} ${c.revoke.path}`] : []);
      if (c.revoke) assert.ok(h.emulator.core.grants.listGrants(c.platform).every((g) => g.revoked !== null), 'the grant is dead at the platform');
      const [row] = await h.ctx.db.select().from(connections).where(eq(connections.id, id));
      assert.deepEqual([row?.accessTokenEnc, row?.refreshTokenEnc, row?.state], [null, null, 'disconnected']);
      assert.deepEqual(await logOf(id), c.revoke ? ['granted', 'revoked', 'disconnected'] : ['granted', 'disconnected']);
      assert.ok(credential.accessToken, 'the credential was readable before');
    });
  });
}

describe('linkedin: organizations', () => {
  it('lets the member connect an organization they administer', async () => {
    const { status, body } = await connectAs(cases[0]!, 'li-alice', { pick: 'urn:li:organization:2414183' });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.connection?.kind, 'organization');
    assert.equal(body.connection?.platformAccountId, 'urn:li:organization:2414183');
  });
});
