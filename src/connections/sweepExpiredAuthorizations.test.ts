import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eq } from 'drizzle-orm';
import { registeredDueQueues } from '../jobs/dueQueue.ts';
import { authorize, connectThroughConsent, openConnectionHarness, type ConnectionHarness } from './connectionTestHarness.ts';
import { STATE_TTL_MS } from './oauthStatesRepo.ts';
import { SELECTION_TTL_MS } from './pendingSelections.ts';
import { oauthStates, pendingAccountSelections } from './schema.ts';
import { nextSweepAt, SELECTION_RETENTION_MS, sweepExpiredAuthorizations, sweepQueue } from './sweepExpiredAuthorizations.ts';

/** Authorizations nobody finished leave no secret behind once they expire. */
describe('sweeping expired authorizations', () => {
  let h: ConnectionHarness;
  before(async () => {
    h = await openConnectionHarness();
  });
  after(async () => h?.close());

  const sweep = () => sweepExpiredAuthorizations(h.ctx.db, { now: h.ctx.clock.now(), limit: 100 });

  it('is a due queue every process runs (the routes module registers it)', () => {
    assert.ok(registeredDueQueues().includes(sweepQueue));
  });

  it('deletes expired states and erases the Page tokens of a choice nobody made, then the choice', async () => {
    const start = h.ctx.clock.nowMs();
    // A Facebook grant with two Pages, never picked; an X authorization never finished (its PKCE verifier stored).
    const parked = await connectThroughConsent(h, { platform: 'facebook' }, '10001');
    assert.equal(parked.json().result, 'select_account', parked.body);
    await authorize(h, { platform: 'x' });
    const [state] = await h.ctx.db.select().from(oauthStates).where(eq(oauthStates.platform, 'x'));
    assert.ok(state?.codeVerifierEnc);
    assert.equal((await nextSweepAt(h.ctx.db))?.getTime(), start + STATE_TTL_MS);
    assert.deepEqual(await sweep(), [], 'nothing is due yet');

    h.ctx.clock.advance(STATE_TTL_MS);
    const states = await sweep();
    assert.deepEqual(new Set(states.map((r) => `${r.table}:${r.action}`)), new Set(['oauth_states:deleted']));
    assert.equal((await h.ctx.db.select().from(oauthStates)).length, 0);
    assert.equal((await nextSweepAt(h.ctx.db))?.getTime(), start + SELECTION_TTL_MS);

    h.ctx.clock.advance(SELECTION_TTL_MS - STATE_TTL_MS);
    assert.deepEqual(await sweep(), [{ table: 'pending_account_selections', id: parked.json().selectionId, action: 'erased' }]);
    const [row] = await h.ctx.db.select().from(pendingAccountSelections);
    assert.equal(row?.grantEnc, null);
    assert.equal(row?.accounts.length, 2, 'the names stay a while, so the picker can say "expired"');
    assert.equal((await nextSweepAt(h.ctx.db))?.getTime(), start + SELECTION_TTL_MS + SELECTION_RETENTION_MS);

    h.ctx.clock.advance(SELECTION_RETENTION_MS);
    assert.deepEqual((await sweep()).map((r) => r.action), ['deleted']);
    assert.equal((await h.ctx.db.select().from(pendingAccountSelections)).length, 0);
    assert.equal(await nextSweepAt(h.ctx.db), null);
  });
});
