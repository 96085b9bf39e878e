import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { DueRunner } from '../jobs/dueRunner.ts';
import { registerJob } from '../jobs/jobRegistry.ts';
import { createTestDueTables, insertTestDueItems, testDueQueue } from '../jobs/testing/testDueQueue.ts';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { advanceSandbox } from './advanceSandbox.ts';

const DAY = 86_400_000;
const jobRuns: { n: number; at: number }[] = [];

registerJob({
  queue: 'test.sandbox-digest',
  schema: z.object({ n: z.number().int() }),
  async handle(ctx, data) {
    jobRuns.push({ n: data.n, at: ctx.clock.nowMs() });
  },
});

registerJob({
  queue: 'test.sandbox-slow',
  schema: z.object({}),
  async handle() {
    await new Promise((resolve) => setTimeout(resolve, 1_500));
  },
});

let ctx: TestContext;
let runner: DueRunner<unknown, unknown>;

before(async () => {
  ctx = await openTestContext({ env: { TIME_TRAVEL: 'true' } });
  await createTestDueTables(ctx.db);
  await ctx.jobs.start();
  await ctx.jobs.work(ctx);
  runner = new DueRunner(ctx, testDueQueue({ concurrency: 4, batchSize: 5 }) as never, { runnerId: 'sandbox', pollMs: 600_000 });
  await runner.start();
});
after(async () => {
  await runner.stop(1000);
  await ctx.close();
});
beforeEach(async () => {
  await ctx.db.execute(sql`truncate test_due_items, test_due_runs`);
  jobRuns.length = 0;
});

test('a 30-day jump runs every item at its own instant, in order, each once', async () => {
  const start = ctx.clock.nowMs();
  // 80 items at 40 instants across the 30 days (two per instant), and 3 after the jump.
  const instants = Array.from({ length: 40 }, (_, i) => start + Math.round(((i + 1) * 30 * DAY) / 41) + (i % 7) * 1000);
  const dues = [...instants, ...instants].map((t) => new Date(t));
  await insertTestDueItems(ctx.db, dues.sort(() => Math.random() - 0.5));
  await insertTestDueItems(ctx.db, [new Date(start + 31 * DAY), new Date(start + 40 * DAY), new Date(start + 30 * DAY + 1)]);
  await ctx.jobs.send(null, 'test.sandbox-digest', { n: 1 }, { startAfter: new Date(start + 10 * DAY) });

  const report = await advanceSandbox(ctx, [runner], new Date(start + 30 * DAY));

  assert.equal(ctx.clock.nowMs(), start + 30 * DAY);
  assert.deepEqual(report.from, new Date(start));
  assert.deepEqual(report.to, new Date(start + 30 * DAY));
  const { rows } = await ctx.database.query<{ item_id: string; due_at: Date; clock_at: Date }>(
    `select r.item_id, i.due_at, r.clock_at from test_due_runs r join test_due_items i on i.id = r.item_id order by r.started_at, r.item_id`,
  );
  assert.equal(rows.length, 80, 'each item ran once, none after the target');
  assert.equal(new Set(rows.map((r) => r.item_id)).size, 80, 'no item ran twice');
  for (const r of rows) {
    assert.equal(new Date(r.clock_at).getTime(), new Date(r.due_at).getTime(), 'an item runs at its own instant');
  }
  const runTimes = rows.map((r) => new Date(r.clock_at).getTime());
  assert.deepEqual(runTimes, [...runTimes].sort((a, b) => a - b), 'items run in due order');
  assert.ok(report.steps >= 40 && report.steps <= 45, `stopped at each instant (${report.steps} steps)`);
  assert.deepEqual(report.queues.find((q) => q.name === 'test.due'), { name: 'test.due', kind: 'due', ran: 80, failed: 0 });

  // The delayed job ran on day 10 exactly, once.
  assert.deepEqual(jobRuns, [{ n: 1, at: start + 10 * DAY }]);
  assert.deepEqual(report.queues.find((q) => q.name === 'test.sandbox-digest'), { name: 'test.sandbox-digest', kind: 'job', ran: 1, failed: 0 });

  // A second jump runs what was left, once.
  const second = await advanceSandbox(ctx, [runner], new Date(start + 41 * DAY));
  assert.equal(second.queues.find((q) => q.name === 'test.due')?.ran, 3);
  const { rows: total } = await ctx.database.query<{ n: number; d: number }>(
    'select count(*)::int as n, count(distinct item_id)::int as d from test_due_runs',
  );
  assert.deepEqual(total[0], { n: 83, d: 83 });
});

test('something that keeps coming due stops the advance with sandbox_stuck, saying where the clock stopped and what', async () => {
  const start = ctx.clock.nowMs();
  // A failing item stays leased until its lease lapses (30 s), then is due again: forever.
  await insertTestDueItems(ctx.db, [new Date(start + 3_600_000)], { fail: true });
  const err = await advanceSandbox(ctx, [runner], new Date(start + DAY), { maxSteps: 5 }).then(
    () => assert.fail('the advance should stop'),
    (e: { code?: string; message: string; status?: number; details?: { reached: Date; target: Date; busiest: string } }) => e,
  );
  assert.equal(err.code, 'sandbox_stuck');
  assert.equal(err.status, 500, 'a problem of the instance, not of the request');
  const reached = ctx.clock.nowMs();
  assert.ok(reached > start + 3_600_000 && reached < start + DAY, 'the clock moved part-way');
  assert.deepEqual(err.details?.reached, new Date(reached));
  assert.equal(err.details?.busiest, 'the due queue test.due');
  assert.match(err.message, new RegExp(`the due queue test.due keeps coming due. The sandbox clock stopped at ${new Date(reached).toISOString()}`));
  await ctx.db.execute(sql`update test_due_items set done_at = ${ctx.clock.now()}`);
});

test('job queues that do not drain stop the advance with sandbox_drain_timeout, saying where the clock stopped', async () => {
  const start = ctx.clock.nowMs();
  await ctx.jobs.send(null, 'test.sandbox-slow', {}, { startAfter: new Date(start + 3_600_000) });
  const err = await advanceSandbox(ctx, [runner], new Date(start + 2 * 3_600_000), { drainTimeoutMs: 200 }).then(
    () => assert.fail('the advance should stop'),
    (e: { code?: string; message: string; status?: number; details?: { reached: Date; pendingJobs: number } }) => e,
  );
  assert.equal(err.code, 'sandbox_drain_timeout');
  assert.equal(err.status, 503);
  assert.equal(ctx.clock.nowMs(), start + 3_600_000, 'stopped at the instant the job was due');
  assert.deepEqual(err.details?.reached, new Date(start + 3_600_000));
  assert.equal(err.details?.pendingJobs, 1);
  assert.match(err.message, new RegExp(`stopped at ${new Date(start + 3_600_000).toISOString()}, before ${new Date(start + 2 * 3_600_000).toISOString()}`));
  // The next advance carries on once the job has run.
  const report = await advanceSandbox(ctx, [runner], new Date(start + 2 * 3_600_000));
  assert.equal(ctx.clock.nowMs(), start + 2 * 3_600_000);
  assert.ok((report.queues.find((q) => q.name === 'test.sandbox-slow')?.ran ?? 0) <= 1);
  assert.equal(await ctx.jobs.pendingCount(), 0);
});

test('work made by a job during a step runs before time moves on', async () => {
  const start = ctx.clock.nowMs();
  registerJob({
    queue: 'test.sandbox-maker',
    schema: z.object({}),
    async handle(jobCtx) {
      await insertTestDueItems(jobCtx.db, [jobCtx.clock.now()]);
    },
  });
  await ctx.jobs.stop(1000).catch(() => undefined);
  // A fresh jobs instance so the new queue is created and worked.
  const { createJobs } = await import('../jobs/jobQueue.ts');
  const jobs = createJobs({ database: ctx.database, databaseUrl: (ctx.database as { url?: string }).url, clock: ctx.clock, log: ctx.log, pollingIntervalSeconds: 0.5 });
  const local = { ...ctx, jobs };
  await jobs.start();
  await jobs.work(local);
  await jobs.send(null, 'test.sandbox-maker', {}, { startAfter: new Date(start + DAY) });
  const localRunner = new DueRunner(local, testDueQueue() as never, { runnerId: 'maker', pollMs: 600_000 });
  await localRunner.start();
  const report = await advanceSandbox(local, [localRunner], new Date(start + 2 * DAY));
  await localRunner.stop(100);
  await jobs.stop(1000);
  const { rows } = await ctx.database.query<{ clock_at: Date }>('select clock_at from test_due_runs');
  assert.deepEqual(rows.map((r) => new Date(r.clock_at).getTime()), [start + DAY]);
  assert.equal(report.queues.find((q) => q.name === 'test.sandbox-maker')?.ran, 1);
});

test('time never goes backwards', async () => {
  const now = ctx.clock.nowMs();
  await assert.rejects(advanceSandbox(ctx, [runner], new Date(now - 1)), (err: { code?: string }) => err.code === 'time_backwards');
  assert.equal(ctx.clock.nowMs(), now);
});

test('an invalid target instant is refused as bad input, the clock untouched', async () => {
  const now = ctx.clock.nowMs();
  await assert.rejects(advanceSandbox(ctx, [runner], new Date(Number.NaN)), (err: { code?: string }) => err.code === 'validation_failed');
  assert.equal(ctx.clock.nowMs(), now);
});
