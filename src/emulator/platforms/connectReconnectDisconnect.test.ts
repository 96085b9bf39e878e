import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { connectThroughConsent, dumpAllTables, openConnectionHarness, type ConnectionHarness } from '../../connections/connectionTestHarness.ts';
import { accessLog } from '../../connections/schema.ts';

/**
 * LinkedIn, TikTok, YouTube and Pinterest through Perennial's own connect / reconnect /
 * disconnect flows (HTTP routes, vault, access log) against the emulator.
 */
type Case = {
  platform: 'linkedin' | 'tiktok' | 'youtube' | 'pinterest';
  alice: string;
  bob: string;
  /** The account id the connection gets (LinkedIn: the member URN, YouTube: the channel). */
  aliceAccount: string;
  tokenPath: string;
  clientAuth: 'body' | 'basic';
  accessTtlMs: number;
  revokePath: string | null;
};

const DAY = 86_400_000;
const cases: Case[] = [
  { platform: 'linkedin', alice: 'li-alice', bob: 'li-bob', aliceAccount: 'urn:li:person:li-alice', tokenPath: '/oauth/v2/accessToken', clientAuth: 'body', accessTtlMs: 60 * DAY, revokePath: null },
  { platform: 'tiktok', alice: '-000AbCdEfGhAlice', bob: '-000AbCdEfGhBobby', aliceAccount: '-000AbCdEfGhAlice', tokenPath: '/v2/oauth/token/', clientAuth: 'body', accessTtlMs: 2 * 3_600_000, revokePath: '/v2/oauth/revoke/' },
  { platform: 'youtube', alice: '109876543210000000001', bob: '109876543210000000002', aliceAccount: 'UCsandboxAlice000000000a', tokenPath: '/oauth2/token', clientAuth: 'body', accessTtlMs: 3_599_000, revokePath: '/oauth2/revoke' },
  { platform: 'pinterest', alice: '1150000000000000001', bob: '1150000000000000002', aliceAccount: '1150000000000000001', tokenPath: '/v5/oauth/token', clientAuth: 'basic', accessTtlMs: 30 * DAY, revokePath: null },
];

let h: ConnectionHarness;
before(async () => {
  h = await openConnectionHarness();
});
after(async () => h?.close());
beforeEach(() => h.emulator.core.reset());

type Connection = { id: string; platformAccountId: string; state: string; accessExpiresAt: string | null; hasRefreshToken: boolean; scopes: string[]; kind: string };

/** Connects (or reconnects) as `accountId`; LinkedIn's member-or-organization choice picks `pick`. */
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

for (const c of cases) {
  describe(`${c.platform}: connect, reconnect, disconnect through Perennial`, () => {
    it('connects with the platform client authentication and stores lifetimes, scopes and the account', async () => {
      const { status, body } = await connectAs(c, c.alice);
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.result, 'connected');
      const connection = body.connection!;
      assert.equal(connection.platformAccountId, c.aliceAccount);
      assert.equal(connection.state, 'active');
      assert.equal(Date.parse(connection.accessExpiresAt!), h.ctx.clock.nowMs() + c.accessTtlMs);
      assert.equal(connection.hasRefreshToken, true);
      assert.ok(connection.scopes.length > 0);
      const [exchange] = h.emulator.core.requests.list({ platform: c.platform, path: c.tokenPath });
      assert.equal(exchange?.clientAuth, c.clientAuth);
      assert.equal(exchange?.body?.grant_type, 'authorization_code');
      // The access token the adapter used (seen by the emulator) is nowhere in the database in clear.
      const dump = await dumpAllTables(h.ctx);
      const used = h.emulator.core.requests.list({ platform: c.platform }).flatMap((r) => (r.bearer ? [r.bearer] : []));
      assert.ok(used.length > 0);
      for (const token of used) assert.ok(!dump.includes(token), 'a token is stored in clear');
    });

    it('reconnects the same account into the same connection and refuses another account', async () => {
      const first = await connectAs(c, c.alice);
      const id = first.body.connection!.id;
      const again = await connectAs(c, c.alice, { reconnect: id });
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.body.result, 'reconnected');
      assert.equal(again.body.connection?.id, id);

      const other = await connectAs(c, c.bob, { reconnect: id });
      assert.equal(other.status, 409);
      assert.equal(other.body.error?.code, 'account_mismatch');
      const log = await h.ctx.db.select().from(accessLog);
      assert.ok(log.some((e) => e.connectionId === id && e.action === 'reconnected'));
    });

    it(`disconnects: ${c.revokePath ? 'revokes at the platform, then' : 'no revocation endpoint, so it only'} erases the tokens`, async () => {
      const { body } = await connectAs(c, c.alice);
      const id = body.connection!.id;
      h.emulator.core.requests.clear();
      const res = await h.app.inject({ method: 'DELETE', url: `/api/workspaces/${h.workspaceId}/connections/${id}`, headers: h.auth.headers });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().connection.state, 'disconnected');
      assert.equal(res.json().revokedAtPlatform, c.revokePath !== null);
      const revokes = c.revokePath ? h.emulator.core.requests.list({ platform: c.platform, path: c.revokePath }) : [];
      assert.equal(revokes.length, c.revokePath ? 1 : 0);
      if (c.revokePath) assert.ok(h.emulator.core.grants.listGrants(c.platform).every((g) => g.revoked !== null));
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
