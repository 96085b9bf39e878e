import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { takePublishTokens } from './rateLimiter.ts';

let ctx: TestContext;
before(async () => {
  ctx = await openTestContext();
});
after(async () => ctx.close());

const perMinute = (capacity: number, refill: number) => ({ capacity, refill, perMs: 60_000 });

describe('takePublishTokens', () => {
  test('a bucket allows its burst, then refills with the clock', async () => {
    const bucket = [{ key: 'account:a', limit: perMinute(2, 1) }];
    assert.deepEqual(await takePublishTokens(ctx.db, bucket, ctx.clock.now()), { ok: true });
    assert.deepEqual(await takePublishTokens(ctx.db, bucket, ctx.clock.now()), { ok: true });
    const refused = await takePublishTokens(ctx.db, bucket, ctx.clock.now());
    assert.deepEqual(refused, { ok: false, key: 'account:a', retryAtMs: ctx.clock.nowMs() + 60_000 });
    ctx.clock.advance(30_000);
    assert.equal((await takePublishTokens(ctx.db, bucket, ctx.clock.now())).ok, false, 'half a token is not enough');
    ctx.clock.advance(30_000);
    assert.deepEqual(await takePublishTokens(ctx.db, bucket, ctx.clock.now()), { ok: true });
  });

  test('several buckets are taken all or none', async () => {
    const app = { key: 'app:youtube', limit: perMinute(1, 1) };
    assert.equal((await takePublishTokens(ctx.db, [{ key: 'account:b', limit: perMinute(5, 5) }, app], ctx.clock.now())).ok, true);
    const refused = await takePublishTokens(ctx.db, [{ key: 'account:c', limit: perMinute(5, 5) }, app], ctx.clock.now());
    assert.equal(refused.ok, false);
    const rows = await ctx.db.execute(sql`select key from publish_rate_buckets where key = 'account:c'`);
    assert.equal(rows.rows.length, 0, 'the account bucket was not charged for a refused publish');
  });

  test('a clock reading earlier than another worker\'s write adds no tokens and takes none back', async () => {
    const bucket = [{ key: 'account:d', limit: perMinute(1, 1) }];
    assert.equal((await takePublishTokens(ctx.db, bucket, ctx.clock.now())).ok, true);
    const earlier = new Date(ctx.clock.nowMs() - 120_000);
    assert.equal((await takePublishTokens(ctx.db, bucket, earlier)).ok, false);
  });
});
