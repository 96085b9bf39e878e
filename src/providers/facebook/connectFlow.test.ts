import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { callback, connectThroughConsent, dumpAllTables, openConnectionHarness, type ConnectionHarness } from '../../connections/connectionTestHarness.ts';
import { accessLog, connections } from '../../connections/schema.ts';
import { answerConsent } from '../../emulator/core/consentPages.ts';

/**
 * Facebook Pages through the whole app: Page selection, reconnect (same person, another
 * person), disconnect with revocation at Meta, and no token in clear anywhere.
 */
const DAY = 86_400_000;
let h: ConnectionHarness;

before(async () => {
  h = await openConnectionHarness();
});
after(() => h.close());

type Connection = { id: string; platformAccountId: string; kind: string; accessExpiresAt: string | null; dataAccessExpiresAt: string | null; meta: Record<string, unknown>; state: string };

async function select(selectionId: string, platformAccountId: string): Promise<{ result: string; connection: Connection }> {
  const res = await h.app.inject({
    method: 'POST',
    url: `/api/workspaces/${h.workspaceId}/connections/select`,
    headers: h.auth.headers,
    payload: { selectionId, platformAccountId },
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

describe('Facebook Pages: connect, reconnect and disconnect through the app', () => {
  let connection: Connection;

  it('connects: the user picks one of their Pages; the Page token never expires', async () => {
    const res = await connectThroughConsent(h, { platform: 'facebook' }, '10001');
    assert.equal(res.statusCode, 200, res.body);
    const answer = res.json() as { result: string; selectionId: string; accounts: { platformAccountId: string }[] };
    assert.equal(answer.result, 'select_account');
    assert.deepEqual(answer.accounts.map((a) => a.platformAccountId), ['20001', '20002']);
    const picked = await select(answer.selectionId, '20002');
    assert.equal(picked.result, 'connected');
    connection = picked.connection;
    assert.equal(connection.platformAccountId, '20002');
    assert.equal(connection.accessExpiresAt, null);
    assert.equal(connection.dataAccessExpiresAt, new Date(h.ctx.clock.nowMs() + 90 * DAY).toISOString());
    assert.equal(connection.meta.userId, '10001');
  });

  it('reconnects the same person to the same connection, without asking for the Page again', async () => {
    h.ctx.clock.advance(DAY);
    const res = await connectThroughConsent(h, {}, '10001', { reconnect: connection.id });
    assert.equal(res.statusCode, 200, res.body);
    const answer = res.json() as { result: string; connection: Connection };
    assert.equal(answer.result, 'reconnected');
    assert.equal(answer.connection.id, connection.id);
    assert.equal(answer.connection.platformAccountId, '20002');
    assert.equal(answer.connection.dataAccessExpiresAt, new Date(h.ctx.clock.nowMs() + 90 * DAY).toISOString());
  });

  it('refuses a reconnect by another person (another Page), writing nothing', async () => {
    const [before] = await h.ctx.db.select().from(connections);
    const started = await h.app.inject({ method: 'POST', url: `/api/workspaces/${h.workspaceId}/connections/${connection.id}/reconnect`, headers: h.auth.headers });
    const redirect = await answerConsent(new URL((started.json() as { authorizationUrl: string }).authorizationUrl), { accountId: '10002' });
    const res = await callback(h, redirect);
    assert.equal(res.statusCode, 409, res.body);
    assert.equal(res.json().error.code, 'account_mismatch');
    assert.deepEqual(await h.ctx.db.select().from(connections), [before], 'the connection (tokens, version, Page) is as it was');
    const log = await h.ctx.db.select().from(accessLog);
    assert.deepEqual([log.at(-1)?.action, log.at(-1)?.detail], ['connect_failed', { reason: 'account_mismatch' }]);
  });

  it('keeps every token out of the database in clear', async () => {
    const grants = h.emulator.core.grants.listGrants('facebook').map((g) => g.id);
    assert.ok(grants.length > 0);
    const dump = await dumpAllTables(h.ctx);
    const log = h.emulator.core.requests.list({ platform: 'facebook' });
    const tokens = [...log.map((r) => r.query.access_token), ...log.map((r) => r.query.fb_exchange_token), ...log.map((r) => r.query.input_token)].filter(
      (t): t is string => typeof t === 'string' && !t.includes('|'),
    );
    assert.ok(tokens.length >= 3, 'the short- and long-lived user tokens seen');
    for (const token of tokens) assert.ok(!dump.includes(token));
    assert.ok(!dump.includes('sandbox-secret-facebook'));
  });

  it('disconnects: revokes at Meta with the app token and keeps the connection row', async () => {
    h.emulator.core.requests.clear();
    const res = await h.app.inject({ method: 'DELETE', url: `/api/workspaces/${h.workspaceId}/connections/${connection.id}`, headers: h.auth.headers });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().revokedAtPlatform, true);
    assert.equal(res.json().connection.state, 'disconnected');
    const calls = h.emulator.core.requests.list({ platform: 'facebook' });
    assert.deepEqual(calls.map((c) => [c.method, c.path, c.query.access_token]), [['DELETE', '/graph/v22.0/10001/permissions', 'sandbox-facebook|sandbox-secret-facebook']]);
    assert.ok(h.emulator.core.grants.listGrants('facebook').filter((g) => g.accountId === '10001').every((g) => g.revoked));
  });
});
