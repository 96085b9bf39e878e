/**
 * Uncertain outcomes (the intent recorded, no result): every failure before the platform said
 * "not there" keeps the intent; answers that may come after the post was made (5xx, timeouts)
 * are uncertain; lookups only consider posts made since the intent and not recorded by another
 * of our targets.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { AppError } from '../http/errors.ts';
import { ProviderError } from '../providers/types.ts';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { LOOKUP_SKEW_MS, type PublishOptions } from './publishTarget.ts';
import { runDue as runDueWith, testOptions } from './testing/runPublishing.ts';
import { createTestDeps, createTestPlatform, insertScheduledPost, targetRow, type TestDeps, type TestPlatform } from './testing/testPlatform.ts';

const workspaceId = randomUUID();
let ctx: TestContext;
let platform: TestPlatform;
let deps: TestDeps;

before(async () => {
  ctx = await openTestContext();
});
after(async () => ctx.close());

const options = (overrides: Partial<PublishOptions> = {}) => testOptions(deps, overrides);
const runDue = (opts = options()) => runDueWith(ctx, opts);
const schedule = (connectionId = randomUUID()) =>
  insertScheduledPost(ctx.db, { workspaceId, connectionIds: [connectionId], platform: 'x', at: ctx.clock.now(), now: ctx.clock.now() }).then((ids) => ids[0]!);

describe('uncertain outcomes', () => {
  beforeEach(() => {
    platform = createTestPlatform();
    deps = createTestDeps(platform);
  });

  test('a lookup that fails (5xx, timeout) or a refresh that fails keeps the intent: looked up again, never posted blind', async () => {
    const connectionId = randomUUID();
    const id = await schedule(connectionId);
    platform.script.push({ kind: 'lost_response' });
    assert.deepEqual(await runDue(), ['retry']);
    const intentAt = (await targetRow(ctx.db, id)).intent_at;
    assert.notEqual(intentAt, null);

    platform.lookupFailures.push(new ProviderError('transient', 'server_error', 'HTTP 503', { httpStatus: 503 }));
    ctx.clock.advance(5 * 60_000);
    assert.deepEqual(await runDue(), ['retry'], 'the lookup failed with a 5xx');
    assert.deepEqual((await targetRow(ctx.db, id)).intent_at, intentAt, 'the intent stays: the outcome is still uncertain');

    platform.lookupFailures.push(new ProviderError('transient', 'timeout', 'no answer within 15000 ms'));
    ctx.clock.advance(5 * 60_000);
    assert.deepEqual(await runDue(), ['retry'], 'the lookup timed out');
    assert.deepEqual((await targetRow(ctx.db, id)).intent_at, intentAt);

    deps.expiring.add(connectionId);
    const fresh = deps.freshCredential;
    deps.freshCredential = async () => {
      throw new AppError('platform_unavailable', 'Access could not be renewed just now');
    };
    ctx.clock.advance(5 * 60_000);
    assert.deepEqual(await runDue(), ['retry'], 'the refresh before the lookup failed');
    assert.deepEqual((await targetRow(ctx.db, id)).intent_at, intentAt);
    deps.freshCredential = fresh;

    ctx.clock.advance(5 * 60_000);
    assert.deepEqual(await runDue(), ['found_published']);
    assert.equal(platform.published.get(id)?.count, 1, 'published exactly once');
    assert.equal(platform.calls, 1, 'the platform was never asked to post again');
    assert.equal(platform.lookups.length, 3);
  });

  test('an uncertain target whose lookups keep failing ends unknown when the window runs out', async () => {
    const id = await schedule();
    platform.script.push({ kind: 'lost_response' });
    assert.deepEqual(await runDue(options({ retryWindowMs: 10 * 60_000 })), ['retry']);
    for (let i = 0; i < 20; i++) platform.lookupFailures.push(new ProviderError('transient', 'bad_gateway', 'HTTP 502', { httpStatus: 502 }));
    const outcomes: string[] = [];
    for (let i = 0; i < 10 && !outcomes.includes('unknown'); i++) {
      ctx.clock.advance(4 * 60_000);
      outcomes.push(...(await runDue(options({ retryWindowMs: 10 * 60_000 }))));
    }
    assert.equal(outcomes.at(-1), 'unknown');
    assert.equal((await targetRow(ctx.db, id)).failure_code, 'outcome_unknown');
    assert.equal(platform.calls, 1);
  });

  test('a 5xx or a timeout from the publish call itself is uncertain: the post is found, not repeated', async () => {
    for (const error of [
      new ProviderError('transient', 'bad_gateway', 'HTTP 502', { httpStatus: 502 }),
      new ProviderError('transient', 'gateway_timeout', 'HTTP 504', { httpStatus: 504 }),
      new ProviderError('transient', 'timeout', 'no answer within 15000 ms'),
      new ProviderError('transient', 'malformed_response', 'truncated JSON', { httpStatus: 200 }),
    ]) {
      const id = await schedule();
      platform.script.push({ kind: 'error_after_post', error });
      assert.deepEqual(await runDue(), ['retry'], error.reason);
      assert.notEqual((await targetRow(ctx.db, id)).intent_at, null, `${error.reason}: the intent stays`);
      ctx.clock.advance(10 * 60_000);
      assert.deepEqual(await runDue(), ['found_published'], error.reason);
      assert.equal(platform.published.get(id)?.count, 1, `${error.reason}: published exactly once`);
    }
  });

  test('a 4xx validation error stays certain: failed, nothing looked up', async () => {
    const id = await schedule();
    platform.script.push({ kind: 'error', error: new ProviderError('bad_request', 'invalid_text', 'HTTP 400', { httpStatus: 400 }) });
    assert.deepEqual(await runDue(), ['failed']);
    assert.equal((await targetRow(ctx.db, id)).failure_code, 'invalid_text');
    assert.equal(platform.lookups.length, 0);
  });

  test('a lookup starts at the intent (minus a small skew) and skips posts our other targets of the account recorded', async () => {
    const connectionId = randomUUID();
    const sibling = await schedule(connectionId);
    assert.deepEqual(await runDue(), ['published']);
    const siblingPostId = String((await targetRow(ctx.db, sibling)).platform_post_id);

    ctx.clock.advance(60_000);
    const id = await schedule(connectionId);
    platform.script.push({ kind: 'lost_response' });
    assert.deepEqual(await runDue(), ['retry']);
    const intentAt = new Date((await targetRow(ctx.db, id)).intent_at as Date);
    ctx.clock.advance(5 * 60_000);
    assert.deepEqual(await runDue(), ['found_published']);
    assert.equal(platform.lookups.length, 1);
    assert.equal(platform.lookups[0]!.since.getTime(), intentAt.getTime() - LOOKUP_SKEW_MS, 'not ten minutes before, not the epoch');
    assert.deepEqual(platform.lookups[0]!.skip, [siblingPostId], "the sibling's post is never taken for this one");
  });

  test('the platform says it posted but gave no id: looked up in the same run, from this run\'s intent', async () => {
    const id = await schedule();
    platform.script.push({ kind: 'published_unrecorded' });
    assert.deepEqual(await runDue(), ['found_published']);
    assert.equal(platform.published.get(id)?.count, 1);
    assert.equal(platform.lookups[0]!.since.getTime(), ctx.clock.nowMs() - LOOKUP_SKEW_MS);
  });
});
