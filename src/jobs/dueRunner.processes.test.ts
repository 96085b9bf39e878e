import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { testEngine } from '../testing/testDatabase.ts';
import { createTestDueTables, insertTestDueItems } from './testing/testDueQueue.ts';
import { waitFor } from './testing/waitFor.ts';

const NODE = path.resolve('node_modules/.bin/node');
const CHILD = path.resolve('src/jobs/testing/dueWorkerProcess.ts');

/** Several worker processes on one PostgreSQL server (PGlite belongs to one process: see dueRunner.test.ts). */
describe('due runner across processes', { skip: testEngine !== 'postgres' && 'PGlite is opened by one process only' }, () => {
  let ctx: TestContext;
  let url: string;
  const children: ChildProcess[] = [];

  before(async () => {
    ctx = await openTestContext();
    url = (ctx.database as { url?: string }).url!;
    await createTestDueTables(ctx.db);
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await ctx.close();
  });
  beforeEach(async () => {
    await ctx.db.execute(sql`truncate test_due_items, test_due_runs`);
  });

  async function startWorker(runnerId: string, leaseMs: number): Promise<ChildProcess> {
    const child = spawn(NODE, [CHILD, url, runnerId, String(leaseMs), '4', '5'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += String(d)));
    await waitFor(() => out.includes('ready'), `${runnerId} to start`, 30_000);
    return child;
  }

  const stopWorker = (child: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });

  const count = async (query: string) => {
    const { rows } = await ctx.database.query<{ n: number }>(`select count(*)::int as n from (${query}) q`);
    return rows[0]?.n ?? 0;
  };

  test('three worker processes run every item exactly once', async () => {
    const now = Date.now();
    await insertTestDueItems(ctx.db, Array.from({ length: 600 }, (_, i) => new Date(now - i)), { workMs: 2 });
    const workers = await Promise.all(['p1', 'p2', 'p3'].map((id) => startWorker(id, 30_000)));
    await waitFor(() => count('select 1 from test_due_items where done_at is null').then((n) => n === 0), 'all items done', 60_000);
    await Promise.all(workers.map(stopWorker));
    assert.equal(await count('select 1 from test_due_runs'), 600);
    assert.equal(await count('select item_id from test_due_runs group by item_id having count(*) > 1'), 0);
    const { rows } = await ctx.database.query<{ process: string; n: number }>(
      `select split_part(owner, ':', 1) as process, count(*)::int as n from test_due_runs group by 1 order by 1`,
    );
    assert.deepEqual(rows.map((r) => r.process), ['p1', 'p2', 'p3'], 'every process took a share');
  });

  test("a worker killed with SIGKILL mid-batch: its items run elsewhere once its lease lapses", async () => {
    const leaseMs = 2_000;
    const now = Date.now();
    await insertTestDueItems(ctx.db, Array.from({ length: 40 }, (_, i) => new Date(now - i)), { workMs: 400 });
    const doomed = await startWorker('doomed', leaseMs);
    await waitFor(() => count(`select 1 from test_due_runs where owner like 'doomed%'`).then((n) => n >= 2), 'the doomed worker to start items');
    doomed.kill('SIGKILL');
    await new Promise((r) => doomed.once('exit', r));
    const { rows: orphaned } = await ctx.database.query<{ id: string; lease_until: Date }>(
      `select id::text, lease_until from test_due_items where lease_owner like 'doomed%' and done_at is null`,
    );
    assert.ok(orphaned.length > 0, 'the killed worker left leased, unfinished items');

    const survivors = await Promise.all(['s1', 's2'].map((id) => startWorker(id, leaseMs)));
    await waitFor(() => count('select 1 from test_due_items where done_at is null').then((n) => n === 0), 'all items done', 60_000);
    await Promise.all(survivors.map(stopWorker));

    for (const o of orphaned) {
      const { rows } = await ctx.database.query<{ owner: string; started_at: Date }>(
        `select owner, started_at from test_due_runs where item_id = $1 and owner not like 'doomed%'`,
        [o.id],
      );
      assert.equal(rows.length, 1, `orphaned item ${o.id} ran once more, elsewhere`);
      assert.ok(new Date(rows[0]!.started_at) >= new Date(o.lease_until), 'not before its lease lapsed');
    }
    assert.equal(await count(`select 1 from test_due_items where done_by like 'doomed%'`) + (await count(`select 1 from test_due_items where done_by not like 'doomed%'`)), 40);
    assert.equal(await count(`select item_id from test_due_runs where owner not like 'doomed%' group by item_id having count(*) > 1`), 0);
  });

  test('SIGTERM lets running items finish and releases the rest at once (no wait for the lease)', async () => {
    const now = Date.now();
    await insertTestDueItems(ctx.db, Array.from({ length: 12 }, (_, i) => new Date(now - i)), { workMs: 300 });
    const worker = await startWorker('graceful', 600_000);
    await waitFor(() => count(`select 1 from test_due_runs`).then((n) => n >= 2), 'items to start');
    await stopWorker(worker);
    assert.equal(worker.exitCode, 0);
    // Nothing stays leased by the stopped worker: what it did not finish is claimable now.
    assert.equal(await count(`select 1 from test_due_items where done_at is null and lease_owner is not null`), 0);
    const other = await startWorker('after', 600_000);
    await waitFor(() => count('select 1 from test_due_items where done_at is null').then((n) => n === 0), 'the rest to run', 30_000);
    await stopWorker(other);
    assert.equal(await count(`select item_id from test_due_runs group by item_id having count(*) > 1`), 0, 'finished items never ran twice');
  });
});
