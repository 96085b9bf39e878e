import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eq } from 'drizzle-orm';
import { parseLinkedInTokens } from '../providers/linkedin/linkedinTokens.ts';
import { connectThroughConsent, openConnectionHarness, type ConnectionHarness } from './connectionTestHarness.ts';
import { loadCredential, saveRefreshedTokens } from './credentials.ts';
import { connections } from './schema.ts';

/** How refreshed tokens land on a connection: what the response left out is kept, not blanked. */
describe('saveRefreshedTokens', () => {
  let h: ConnectionHarness;
  let connectionId: string;
  before(async () => {
    h = await openConnectionHarness();
    const res = await connectThroughConsent(h, { platform: 'linkedin' }, 'li-alice');
    assert.equal(res.json().result, 'select_account', res.body);
    const picked = await h.app.inject({
      method: 'POST',
      url: `/api/workspaces/${h.workspaceId}/connections/select`,
      headers: h.auth.headers,
      payload: { selectionId: res.json().selectionId, platformAccountId: 'urn:li:person:li-alice' },
    });
    connectionId = picked.json().connection.id;
  });
  after(async () => h?.close());

  const row = async () => (await h.ctx.db.select().from(connections).where(eq(connections.id, connectionId)))[0]!;

  it('keeps the stored refresh end when a LinkedIn refresh omits refresh_token_expires_in', async () => {
    const before = await row();
    assert.ok(before.refreshExpiresAt, 'LinkedIn connections have a refresh end');
    h.ctx.clock.advance(86_400_000);
    const tokens = parseLinkedInTokens({ access_token: 'li-access-2', expires_in: 5_184_000, refresh_token: 'li-refresh-2' }, h.ctx.clock.now(), 'refresh_token');
    assert.equal(tokens.refreshExpiresAt, undefined);
    assert.equal(await saveRefreshedTokens(h.ctx, h.ctx.db, connectionId, tokens, before.tokenVersion), true);
    const after = await row();
    assert.equal(after.refreshExpiresAt?.toISOString(), before.refreshExpiresAt.toISOString());
    assert.equal(after.hardEndAt?.toISOString(), before.hardEndAt?.toISOString());
    const { credential } = await loadCredential(h.ctx, h.ctx.db, connectionId);
    assert.equal(credential.refreshToken, 'li-refresh-2');
  });

  it('takes the end the platform reports, and null when it says there is none', async () => {
    const before = await row();
    const tokens = parseLinkedInTokens({ access_token: 'li-access-3', expires_in: 5_184_000, refresh_token: 'li-refresh-3', refresh_token_expires_in: 3_600 }, h.ctx.clock.now(), 'refresh_token');
    assert.equal(await saveRefreshedTokens(h.ctx, h.ctx.db, connectionId, tokens, before.tokenVersion), true);
    assert.equal((await row()).refreshExpiresAt?.getTime(), h.ctx.clock.nowMs() + 3_600_000);
    const none = { ...tokens, accessToken: 'li-access-4', refreshToken: 'li-refresh-4', refreshExpiresAt: null };
    assert.equal(await saveRefreshedTokens(h.ctx, h.ctx.db, connectionId, none, (await row()).tokenVersion), true);
    assert.equal((await row()).refreshExpiresAt, null);
  });

  it('refuses a write fenced on a stale token version', async () => {
    const stale = (await row()).tokenVersion - 1;
    const tokens = parseLinkedInTokens({ access_token: 'li-access-5', expires_in: 60 }, h.ctx.clock.now(), 'refresh_token');
    assert.equal(await saveRefreshedTokens(h.ctx, h.ctx.db, connectionId, tokens, stale), false);
    assert.equal((await loadCredential(h.ctx, h.ctx.db, connectionId)).credential.accessToken, 'li-access-4');
  });
});
