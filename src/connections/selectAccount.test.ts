import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getProvider } from '../providers/registry.ts';
import type { TokenSet } from '../providers/types.ts';
import { eq } from 'drizzle-orm';
import { createWorkspace, signUpAndSignIn } from '../testing/testUsers.ts';
import { finishGrant } from './completeAuthorization.ts';
import { dumpAllTables, openConnectionHarness, type ConnectionHarness } from './connectionTestHarness.ts';
import { loadCredential } from './credentials.ts';
import { SELECTION_TTL_MS } from './pendingSelections.ts';
import { connections, pendingAccountSelections } from './schema.ts';

/** A grant that reaches several accounts (Pages, organizations) parks a choice for the user. */
describe('picking one account of a multi-account grant', () => {
  let h: ConnectionHarness;
  let selectionId: string;
  const userTokens = (now: Date): TokenSet => ({ accessToken: 'user-token-secret-0001', accessExpiresAt: new Date(now.getTime() + 3_600_000), scopes: ['pages'], issuedAt: now });
  before(async () => {
    h = await openConnectionHarness();
    const now = h.ctx.clock.now();
    const result = await finishGrant(h.ctx, {
      provider: getProvider('x'),
      state: { workspaceId: h.workspaceId, connectionId: null, platform: 'x' },
      userId: h.auth.userId,
      exchanged: {
        tokens: userTokens(now),
        accounts: [
          { platformAccountId: 'page-1', kind: 'page', displayName: 'Bakery', tokens: { accessToken: 'page-token-secret-0001', accessExpiresAt: null, scopes: ['pages'], issuedAt: now } },
          { platformAccountId: 'page-2', kind: 'page', displayName: 'Cafe', handle: 'cafe' },
        ],
      },
      app: 'sandbox-x',
      instanceUrl: null,
    });
    assert.equal(result.result, 'select_account');
    if (result.result !== 'select_account') return;
    selectionId = result.selectionId;
    assert.deepEqual(result.accounts, [
      { platformAccountId: 'page-1', kind: 'page', displayName: 'Bakery' },
      { platformAccountId: 'page-2', kind: 'page', displayName: 'Cafe', handle: 'cafe' },
    ]);
  });
  after(async () => h?.close());

  const select = (body: Record<string, unknown>, headers = h.auth.headers) =>
    h.app.inject({ method: 'POST', url: `/api/workspaces/${h.workspaceId}/connections/select`, headers, payload: body });

  const getSelection = (id: string, headers = h.auth.headers, workspaceId = h.workspaceId) =>
    h.app.inject({ method: 'GET', url: `/api/workspaces/${workspaceId}/connections/selections/${id}`, headers });

  it('lists the choices for the picker, without any token, to its own user only', async () => {
    const res = await getSelection(selectionId);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().platform, 'x');
    assert.deepEqual(res.json().accounts.map((a: { platformAccountId: string }) => a.platformAccountId), ['page-1', 'page-2']);
    assert.equal(Date.parse(res.json().expiresAt), h.ctx.clock.nowMs() + SELECTION_TTL_MS);
    assert.equal(res.body.includes('token'), false);
    const other = await signUpAndSignIn(h.app);
    assert.equal((await getSelection(selectionId, other.headers)).statusCode, 404);
    const theirs = await createWorkspace(h.app, other, 'Theirs');
    assert.equal((await getSelection(selectionId, other.headers, theirs)).statusCode, 404);
    const mine = await createWorkspace(h.app, h.auth, 'Another of mine');
    assert.equal((await getSelection(selectionId, h.auth.headers, mine)).statusCode, 404, 'bound to the workspace it was made for');
    assert.equal((await getSelection('not-a-uuid')).statusCode, 404);
  });

  it('keeps the parked tokens encrypted', async () => {
    const dump = await dumpAllTables(h.ctx);
    assert.equal(dump.includes('page-token-secret-0001'), false);
    assert.equal(dump.includes('user-token-secret-0001'), false);
    assert.equal((await h.ctx.db.select().from(connections)).length, 0);
  });

  it('refuses an account outside the grant and another user', async () => {
    const wrong = await select({ selectionId, platformAccountId: 'page-9' });
    assert.equal(wrong.statusCode, 400);
    const other = await signUpAndSignIn(h.app);
    const stranger = await select({ selectionId, platformAccountId: 'page-1' }, other.headers);
    assert.equal(stranger.statusCode, 404);
  });

  it('creates the connection with the chosen account\'s own token, once', async () => {
    const res = await select({ selectionId, platformAccountId: 'page-1' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().result, 'connected');
    assert.equal(res.json().connection.kind, 'page');
    assert.equal(res.json().connection.accessExpiresAt, null);
    const { credential } = await loadCredential(h.ctx, h.ctx.db, res.json().connection.id);
    assert.equal(credential.accessToken, 'page-token-secret-0001');
    const again = await select({ selectionId, platformAccountId: 'page-2' });
    assert.equal(again.statusCode, 404);
    const [row] = await h.ctx.db.select().from(pendingAccountSelections);
    assert.ok(row?.usedAt);
    // The grant of every offered account (page-2's too) is gone with the choice.
    assert.equal(row?.grantEnc, null);
    const listed = await getSelection(selectionId);
    assert.equal(listed.statusCode, 400);
    assert.equal(listed.json().error.code, 'invalid_state');
    assert.match(listed.json().error.message, /already used/);
  });

  it('an expired choice answers a clear error and keeps no tokens', async () => {
    const now = h.ctx.clock.now();
    const parked = await finishGrant(h.ctx, {
      provider: getProvider('x'),
      state: { workspaceId: h.workspaceId, connectionId: null, platform: 'x' },
      userId: h.auth.userId,
      exchanged: { tokens: userTokens(now), accounts: [{ platformAccountId: 'page-3', kind: 'page', displayName: 'Deli' }, { platformAccountId: 'page-4', kind: 'page', displayName: 'Bar' }] },
      app: 'sandbox-x',
      instanceUrl: null,
    });
    assert.equal(parked.result, 'select_account');
    if (parked.result !== 'select_account') return;
    h.ctx.clock.advance(SELECTION_TTL_MS);
    const listed = await getSelection(parked.selectionId);
    assert.equal(listed.json().error.code, 'invalid_state');
    assert.match(listed.json().error.message, /expired/);
    const picked = await select({ selectionId: parked.selectionId, platformAccountId: 'page-3' });
    assert.equal(picked.statusCode, 400);
    assert.equal(picked.json().error.code, 'invalid_state');
    const [row] = await h.ctx.db.select().from(pendingAccountSelections).where(eq(pendingAccountSelections.id, parked.selectionId));
    assert.equal(row?.grantEnc, null);
    assert.equal(row?.usedAt, null);
  });

  it('rejects bodies with unknown fields', async () => {
    const res = await select({ selectionId, platformAccountId: 'page-1', extra: true });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'validation_failed');
  });
});
