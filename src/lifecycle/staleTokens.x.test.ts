/**
 * Tokens read before a sibling rotated them, against the emulated X (rotating refresh tokens,
 * reuse detection that kills the whole grant): an on-demand caller never presents the rotated
 * token, and a call that did (before the fence existed, or a lapsed lease) is not taken for the
 * sibling's success while the platform has killed the grant.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { loadCredential } from '../connections/credentials.ts';
import { getProvider, providerContext } from '../providers/registry.ts';
import { ProviderError } from '../providers/types.ts';
import { getLifecycleConnection } from './connectionLifecycleRow.ts';
import { ensureFreshAccess } from './ensureFreshAccess.ts';
import { handleRefreshFailure } from './handleRefreshFailure.ts';
import { NO_STREAK, planConnectionRefresh } from './refreshesRepo.ts';
import { openLifecycleHarness, type LifecycleHarness } from './testing/lifecycleHarness.ts';

const H = 3_600_000;
const ALICE = '1500000000000000001';
const BOB = '1500000000000000002';

let h: LifecycleHarness;
before(async () => {
  h = await openLifecycleHarness();
});
after(() => h.close());
afterEach(() => h.emulator.core.faults.clear());

function liveGrant(accountId: string) {
  return h.emulator.core.grants.listGrants('x').find((g) => g.accountId === accountId && !g.revoked);
}

async function makeDue(id: string) {
  const now = h.ctx.clock.now();
  await planConnectionRefresh(h.ctx.db, { connectionId: id, platform: 'x', dueAt: now, purpose: 'refresh', now });
}

test('on-demand callers racing a slow sibling refresh never present the rotated token: one refresh, no reuse detection', async () => {
  const id = await h.connect('x', BOB);
  await h.runDue();
  for (let round = 0; round < 2; round++) {
    h.ctx.clock.advance(3 * H); // the 2 h access token is dead
    const before = liveGrant(BOB)!.refreshCount;
    await makeDue(id);
    // The sibling's call takes 150 ms at the platform; callers arrive all along it and keep polling.
    h.emulator.core.faults.add({ platform: 'x', endpoint: '/2/oauth2/token', kind: 'slow', delayMs: 150, times: 1 });
    const sibling = h.runDue('sibling');
    const callers = Array.from({ length: 12 }, (_, i) =>
      new Promise((r) => setTimeout(r, i * 15)).then(() => ensureFreshAccess(h.ctx, id, { validForMs: 15 * 60_000 })),
    );
    const [outcomes, ...fresh] = await Promise.all([sibling, ...callers]);
    assert.deepEqual(outcomes, ['refreshed'], `round ${round}: the background run refreshed`);
    assert.equal(h.emulator.core.grants.reuseDetections.get('x') ?? 0, 0, `round ${round}: no rotated token was presented`);
    const grant = liveGrant(BOB);
    assert.ok(grant, `round ${round}: the grant is alive`);
    assert.equal(grant.refreshCount - before, 1, `round ${round}: one refresh for one due time`);
    assert.equal(new Set(fresh.map((f) => f.credential.accessToken)).size, 1, 'every caller got the one fresh token');
    assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'active');
  }
});

test('a call that presented a token a sibling had rotated, on X: the grant is dead, so rotation_lost rather than "the sibling succeeded"', async () => {
  const id = await h.connect('x', ALICE);
  await h.runDue();
  h.ctx.clock.advance(3 * H);
  const stale = await loadCredential(h.ctx, h.ctx.db, id); // what a late caller had read
  await makeDue(id);
  assert.deepEqual(await h.runDue('sibling'), ['refreshed']); // version 2 is stored
  // The late call reaches X with the rotated refresh token: reuse detection kills the whole grant.
  const error = await getProvider('x').refresh(providerContext(h.ctx, 'x'), stale.credential).then(
    () => assert.fail('X accepted a rotated refresh token'),
    (err: unknown) => err as ProviderError,
  );
  assert.ok(error instanceof ProviderError);
  assert.equal(h.emulator.core.grants.reuseDetections.get('x'), 1);
  const c = (await getLifecycleConnection(h.ctx.db, id))!;
  const outcome = await handleRefreshFailure(h.ctx, { c, error, tokenVersion: stale.tokenVersion, streak: NO_STREAK, unknownOutcome: false, rotates: true, retryPurpose: 'refresh' });
  assert.equal(outcome, 'failed');
  const after = (await getLifecycleConnection(h.ctx.db, id))!;
  assert.equal(after.state, 'needs_reconnect', "the sibling's tokens were checked and do not work any more");
  assert.equal(after.stateReason, 'rotation_lost');
  assert.equal((await h.ctx.db.execute(sql`select count(*)::int as n from rotation_losses where connection_id = ${id}`)).rows[0]!.n, 1);
});

test("a failed call after a sibling's rotation on a grant that survived: the sibling's tokens are verified and stand", async () => {
  const id = await h.connect('x', ALICE); // reconnect after the lost grant above
  await h.runDue();
  h.ctx.clock.advance(3 * H);
  const stale = await loadCredential(h.ctx, h.ctx.db, id);
  await makeDue(id);
  assert.deepEqual(await h.runDue('sibling'), ['refreshed']);
  // The late call failed for a reason of its own (a 503) without reaching the grant.
  const error = new ProviderError('transient', 'server_error', 'X answered 503', { httpStatus: 503 });
  const c = (await getLifecycleConnection(h.ctx.db, id))!;
  const outcome = await handleRefreshFailure(h.ctx, { c, error, tokenVersion: stale.tokenVersion, streak: NO_STREAK, unknownOutcome: false, rotates: true, retryPurpose: 'refresh' });
  assert.equal(outcome, 'sibling_refreshed');
  assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'active');
  const verified = h.emulator.core.requests.list({ platform: 'x', path: '/2/users/me' });
  assert.ok(verified.length >= 1, "the sibling's access token was checked at X");
});
