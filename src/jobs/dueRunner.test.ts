import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { defineDueQueue, DueRunner, notifyDue, startDueRunners } from './dueRunner.ts';
import { createTestDueTables, insertTestDueItems, testDueQueue } from './testing/testDueQueue.ts';
import { waitFor } from './testing/waitFor.ts';

let ctx: TestContext;

before(async () => {
  ctx = await openTestContext();
  await createTestDueTables(ctx.db);
});
after(async () => ctx.close());
beforeEach(async () => {
  await ctx.db.execute(sql`truncate test_due_items, test_due_runs`);
});

async function count(query: string): Promise<number> {
  const { rows } = await ctx.database.query<{ n: number }>(`select count(*)::int as n from (${query}) q`);
  return rows[0]?.n ?? 0;
}

const allDone = () => count('select 1 from test_due_items where done_at is null').then((n) => n === 0);

describe('DueRunner', () => {
  test('three runners in one process run every due item exactly once, in batches', async () => {
    const now = ctx.clock.nowMs();
    await insertTestDueItems(ctx.db, Array.from({ length: 300 }, (_, i) => new Date(now - i * 1000)), { workMs: 1 });
    const queue = testDueQueue({ concurrency: 5, batchSize: 7 });
    const runners = [1, 2, 3].map((n) => new DueRunner(ctx, queue, { runnerId: `r${n}`, pollMs: 50 }));
    await Promise.all(runners.map((r) => r.start()));
    await waitFor(allDone, 'all items done', 30_000);
    await Promise.all(runners.map((r) => r.stop(1000)));

    assert.equal(await count('select item_id from test_due_runs group by item_id having count(*) <> 1'), 0);
    assert.equal(await count('select 1 from test_due_runs'), 300);
    const claimed = runners.map((r) => r.stats.claimed);
    assert.equal(claimed.reduce((a, b) => a + b, 0), 300);
    // Bounded concurrency: a claim never takes more than batchSize or the free room.
    assert.equal(runners.reduce((a, r) => a + r.stats.handled, 0), 300);
  });

  test('an item due later runs when the clock reaches it, not before (clock timer)', async () => {
    const runner = new DueRunner(ctx, testDueQueue(), { runnerId: 'timer', pollMs: 60_000 });
    await insertTestDueItems(ctx.db, [new Date(ctx.clock.nowMs() + 3_600_000)]);
    await runner.start();
    await runner.runUntilIdle();
    assert.equal(await count('select 1 from test_due_runs'), 0);
    ctx.clock.advance(3_600_000);
    await waitFor(allDone, 'the timer to fire the claim');
    await runner.stop(1000);
    const { rows } = await ctx.database.query<{ clock_at: Date }>('select clock_at from test_due_runs');
    assert.equal(new Date(rows[0]!.clock_at).getTime(), ctx.clock.nowMs());
  });

  test('a NOTIFY wakes an idle runner at once', async () => {
    const runner = new DueRunner(ctx, testDueQueue(), { runnerId: 'notify', pollMs: 600_000 });
    await runner.start();
    await runner.runUntilIdle();
    await ctx.db.transaction(async (tx) => {
      await insertTestDueItems(tx, [ctx.clock.now()]);
      await notifyDue(tx, 'test_due');
    });
    await waitFor(allDone, 'the notified item to run', 5_000);
    await runner.stop(1000);
  });

  test("a crashed worker's items come back once its lease lapses, not before", async () => {
    const queue = testDueQueue({ leaseMs: 60_000 });
    await insertTestDueItems(ctx.db, [ctx.clock.now(), ctx.clock.now()]);
    // A worker that claims and then dies without completing or releasing.
    const dead = await queue.claim(ctx.db, { now: ctx.clock.now(), limit: 10, leaseMs: 60_000, owner: 'dead:1' });
    assert.equal(dead.length, 2);
    const runner = new DueRunner(ctx, queue, { runnerId: 'alive', pollMs: 60_000 });
    await runner.start();
    await runner.runUntilIdle();
    assert.equal(await count('select 1 from test_due_runs'), 0, 'leased items are not taken early');
    ctx.clock.advance(60_000);
    await waitFor(allDone, 'the lapsed items to run');
    await runner.stop(1000);
    assert.equal(await count(`select 1 from test_due_items where done_by like 'alive%'`), 2);
  });

  test('a failing handler is logged with context and retried after its lease, never completed', async () => {
    const queue = testDueQueue({ leaseMs: 10_000 });
    await insertTestDueItems(ctx.db, [ctx.clock.now()], { fail: true });
    const runner = new DueRunner(ctx, queue, { runnerId: 'failing', pollMs: 60_000 });
    await runner.start();
    await runner.runUntilIdle();
    assert.equal(runner.stats.failed, 1);
    assert.match(ctx.logText(), /"dueQueue":"test.due".*"itemId":"\d+".*due item failed/);
    ctx.clock.advance(10_000);
    await runner.runUntilIdle();
    assert.equal(runner.stats.failed, 2);
    assert.equal(await count('select 1 from test_due_items where done_at is not null'), 0);
    await runner.stop(1000);
  });

  test('stop lets short work finish, then releases the leases of what is still running', async () => {
    const queue = testDueQueue({ leaseMs: 600_000, concurrency: 4 });
    const now = ctx.clock.nowMs();
    await insertTestDueItems(ctx.db, [new Date(now - 2)], { workMs: 20 });
    await insertTestDueItems(ctx.db, [new Date(now - 1)], { workMs: 60_000 });
    const runner = new DueRunner(ctx, queue, { runnerId: 'stopping', pollMs: 60_000 });
    await runner.start();
    await waitFor(() => count('select 1 from test_due_runs').then((n) => n === 2), 'both items to start');
    const started = performance.now();
    await runner.stop(300);
    const took = performance.now() - started;
    assert.ok(took >= 250 && took < 5_000, `stop waited for the grace period (${took} ms)`);
    const { rows } = await ctx.database.query<{ work_ms: number; done_at: Date | null; lease_owner: string | null }>(
      'select work_ms, done_at, lease_owner from test_due_items order by work_ms',
    );
    assert.ok(rows[0]!.done_at, 'the short item finished and was completed');
    assert.equal(rows[1]!.done_at, null);
    assert.equal(rows[1]!.lease_owner, null, 'the unfinished item was released, not left leased');
  });

  for (const shape of [{ concurrency: 1, batchSize: 1 }, { concurrency: 2, batchSize: 2 }, { concurrency: 8, batchSize: 3 }]) {
    test(`runUntilIdle returns only when nothing is due and nothing runs (concurrency ${shape.concurrency}, batch ${shape.batchSize})`, async () => {
      // Handlers finishing wake the runner on their own: those claims race runUntilIdle's own.
      const runner = new DueRunner(ctx, testDueQueue(shape), { runnerId: 'idle', pollMs: 60_000 });
      await insertTestDueItems(ctx.db, Array.from({ length: 25 }, () => ctx.clock.now()), { workMs: 1 });
      await runner.start();
      await runner.runUntilIdle();
      assert.equal(await count('select 1 from test_due_items where done_at is null'), 0);
      assert.equal(runner.busy, 0);
      assert.equal(await runner.nextDueAt(), null);
      await runner.stop(0);
    });
  }

  test('startDueRunners starts the given queues and stops them', async () => {
    await insertTestDueItems(ctx.db, [ctx.clock.now()]);
    const runners = await startDueRunners(ctx, { runnerId: 'w1', queues: [testDueQueue()], pollMs: 50 });
    await waitFor(allDone, 'the item to run');
    await runners.stop(100);
    assert.equal(runners.runners.length, 1);
  });

  test('defineDueQueue rejects bad definitions and a second queue of the same name', () => {
    assert.throws(() => defineDueQueue({ ...testDueQueue(), name: 'bad.concurrency', concurrency: 0 }), /concurrency/);
    assert.throws(() => defineDueQueue({ ...testDueQueue(), name: 'bad.channel', notifyChannel: 'Bad-Channel' }), /notifyChannel/);
    defineDueQueue({ ...testDueQueue(), name: 'twice' });
    assert.throws(() => defineDueQueue({ ...testDueQueue(), name: 'twice' }), /defined twice/);
  });
});
