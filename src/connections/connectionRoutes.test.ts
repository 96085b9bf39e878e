import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signUpAndSignIn, createWorkspace } from '../testing/testUsers.ts';
import { connectThroughConsent, openConnectionHarness, type ConnectionHarness } from './connectionTestHarness.ts';

const ALICE = '1500000000000000001';

describe('connection routes: visibility, states, reconnect after a lost grant', () => {
  let h: ConnectionHarness;
  let connectionId: string;
  before(async () => {
    h = await openConnectionHarness();
    const res = await connectThroughConsent(h, { platform: 'x' }, ALICE);
    connectionId = res.json().connection.id;
  });
  after(async () => h?.close());

  it('plans the new connection for the refresh engine', async () => {
    const { rows } = await h.ctx.database.query<{ connection_id: string }>('select connection_id from connection_refreshes');
    assert.deepEqual(rows.map((r) => r.connection_id), [connectionId]);
  });

  it('another workspace\'s connection answers 404, as does a malformed id', async () => {
    const other = await signUpAndSignIn(h.app);
    const theirs = await createWorkspace(h.app, other, 'Other client');
    const cross = await h.app.inject({ method: 'GET', url: `/api/workspaces/${theirs}/connections/${connectionId}`, headers: other.headers });
    assert.equal(cross.statusCode, 404);
    const outsider = await h.app.inject({ method: 'GET', url: `/api/workspaces/${h.workspaceId}/connections/${connectionId}`, headers: other.headers });
    assert.equal(outsider.statusCode, 404);
    const malformed = await h.app.inject({ method: 'GET', url: `/api/workspaces/${h.workspaceId}/connections/not-a-uuid`, headers: h.auth.headers });
    assert.equal(malformed.statusCode, 404);
    const reconnectOther = await h.app.inject({ method: 'POST', url: `/api/workspaces/${theirs}/connections/${connectionId}/reconnect`, headers: other.headers });
    assert.equal(reconnectOther.statusCode, 404);
  });

  it('reconnecting a needs_reconnect connection makes it active again', async () => {
    await h.ctx.database.query("update connections set state = 'needs_reconnect', state_reason = 'invalid_grant' where id = $1", [connectionId]);
    const res = await connectThroughConsent(h, {}, ALICE, { reconnect: connectionId });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().connection.id, connectionId);
    assert.equal(res.json().connection.state, 'active');
  });

  it('lists live connections; disconnected ones only on request', async () => {
    const del = await h.app.inject({ method: 'DELETE', url: `/api/workspaces/${h.workspaceId}/connections/${connectionId}`, headers: h.auth.headers });
    assert.equal(del.statusCode, 200);
    const live = await h.app.inject({ method: 'GET', url: `/api/workspaces/${h.workspaceId}/connections`, headers: h.auth.headers });
    assert.deepEqual(live.json().connections, []);
    const all = await h.app.inject({ method: 'GET', url: `/api/workspaces/${h.workspaceId}/connections?includeDisconnected=true`, headers: h.auth.headers });
    assert.equal(all.json().connections[0].state, 'disconnected');
    assert.equal(all.json().connections[0].hasRefreshToken, false);
    const reconnect = await h.app.inject({ method: 'POST', url: `/api/workspaces/${h.workspaceId}/connections/${connectionId}/reconnect`, headers: h.auth.headers });
    assert.equal(reconnect.statusCode, 409);
    // Connecting the same account again creates a new connection (the old one keeps its history).
    const again = await connectThroughConsent(h, { platform: 'x' }, ALICE);
    assert.equal(again.json().result, 'connected');
    assert.notEqual(again.json().connection.id, connectionId);
  });
});
