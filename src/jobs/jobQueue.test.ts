import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { createJobs } from './jobQueue.ts';
import { registerJob } from './jobRegistry.ts';
import { waitFor } from './testing/waitFor.ts';

const ran: { queue: string; n: number; retryCount: number }[] = [];
let failuresLeft = 0;

registerJob({
  queue: 'test.echo',
  schema: z.object({ n: z.number().int() }),
  async handle(_ctx, data, job) {
    ran.push({ queue: 'test.echo', n: data.n, retryCount: job.retryCount });
  },
});

registerJob({
  queue: 'test.flaky',
  schema: z.object({ n: z.number().int() }),
  retry: { limit: 3, delaySeconds: 60, maxDelaySeconds: 600 },
  async handle(_ctx, data, job) {
    if (failuresLeft > 0) {
      failuresLeft -= 1;
      throw new Error('flaky failure');
    }
    ran.push({ queue: 'test.flaky', n: data.n, retryCount: job.retryCount });
  },
});

let ctx: TestContext;

before(async () => {
  ctx = await openTestContext();
  await ctx.jobs.start();
  await ctx.jobs.work(ctx);
});
after(async () => ctx.close());

const ranOf = (queue: string, n: number) => ran.filter((r) => r.queue === queue && r.n === n);

async function settle(): Promise<void> {
  ctx.jobs.nudge();
  await waitFor(async () => (await ctx.jobs.pendingCount()) === 0, 'the queues to drain');
}

test('a job enqueued in a committed transaction runs once; one in a rolled-back transaction never runs', async () => {
  await ctx.db
    .transaction(async (tx) => {
      await ctx.jobs.send(tx, 'test.echo', { n: 1 });
      await tx.execute(sql`select 1`);
      throw new Error('roll back');
    })
    .catch((err: Error) => assert.equal(err.message, 'roll back'));
  await ctx.db.transaction(async (tx) => {
    await ctx.jobs.send(tx, 'test.echo', { n: 2 });
  });
  await waitFor(() => ranOf('test.echo', 2).length === 1, 'the committed job to run');
  await settle();
  assert.equal(ranOf('test.echo', 1).length, 0);
  assert.equal(ranOf('test.echo', 2).length, 1);
  assert.equal(ctx.jobs.stats()['test.echo']?.handled, 1);
});

test('an invalid payload or an unknown queue throws and enqueues nothing', async () => {
  await assert.rejects(ctx.jobs.send(null, 'test.echo', { n: 'one' }), /invalid payload for job test.echo: n /);
  await assert.rejects(ctx.jobs.send(null, 'test.nope', { n: 1 }), /no job queue test.nope is registered/);
  const { rows } = await ctx.database.query<{ n: number }>(
    `select count(*)::int as n from pgboss.job where name = 'test.echo' and data->>'n' = 'one'`,
  );
  assert.equal(rows[0]?.n, 0);
});

test('a failing job is logged with its context and retried with backoff on our clock', async () => {
  failuresLeft = 1;
  await ctx.jobs.send(null, 'test.flaky', { n: 7 });
  await waitFor(() => ctx.jobs.stats()['test.flaky']?.failed === 1, 'the first attempt to fail');
  assert.match(ctx.logText(), /"queue":"test.flaky".*"retryCount":0.*job failed/);
  // The retry waits for its delay on the (frozen) test clock: nothing runs until time moves.
  await settle();
  assert.equal(ranOf('test.flaky', 7).length, 0);
  ctx.clock.advance(3_600_000);
  ctx.jobs.nudge();
  await waitFor(() => ranOf('test.flaky', 7).length === 1, 'the retry to run');
  assert.equal(ranOf('test.flaky', 7)[0]?.retryCount, 1);
});

test('a delayed job (startAfter in seconds) waits for our clock, not the wall clock', async () => {
  await ctx.jobs.send(null, 'test.echo', { n: 30 }, { startAfter: 86_400 });
  await settle();
  assert.equal(ranOf('test.echo', 30).length, 0);
  ctx.clock.advance(86_400_000);
  assert.equal(await ctx.jobs.pendingCount(), 1);
  await settle();
  assert.equal(ranOf('test.echo', 30).length, 1);
});

test('a process that only enqueues (the api role) never works the queues', async () => {
  const api = createJobs({ database: ctx.database, databaseUrl: (ctx.database as { url?: string }).url, clock: ctx.clock, log: ctx.log });
  await api.start();
  await ctx.jobs.stop(1000);
  await api.send(null, 'test.echo', { n: 40 });
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(ranOf('test.echo', 40).length, 0);
  const { rows } = await ctx.database.query<{ state: string }>(`select state from pgboss.job where name = 'test.echo' and data->>'n' = '40'`);
  assert.deepEqual(rows.map((r) => r.state), ['created']);
  await api.stop(1000);
});

test('enqueuing in a transaction before jobs are started is refused with a clear message', async () => {
  const cold = createJobs({ database: ctx.database, databaseUrl: (ctx.database as { url?: string }).url, clock: ctx.clock, log: ctx.log });
  await assert.rejects(
    ctx.db.transaction(async (tx) => cold.send(tx, 'test.echo', { n: 50 })),
    /jobs are not started: call ctx.jobs.start\(\) at boot/,
  );
  await cold.stop(1000);
});
