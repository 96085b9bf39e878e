import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { startWorkers, type Workers } from '../jobs/workers.ts';
import { WORKER_HEARTBEAT_STALE_MS } from '../jobs/heartbeat.ts';
import { buildApp, type App } from './app.ts';

describe('health endpoints', () => {
  let ctx: TestContext;
  let app: App;
  before(async () => {
    ctx = await openTestContext();
    app = await buildApp(ctx);
  });
  after(async () => {
    await app.close();
    await ctx.close();
  });

  it('/healthz answers while the process is up', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ok' });
  });

  it('/readyz is not ready until a worker heartbeats, then ready', async () => {
    const before = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(before.statusCode, 503);
    assert.equal(before.json().checks.workers, 'none heartbeating in the last 30 s');
    assert.equal(before.json().checks.migrations, 'ok');
    const workers: Workers = await startWorkers(ctx, 'worker');
    try {
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().status, 'ready');
    } finally {
      await workers.stop();
    }
  });

  it('a worker killed without stopping counts for 30 s after its last heartbeat, then not', async () => {
    const seen = (agoMs: number) => new Date(ctx.clock.nowMs() - agoMs);
    await ctx.database.query(
      `insert into worker_heartbeats (worker_id, role, hostname, pid, started_at, seen_at) values ('killed', 'worker', 'h', 1, $1, $2)`,
      [seen(60_000), seen(WORKER_HEARTBEAT_STALE_MS - 1_000)],
    );
    assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
    ctx.clock.advance(2_000);
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(res.statusCode, 503);
    assert.deepEqual(res.json().checks, { database: 'ok', migrations: 'ok', workers: 'none heartbeating in the last 30 s' });
    await ctx.database.query(`delete from worker_heartbeats where worker_id = 'killed'`);
  });

  it('a failing check says which check failed, not that the database is unreachable', async () => {
    await ctx.database.query('alter table worker_heartbeats rename to worker_heartbeats_gone');
    try {
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(res.statusCode, 503);
      const { checks } = res.json();
      assert.equal(checks.database, 'ok');
      assert.equal(checks.migrations, 'ok');
      assert.match(checks.workers, /^check failed: .*worker_heartbeats/);
    } finally {
      await ctx.database.query('alter table worker_heartbeats_gone rename to worker_heartbeats');
    }
  });

  it('unknown routes answer the common error shape', async () => {
    const res = await app.inject({ method: 'GET', url: '/nope?token=abc' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, 'not_found');
    assert.ok(!res.body.includes('abc'));
  });
});
