/**
 * Long publishes keep their target: the lease is renewed while the adapter works (fenced by the
 * lease owner), a lost lease and a stopping worker abort the adapter's HTTP calls.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, beforeEach, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { DueRunner } from '../jobs/dueRunner.ts';
import { claimDueTargets } from './claimDueTargets.ts';
import { publishingQueue } from './publishingQueues.ts';
import { publishTarget, type PublishOptions } from './publishTarget.ts';
import { runDue as runDueWith, TEST_LEASE_MS, testOptions, waitFor } from './testing/runPublishing.ts';
import { createTestDeps, createTestPlatform, insertScheduledPost, targetRow, type TestDeps, type TestPlatform } from './testing/testPlatform.ts';

const workspaceId = randomUUID();
let ctx: TestContext;
let platform: TestPlatform;
let deps: TestDeps;

before(async () => {
  ctx = await openTestContext();
});
after(async () => ctx.close());

const options = (overrides: Partial<PublishOptions> = {}) => testOptions(deps, { leaseRenewMs: 20, ...overrides });
const schedule = () => insertScheduledPost(ctx.db, { workspaceId, connectionIds: [randomUUID()], platform: 'x', at: ctx.clock.now(), now: ctx.clock.now() }).then((ids) => ids[0]!);
const leaseUntil = async (id: string) => new Date((await targetRow(ctx.db, id)).lease_until as Date).getTime();

/** Starts publishing one target that hangs inside the platform call until released. */
async function startSlowPublish(id: string, overrides: Partial<PublishOptions> = {}) {
  let release!: () => void;
  platform.script.push({ kind: 'hang', until: new Promise<void>((r) => (release = r)) });
  const [claimed] = await claimDueTargets(ctx.db, { now: ctx.clock.now(), limit: 10, leaseMs: TEST_LEASE_MS, owner: `slow-${id}` });
  assert.equal(claimed?.id, id);
  // Bounded: a signal that never reaches the adapter would leave the call hanging.
  const outcome = Promise.race([
    publishTarget(ctx, claimed!, options(overrides)),
    sleep(15_000, undefined, { ref: false }).then(() => 'still hanging after 15 s'),
  ]);
  await waitFor(() => platform.calls === 1, 'the platform call');
  return { outcome, release };
}

describe('the publishing lease', () => {
  beforeEach(() => {
    platform = createTestPlatform();
    deps = createTestDeps(platform);
  });

  test('is renewed while a publish takes longer than the lease: nobody takes the target over', async () => {
    const id = await schedule();
    const { outcome, release } = await startSlowPublish(id);
    for (let i = 0; i < 3; i++) {
      // Past the lease the claim gave, twice over: only the renewals keep it.
      ctx.clock.advance(TEST_LEASE_MS - 10_000);
      await waitFor(async () => (await leaseUntil(id)) === ctx.clock.nowMs() + TEST_LEASE_MS, 'a renewal');
      assert.deepEqual(await runDueWith(ctx, options()), [], 'a renewed lease is not taken over');
    }
    release();
    assert.equal(await outcome, 'published');
    assert.equal(platform.published.get(id)?.count, 1);
    assert.equal((await targetRow(ctx.db, id)).lease_owner, null);
  });

  test('lost to another worker: the adapter call is aborted and nothing is written', async () => {
    const id = await schedule();
    const { outcome } = await startSlowPublish(id);
    await ctx.db.execute(sql`update post_targets set lease_owner = 'another-worker' where id = ${id}`);
    assert.equal(await outcome, 'skipped');
    assert.equal(platform.lastSignal?.aborted, true, "the adapter's HTTP signal was aborted");
    assert.equal(platform.published.get(id), undefined, 'the aborted call never reached the platform');
    const row = await targetRow(ctx.db, id);
    assert.deepEqual([row.status, row.lease_owner], ['publishing', 'another-worker'], "the other worker's target is left alone");
    await ctx.db.execute(sql`update post_targets set status = 'cancelled' where id = ${id}`);
  });

  test("the worker's stop signal reaches the adapter's HTTP calls; the interrupted call stays uncertain", async () => {
    const id = await schedule();
    const stop = new AbortController();
    const { outcome } = await startSlowPublish(id, { signal: stop.signal });
    stop.abort();
    assert.equal(await outcome, 'retry');
    assert.equal(platform.lastSignal?.aborted, true);
    assert.notEqual((await targetRow(ctx.db, id)).intent_at, null, 'the call had started: the next run looks the post up first');
  });

  test('a stopping worker gives back the targets it never called the platform for; the others keep their intent', async () => {
    const waiting = randomUUID();
    deps.expiring.add(waiting);
    let refreshed!: () => void;
    const refreshing = new Promise<void>((r) => (refreshed = r));
    const fresh = deps.freshCredential;
    let refreshStarted = false;
    deps.freshCredential = async (...a) => {
      refreshStarted = true;
      await refreshing; // a just-in-time refresh that takes long
      return fresh(...a);
    };
    const [notCalled] = await insertScheduledPost(ctx.db, { workspaceId, connectionIds: [waiting], platform: 'x', at: ctx.clock.now(), now: ctx.clock.now() });
    const called = await schedule();
    platform.script.push({ kind: 'hang', until: new Promise<void>(() => undefined) });
    const runner = new DueRunner(ctx, publishingQueue(deps), { runnerId: 'stopping', pollMs: 50 });
    await runner.start();
    await waitFor(() => platform.calls === 1 && refreshStarted, 'one target in its platform call, one in its refresh');
    await runner.stop(50);
    const given = await targetRow(ctx.db, notCalled!);
    assert.deepEqual([given.status, given.intent_at, given.attempts, given.lease_owner], ['scheduled', null, 0, null], 'as before its claim, due again');
    assert.ok(new Date(given.due_at as Date).getTime() <= ctx.clock.nowMs());
    await waitFor(async () => (await targetRow(ctx.db, called)).status === 'scheduled', 'the interrupted call to be written');
    assert.notEqual((await targetRow(ctx.db, called)).intent_at, null, 'interrupted inside the call: the next run looks the post up first');
    refreshed();
    await ctx.db.execute(sql`update post_targets set status = 'cancelled' where id in (${notCalled!}, ${called})`);
  });
});
