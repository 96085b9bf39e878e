/**
 * A failure streak and the points planned inside it, against the emulated LinkedIn (a refresh
 * token end fixed at the grant, shortened here to 20 days): a warning that falls during an
 * outage is raised on time, and the backoff continues where it was instead of starting over.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { getLifecycleConnection } from './connectionLifecycleRow.ts';
import { getRefreshRow, planConnectionRefresh, toDate } from './refreshesRepo.ts';
import { openLifecycleHarness, type LifecycleHarness } from './testing/lifecycleHarness.ts';

const H = 3_600_000;
const D = 24 * H;

let h: LifecycleHarness;
before(async () => {
  h = await openLifecycleHarness();
  h.emulator.core.setPolicy('linkedin', { refreshTtlMs: 20 * D });
});
after(() => h.close());

test('a warning during an outage comes on time, and the retry count and backoff carry on after it', async () => {
  const id = await h.connect('linkedin', 'li-alice');
  await h.runDue();
  const end = (await getLifecycleConnection(h.ctx.db, id))!.refreshExpiresAt!.getTime();
  const warnAt = end - 7 * D;
  await h.runUntil(warnAt - 10 * H);
  assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'active');

  // LinkedIn is down; a check starts the streak ten hours before the 7-day warning.
  h.emulator.core.faults.add({ platform: 'linkedin', kind: 'server_error', status: 503, times: 100_000 });
  const now = h.ctx.clock.now();
  await planConnectionRefresh(h.ctx.db, { connectionId: id, platform: 'linkedin', dueAt: now, purpose: 'verify', now });
  await h.runUntil(warnAt - 60_000);
  const before = (await getRefreshRow(h.ctx.db, id))!;
  assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'degraded');
  assert.ok(before.attempts >= 6, `the backoff grew: ${before.attempts} attempts`);
  assert.ok(before.retryAt && before.retryAt.getTime() > warnAt, 'the next retry falls after the warning point');
  assert.equal(before.dueAt!.getTime(), warnAt, 'the warning is planned first');

  await h.runUntil(warnAt);
  const warned = await h.ctx.db.execute(sql`select created_at from notifications where kind = 'expiring' and connection_id = ${id}`);
  assert.equal(warned.rows.length, 1);
  assert.equal(toDate(warned.rows[0]!.created_at)!.getTime(), warnAt, 'raised at its time, not at the next retry');
  const afterWarn = (await getRefreshRow(h.ctx.db, id))!;
  assert.equal(afterWarn.attempts, before.attempts, 'the streak is not reset');
  assert.equal(afterWarn.retryAt!.getTime(), before.retryAt.getTime(), 'the retry keeps its backoff');
  assert.equal(afterWarn.dueAt!.getTime(), before.retryAt.getTime());
  assert.equal(afterWarn.purpose, 'verify', 'the retry repeats the check that failed');

  // The next retry fails again: the delay keeps doubling from where it was (capped at 6 h).
  await h.runUntil(before.retryAt.getTime());
  const next = (await getRefreshRow(h.ctx.db, id))!;
  assert.equal(next.attempts, before.attempts + 1);
  assert.ok(next.retryAt!.getTime() - before.retryAt.getTime() >= 3 * H, 'not back to a one-minute retry');

  h.emulator.core.faults.clear();
  await h.runUntil(next.retryAt!.getTime());
  assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'active');
  const recovered = (await getRefreshRow(h.ctx.db, id))!;
  assert.equal(recovered.attempts, 0);
  assert.equal(recovered.retryAt, null);
});
