import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { startWorkers, type Workers } from '../jobs/workers.ts';
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
    assert.equal(before.json().checks.workers, 'none heartbeating');
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

  it('unknown routes answer the common error shape', async () => {
    const res = await app.inject({ method: 'GET', url: '/nope?token=abc' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, 'not_found');
    assert.ok(!res.body.includes('abc'));
  });
});
