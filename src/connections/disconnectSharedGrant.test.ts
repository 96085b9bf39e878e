import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { eq } from 'drizzle-orm';
import { answerConsent } from '../emulator/core/consentPages.ts';
import { getProvider, providerContext } from '../providers/registry.ts';
import type { PlatformId } from '../providers/types.ts';
import { createWorkspace } from '../testing/testUsers.ts';
import { callback, openConnectionHarness, type ConnectionHarness } from './connectionTestHarness.ts';
import { loadCredential } from './credentials.ts';
import { accessLog, connections } from './schema.ts';

/**
 * One platform authorization behind several connections: Facebook's DELETE /{user}/permissions
 * ends every Page token the user gave the app, so disconnecting one Page must not revoke while
 * another connection (of any workspace) still uses that authorization; the last one revokes.
 */
let h: ConnectionHarness;
let otherWorkspace: string;
before(async () => {
  h = await openConnectionHarness();
  otherWorkspace = await createWorkspace(h.app, h.auth, 'Client B');
});
after(async () => h?.close());
beforeEach(() => h.emulator.core.reset());

async function connect(workspaceId: string, platform: PlatformId, accountId: string, pick?: string, extra: Record<string, string> = {}): Promise<string> {
  const started = await h.app.inject({ method: 'POST', url: `/api/workspaces/${workspaceId}/connections/authorize`, headers: h.auth.headers, payload: { platform, ...extra } });
  assert.equal(started.statusCode, 200, started.body);
  const res = await callback(h, await answerConsent(started.json().authorizationUrl, { accountId }));
  assert.equal(res.statusCode, 200, res.body);
  if (res.json().result !== 'select_account') return res.json().connection.id;
  const picked = await h.app.inject({
    method: 'POST',
    url: `/api/workspaces/${workspaceId}/connections/select`,
    headers: h.auth.headers,
    payload: { selectionId: res.json().selectionId, platformAccountId: pick },
  });
  assert.equal(picked.statusCode, 200, picked.body);
  return picked.json().connection.id;
}

async function disconnect(workspaceId: string, connectionId: string) {
  const res = await h.app.inject({ method: 'DELETE', url: `/api/workspaces/${workspaceId}/connections/${connectionId}`, headers: h.auth.headers });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as { revokedAtPlatform: boolean; revocation: string; connection: { state: string } };
}

/** The connection's token, asked at the platform. */
async function stillValid(platform: PlatformId, connectionId: string): Promise<boolean> {
  const { credential } = await loadCredential(h.ctx, h.ctx.db, connectionId);
  return (await getProvider(platform).verify(providerContext(h.ctx, platform), credential)).valid;
}

const disconnectLog = async (connectionId: string) =>
  (await h.ctx.db.select().from(accessLog).where(eq(accessLog.connectionId, connectionId))).filter((e) => e.action === 'disconnected' || e.action === 'revoked');

for (const c of [
  // Alice's two Pages in one workspace, and one of them in another workspace too.
  { platform: 'facebook' as const, user: '10001', connections: [['A', '20001'], ['A', '20002'], ['B', '20002']], revokePath: '/graph/v22.0/10001/permissions' },
  { platform: 'instagram_fb' as const, user: '11001', connections: [['A', '17841400000011001'], ['B', '17841400000011001']], revokePath: '/graph/v22.0/11001/permissions' },
]) {
  describe(`${c.platform}: disconnecting one connection of a shared user grant`, () => {
    it('only erases our tokens while another connection (of any workspace) uses the grant; the last one revokes', async () => {
      const ws = (name: string) => (name === 'A' ? h.workspaceId : otherWorkspace);
      const ids: [string, string][] = [];
      for (const [name, page] of c.connections) ids.push([ws(name!), await connect(ws(name!), c.platform, c.user, page)]);
      const [row] = await h.ctx.db.select().from(connections).where(eq(connections.id, ids[0]![1]));
      assert.equal(row?.grantKey, `facebook-login:sandbox-${c.platform}:${c.user}`);

      h.emulator.core.requests.clear();
      for (const [i, [workspaceId, id]] of ids.slice(0, -1).entries()) {
        const res = await disconnect(workspaceId, id);
        assert.equal(res.connection.state, 'disconnected');
        assert.equal(res.revocation, 'shared_grant');
        assert.equal(res.revokedAtPlatform, false);
        const sharedWith = ids.length - 1 - i;
        assert.deepEqual((await disconnectLog(id)).map((e) => [e.action, e.detail]), [['disconnected', { revocation: 'shared_grant', sharedWith, revokedAtPlatform: false }]]);
        assert.deepEqual(h.emulator.core.requests.list({ platform: c.platform, path: '/permissions' }), [], 'nothing revoked at Meta');
        for (const [, live] of ids.slice(i + 1)) assert.equal(await stillValid(c.platform, live), true, 'the other connections keep working');
      }

      const [lastWorkspace, lastId] = ids.at(-1)!;
      const last = await disconnect(lastWorkspace, lastId);
      assert.equal(last.revocation, 'revoked');
      assert.equal(last.revokedAtPlatform, true);
      const revokes = h.emulator.core.requests.list({ platform: c.platform, path: '/permissions' });
      assert.deepEqual(revokes.map((r) => [r.method, r.path, r.query.access_token]), [['DELETE', c.revokePath, `sandbox-${c.platform}|sandbox-secret-${c.platform}`]]);
      assert.ok(h.emulator.core.grants.listGrants(c.platform).every((g) => g.revoked), 'the whole grant is gone at Meta');
      assert.deepEqual((await disconnectLog(lastId)).map((e) => e.action).sort(), ['disconnected', 'revoked']);
    });
  });
}

describe('two connections of one grant disconnected at the same moment', () => {
  it('the grant is still revoked at the platform (the later one finds it was the last)', async () => {
    const a = await connect(h.workspaceId, 'facebook', '10001', '20001');
    const b = await connect(otherWorkspace, 'facebook', '10001', '20001');
    const results = await Promise.all([disconnect(h.workspaceId, a), disconnect(otherWorkspace, b)]);
    assert.ok(results.some((r) => r.revocation === 'revoked'), JSON.stringify(results.map((r) => r.revocation)));
    assert.ok(h.emulator.core.grants.listGrants('facebook').every((g) => g.revoked));
  });
});

describe('grants that are not shared', () => {
  it('another person\'s Page is not in the way: disconnecting revokes', async () => {
    await connect(h.workspaceId, 'facebook', '10002', '20003');
    const alice = await connect(h.workspaceId, 'facebook', '10001', '20001');
    const res = await disconnect(h.workspaceId, alice);
    assert.equal(res.revocation, 'revoked');
  });

  it('a disconnected or token-less sibling does not hold the grant', async () => {
    const a = await connect(h.workspaceId, 'facebook', '10001', '20002');
    const b = await connect(otherWorkspace, 'facebook', '10001', '20002');
    await h.ctx.db.update(connections).set({ accessTokenEnc: null }).where(eq(connections.id, b));
    assert.equal((await disconnect(h.workspaceId, a)).revocation, 'revoked');
  });

  it('YouTube: the same Google account in two workspaces shares one authorization; X grants are per connection', async () => {
    const yt1 = await connect(h.workspaceId, 'youtube', '109876543210000000001');
    const yt2 = await connect(otherWorkspace, 'youtube', '109876543210000000001');
    const [row] = await h.ctx.db.select().from(connections).where(eq(connections.id, yt1));
    assert.equal(row?.grantKey, 'google:sandbox-youtube:109876543210000000001');
    assert.equal((await disconnect(h.workspaceId, yt1)).revocation, 'shared_grant');
    assert.equal(await stillValid('youtube', yt2), true);
    assert.equal((await disconnect(otherWorkspace, yt2)).revocation, 'revoked');

    const x1 = await connect(h.workspaceId, 'x', '1500000000000000001');
    const x2 = await connect(otherWorkspace, 'x', '1500000000000000001');
    assert.equal((await disconnect(h.workspaceId, x1)).revocation, 'revoked');
    assert.equal(await stillValid('x', x2), true, 'X revokes only that connection\'s token family');
  });
});

describe('TikTok and Mastodon: one account authorizing our app', () => {
  it('TikTok: revoking removes the app from the user, so it waits for the last connection', async () => {
    const t1 = await connect(h.workspaceId, 'tiktok', '-000AbCdEfGhAlice');
    const t2 = await connect(otherWorkspace, 'tiktok', '-000AbCdEfGhAlice');
    assert.equal((await disconnect(h.workspaceId, t1)).revocation, 'shared_grant');
    assert.equal(await stillValid('tiktok', t2), true);
    assert.equal((await disconnect(otherWorkspace, t2)).revocation, 'revoked');
    assert.equal(h.emulator.core.requests.list({ platform: 'tiktok', path: '/v2/oauth/revoke/' }).length, 1);
  });

  it('Mastodon: the server answers the same token to both authorizations (reuse_access_token)', async () => {
    const server = { instanceUrl: 'mastodon.example' };
    const m1 = await connect(h.workspaceId, 'mastodon', '109000000000000001', undefined, server);
    const m2 = await connect(otherWorkspace, 'mastodon', '109000000000000001', undefined, server);
    const [one, two] = [await loadCredential(h.ctx, h.ctx.db, m1), await loadCredential(h.ctx, h.ctx.db, m2)];
    assert.equal(one.credential.accessToken, two.credential.accessToken, 'one token behind both connections');
    assert.equal((await disconnect(h.workspaceId, m1)).revocation, 'shared_grant');
    assert.equal(await stillValid('mastodon', m2), true);
    assert.equal((await disconnect(otherWorkspace, m2)).revocation, 'revoked');
    assert.equal(h.emulator.core.requests.list({ platform: 'mastodon', path: '/oauth/revoke' }).length, 1);
  });
});
