import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { startEmbeddedVacuum } from './embeddedVacuum.ts';
import { createTestDueTables, insertTestDueItems } from './testing/testDueQueue.ts';

let ctx: TestContext;
before(async () => {
  ctx = await openTestContext();
  await createTestDueTables(ctx.db);
});
after(async () => ctx.close());

test('a pass vacuums and analyzes the existing busy tables and skips missing ones', async () => {
  await insertTestDueItems(ctx.db, Array.from({ length: 50 }, () => ctx.clock.now()));
  await ctx.database.query('delete from test_due_items where id % 2 = 0');
  const vacuum = startEmbeddedVacuum(ctx, ['test_due_items', 'no_such_table', 'pgboss.job'], { everyMs: 3_600_000 });
  const done = await vacuum.runOnce();
  await vacuum.stop();
  assert.deepEqual(done, ['test_due_items']);
  const { rows } = await ctx.database.query<{ analyzed: boolean }>(
    `select (last_vacuum is not null and last_analyze is not null) as analyzed from pg_stat_user_tables where relname = 'test_due_items'`,
  );
  assert.equal(rows[0]?.analyzed, true);
});

test('a table name that is not a plain identifier is refused', () => {
  assert.throws(() => startEmbeddedVacuum(ctx, ['x; drop table users'], { everyMs: 1000 }), /not a plain table name/);
});
