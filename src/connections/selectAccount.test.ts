import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getProvider } from '../providers/registry.ts';
import type { TokenSet } from '../providers/types.ts';
import { signUpAndSignIn } from '../testing/testUsers.ts';
import { finishGrant } from './completeAuthorization.ts';
import { dumpAllTables, openConnectionHarness, type ConnectionHarness } from './connectionTestHarness.ts';
import { loadCredential } from './credentials.ts';
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
  });

  it('rejects bodies with unknown fields', async () => {
    const res = await select({ selectionId, platformAccountId: 'page-1', extra: true });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'validation_failed');
  });
});
