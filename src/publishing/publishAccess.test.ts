/**
 * The access seam with the real lifecycle engine: a credential valid long enough comes with the
 * claim (no refresh round trip); one about to expire goes through the just-in-time refresh, whose
 * failures reach the engine as AppErrors (the PublishDeps contract) and are never reported back
 * to the lifecycle engine, which raised them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { AppError } from '../http/errors.ts';
import { openLifecycleHarness, type LifecycleHarness } from '../lifecycle/testing/lifecycleHarness.ts';
import type { ProviderError } from '../providers/types.ts';
import { claimDueTargets } from './claimDueTargets.ts';
import { defaultPublishDeps } from './defaultPublishDeps.ts';
import type { PublishDeps } from './publishDeps.ts';
import { publishOptions, TOKEN_VALID_FOR_MS } from './publishingQueues.ts';
import { publishTarget, type PublishOutcome } from './publishTarget.ts';
import { insertScheduledPost, targetRow } from './testing/testPlatform.ts';

let h: LifecycleHarness;
const reported: ProviderError[] = [];
const fresh: string[] = [];
const deps: PublishDeps = {
  ...defaultPublishDeps,
  freshCredential: async (ctx, id, options) => {
    fresh.push(id);
    return defaultPublishDeps.freshCredential(ctx, id, options);
  },
  reportTokenFailure: async (ctx, id, error) => {
    reported.push(error);
    await defaultPublishDeps.reportTokenFailure(ctx, id, error);
  },
};

before(async () => {
  h = await openLifecycleHarness();
});
after(async () => {
  await h.ctx.jobs.stop(0);
  await h.close();
});

async function publishDue(): Promise<PublishOutcome[]> {
  const claimed = await claimDueTargets(h.ctx.db, { now: h.ctx.clock.now(), limit: 10, leaseMs: 180_000, owner: `w-${h.ctx.clock.nowMs()}` });
  return Promise.all(claimed.map((c) => publishTarget(h.ctx, c, publishOptions(h.ctx, deps))));
}
/** A fresh X account on the emulator, connected through the real OAuth flow. */
async function connectX(account: string): Promise<string> {
  h.emulator.core.addAccount('x', { id: account, username: `user_${account.slice(-4)}`, displayName: `User ${account.slice(-4)}` });
  return h.connect('x', account);
}
const schedule = (connectionId: string, text: string) =>
  insertScheduledPost(h.ctx.db, { workspaceId: h.workspaceId, targets: [{ connectionId, platform: 'x' }], at: h.ctx.clock.now(), now: h.ctx.clock.now(), text }).then((ids) => ids[0]!);
const expireSoon = (connectionId: string) =>
  h.ctx.db.execute(sql`update connections set access_expires_at = ${new Date(h.ctx.clock.nowMs() + TOKEN_VALID_FOR_MS / 2)} where id = ${connectionId}`);

describe('access to the account while publishing', () => {
  test('a token valid long enough is used as claimed: no refresh round trip', async () => {
    const x = await connectX('1600000000000000001');
    const id = await schedule(x, 'Fresh enough');
    assert.deepEqual(await publishDue(), ['published']);
    assert.deepEqual(fresh, []);
    assert.equal((await targetRow(h.ctx.db, id)).status, 'published');
  });

  test('a token about to expire is refreshed just in time, then used', async () => {
    const x = await connectX('1600000000000000002');
    await expireSoon(x);
    await schedule(x, 'Refreshed first');
    assert.deepEqual(await publishDue(), ['published']);
    assert.deepEqual(fresh, [x]);
    fresh.length = 0;
  });

  test('a refresh refused for good (revoked): the target pauses with the reason, nothing is reported back', async () => {
    const account = '1600000000000000003';
    const x = await connectX(account);
    await expireSoon(x);
    const revoked = await fetch(`${h.emulator.url}/_admin/users/x/${account}/revoke`, { method: 'POST' });
    assert.equal(revoked.status, 200);
    const id = await schedule(x, 'Never reaches X');
    assert.deepEqual(await publishDue(), ['paused'], 'the just-in-time refresh inside the publish was refused');
    assert.deepEqual(fresh, [x]);
    assert.deepEqual(reported, [], 'the lifecycle engine raised it: not reported a second time');
    const row = await targetRow(h.ctx.db, id);
    assert.equal(row.status, 'paused');
    const err = await defaultPublishDeps.freshCredential(h.ctx, x, { validForMs: TOKEN_VALID_FOR_MS }).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof AppError, 'the seam speaks AppError');
    assert.equal(err.code, 'conflict');
    assert.equal(row.paused_reason, (err.details as { reason: string }).reason, 'paused with the reason the lifecycle recorded');
    assert.equal(h.emulator.core.posts.list({ platform: 'x', accountId: account }).length, 0);
  });

  test('a refresh that fails for now: retried later, nothing reported back', async () => {
    const x = await connectX('1600000000000000004');
    await expireSoon(x);
    h.emulator.core.faults.add({ platform: 'x', endpoint: '/2/oauth2/token', kind: 'server_error', status: 503, times: 5 });
    const id = await schedule(x, 'Later');
    assert.deepEqual(await publishDue(), ['retry']);
    const row = await targetRow(h.ctx.db, id);
    assert.equal(row.failure_code, 'access_unavailable');
    assert.equal(row.intent_at, null, 'X was never called');
    assert.deepEqual(reported, []);
    h.emulator.core.faults.clear();
  });
});
