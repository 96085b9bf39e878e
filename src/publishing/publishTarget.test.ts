import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { AppError } from '../http/errors.ts';
import { ProviderError } from '../providers/types.ts';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { claimDueTargets } from './claimDueTargets.ts';
import { publishTarget, type PublishOptions } from './publishTarget.ts';
import { runDue as runDueWith, TEST_LEASE_MS, testOptions, waitFor } from './testing/runPublishing.ts';
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

async function schedule(inMs: number, connections = [randomUUID()]) {
  return insertScheduledPost(ctx.db, { workspaceId, connectionIds: connections, platform: 'x', at: new Date(ctx.clock.nowMs() + inMs), now: ctx.clock.now() });
}

describe('publishTarget', () => {
  beforeEach(() => {
    platform = createTestPlatform();
    deps = createTestDeps(platform);
  });

  test('a target becomes claimable at its time and is published once, with the platform ids recorded', async () => {
    const [id] = await schedule(60_000);
    assert.deepEqual(await runDue(), []);
    ctx.clock.advance(60_000);
    assert.deepEqual(await runDue(), ['published']);
    assert.deepEqual(await runDue(), []);
    const row = await targetRow(ctx.db, id!);
    assert.equal(row.status, 'published');
    assert.equal(row.platform_post_id, 'p-1');
    assert.equal(row.platform_url, 'https://platform.test/p-1');
    assert.equal(row.attempts, 1);
    assert.equal(row.due_at, null);
    assert.equal(row.lease_owner, null);
    assert.equal(platform.published.get(id!)?.count, 1);
    assert.equal(deps.accessReads, 1, "the claim's connections are read once");
    assert.equal(deps.freshCalls, 0, 'a token valid long enough needs no refresh round trip');
  });

  test('the claim records the intent: a claimed target is publishing with intent and attempt before any platform call', async () => {
    const [id] = await schedule(0);
    const [claimed] = await claimDueTargets(ctx.db, { now: ctx.clock.now(), limit: 10, leaseMs: TEST_LEASE_MS, owner: 'claimer' });
    const row = await targetRow(ctx.db, id!);
    assert.equal(row.status, 'publishing');
    assert.equal(new Date(row.intent_at as Date).getTime(), ctx.clock.nowMs());
    assert.equal(row.attempts, 1);
    assert.equal(platform.calls, 0);
    assert.equal(await publishTarget(ctx, claimed!, options()), 'published');
  });

  test('a token about to expire goes through the just-in-time refresh first', async () => {
    const connectionId = randomUUID();
    deps.expiring.add(connectionId);
    await schedule(0, [connectionId]);
    assert.deepEqual(await runDue(), ['published']);
    assert.equal(deps.freshCalls, 1);
  });

  test('a crash after the intent: once the lease lapses the platform is checked, and the post is recorded, not re-posted', async () => {
    const [id] = await schedule(0);
    let release!: () => void;
    platform.script.push({ kind: 'hang', until: new Promise<void>((r) => (release = r)) });
    const first = await claimDueTargets(ctx.db, { now: ctx.clock.now(), limit: 10, leaseMs: TEST_LEASE_MS, owner: 'crashing' });
    // The worker "dies" mid-call: its handler never returns. The platform has not answered yet.
    const abandoned = publishTarget(ctx, first[0]!, options());
    await waitFor(() => platform.calls === 1, 'the platform call');
    assert.deepEqual(await runDue(), [], 'a live publishing lease is not taken over');
    release();
    await abandoned;
    // Pretend the result write was lost with the process: put the row back as the crash left it.
    await ctx.db.execute(sql`update post_targets set status = 'publishing', platform_post_id = null, platform_url = null, published_at = null,
      lease_owner = 'crashing', lease_until = intent_at + interval '1 minute' where id = ${id!}`);
    ctx.clock.advance(TEST_LEASE_MS);
    assert.deepEqual(await runDue(), ['found_published']);
    assert.equal(platform.published.get(id!)?.count, 1);
    assert.equal((await targetRow(ctx.db, id!)).status, 'published');
  });

  test('an uncertain outcome on a platform that cannot be checked becomes unknown, never a blind re-post', async () => {
    platform = createTestPlatform({ canFindRecentPosts: false });
    deps = createTestDeps(platform);
    const [id] = await schedule(0);
    platform.script.push({ kind: 'lost_response' });
    assert.deepEqual(await runDue(), ['retry']);
    const mid = await targetRow(ctx.db, id!);
    assert.equal(mid.status, 'scheduled');
    assert.notEqual(mid.intent_at, null, 'the intent stays: the outcome is uncertain');
    ctx.clock.advance(60 * 60_000);
    assert.deepEqual(await runDue(), ['unknown']);
    const row = await targetRow(ctx.db, id!);
    assert.equal(row.status, 'unknown');
    assert.equal(row.failure_code, 'outcome_unknown');
    assert.equal(platform.calls, 1);
  });

  test('a lost response is checked on the platform on retry: published exactly once', async () => {
    const [id] = await schedule(0);
    platform.script.push({ kind: 'lost_response' });
    assert.deepEqual(await runDue(), ['retry']);
    ctx.clock.advance(60 * 60_000);
    assert.deepEqual(await runDue(), ['found_published']);
    assert.equal(platform.published.get(id!)?.count, 1);
    assert.equal(platform.calls, 1);
  });

  test('429 is a definite refusal (intent cleared, Retry-After honoured); 503 may come after the post (intent kept, looked up first)', async () => {
    const [id] = await schedule(0);
    platform.script.push({ kind: 'error', error: new ProviderError('transient', 'rate_limited', 'HTTP 429', { httpStatus: 429, retryAfterMs: 120_000 }) });
    assert.deepEqual(await runDue(), ['retry']);
    let row = await targetRow(ctx.db, id!);
    assert.equal(row.intent_at, null, 'the platform refused: nothing was published');
    assert.equal(new Date(row.due_at as Date).getTime(), ctx.clock.nowMs() + 120_000, 'Retry-After wins over a shorter backoff');
    assert.deepEqual(await runDue(), [], 'not before its retry time');

    ctx.clock.advance(120_000);
    platform.script.push({ kind: 'error', error: new ProviderError('transient', 'server_error', 'HTTP 503', { httpStatus: 503 }) });
    assert.deepEqual(await runDue(), ['retry']);
    row = await targetRow(ctx.db, id!);
    assert.notEqual(row.intent_at, null, 'a 5xx may come after the post was made: the intent stays');
    assert.equal(new Date(row.due_at as Date).getTime(), ctx.clock.nowMs() + 30_000, 'half of the 60 s second ceiling (jitter 0.5)');

    ctx.clock.advance(30_000);
    assert.deepEqual(await runDue(), ['published']);
    assert.equal(platform.lookups.length, 1, 'the platform was checked before publishing again');
    row = await targetRow(ctx.db, id!);
    assert.equal(row.attempts, 3);
    assert.equal(platform.published.get(id!)?.count, 1);
  });

  test('the window ends in failed after refusals, in unknown after uncertain failures', async () => {
    const [refused, uncertain] = [...(await schedule(0)), ...(await schedule(0))];
    const outcomes = new Map<string, string>();
    for (let i = 0; i < 30 && outcomes.size < 2; i++) {
      // Refusals for the first target, 502s for the second (the order of the claim is by due time, then arbitrary).
      const claimed = await claimDueTargets(ctx.db, { now: ctx.clock.now(), limit: 10, leaseMs: TEST_LEASE_MS, owner: `o-${i}` });
      for (const c of claimed) {
        platform.script.push({
          kind: 'error',
          error: c.id === refused ? new ProviderError('transient', 'rate_limited', 'HTTP 429', { httpStatus: 429 }) : new ProviderError('transient', 'bad_gateway', 'HTTP 502', { httpStatus: 502 }),
        });
        const outcome = await publishTarget(ctx, c, options({ retryWindowMs: 10 * 60_000 }));
        if (outcome === 'failed' || outcome === 'unknown') outcomes.set(c.id, outcome);
      }
      ctx.clock.advance(5 * 60_000);
    }
    assert.equal(outcomes.get(refused!), 'failed');
    assert.equal(outcomes.get(uncertain!), 'unknown');
    const failed = await targetRow(ctx.db, refused!);
    assert.equal(failed.failure_code, 'rate_limited');
    assert.match(String(failed.failure_message), /Gave up after \d+ attempts/);
    assert.equal((await targetRow(ctx.db, uncertain!)).failure_code, 'outcome_unknown');
  });

  test("a permanent failure fails that target with the reason; the post's other target still publishes", async () => {
    const [bad, good] = await schedule(0, [randomUUID(), randomUUID()]);
    platform.script.push({ kind: 'error', error: new ProviderError('bad_request', 'text_too_long', 'Text is too long', { httpStatus: 400, platformCode: '186' }) });
    const outcomes = await runDue();
    assert.deepEqual(outcomes.sort(), ['failed', 'published']);
    const rows = [await targetRow(ctx.db, bad!), await targetRow(ctx.db, good!)];
    const failed = rows.find((r) => r.status === 'failed')!;
    assert.equal(failed.failure_code, 'text_too_long');
    assert.equal(failed.failure_message, 'Text is too long');
    assert.equal(rows.filter((r) => r.status === 'published').length, 1);
  });

  test('a token error hands the connection to the lifecycle engine and pauses the target', async () => {
    const connectionId = randomUUID();
    const [id] = await schedule(0, [connectionId]);
    platform.script.push({ kind: 'error', error: new ProviderError('reconnect_needed', 'token_revoked', 'revoked', { httpStatus: 401 }) });
    assert.deepEqual(await runDue(), ['paused']);
    const row = await targetRow(ctx.db, id!);
    assert.equal(row.status, 'paused');
    assert.equal(row.paused_reason, 'token_revoked');
    assert.equal(row.intent_at, null, 'a 401 is a refusal: nothing was posted');
    assert.deepEqual(deps.tokenFailures, [`${connectionId}:token_revoked`]);
  });

  test('a dead access token (refresh_needed) asks the lifecycle for a refresh and retries soon', async () => {
    const connectionId = randomUUID();
    const [id] = await schedule(0, [connectionId]);
    platform.script.push({ kind: 'error', error: new ProviderError('refresh_needed', 'token_expired', 'expired', { httpStatus: 401 }) });
    assert.deepEqual(await runDue(), ['retry']);
    assert.deepEqual(deps.tokenFailures, [`${connectionId}:token_expired`]);
    const row = await targetRow(ctx.db, id!);
    assert.equal(row.status, 'scheduled');
    assert.equal(row.intent_at, null);
    ctx.clock.advance(60 * 60_000);
    assert.deepEqual(await runDue(), ['published']);
  });

  test('a refresh that fails for now (platform_unavailable) retries without calling the platform, nothing reported back', async () => {
    const connectionId = randomUUID();
    deps.expiring.add(connectionId);
    const [id] = await schedule(0, [connectionId]);
    deps.freshCredential = async () => {
      throw new AppError('platform_unavailable', 'Access could not be renewed just now', { retryAfter: 120 });
    };
    assert.deepEqual(await runDue(), ['retry']);
    const row = await targetRow(ctx.db, id!);
    assert.equal(row.failure_code, 'access_unavailable');
    assert.equal(row.intent_at, null, 'no platform call: the intent is given back');
    assert.equal(new Date(row.due_at as Date).getTime(), ctx.clock.nowMs() + 120_000);
    assert.equal(platform.calls, 0);
    assert.deepEqual(deps.tokenFailures, []);
    await ctx.db.execute(sql`update post_targets set status = 'cancelled', due_at = null where id = ${id!}`); // out of the later tests' way
  });

  test('a connection already needing reconnect pauses its due target without calling the platform; the claim is given back', async () => {
    const connectionId = randomUUID();
    deps.connections.set(connectionId, { state: 'needs_reconnect', stateReason: 'password_changed' });
    const [id] = await schedule(0, [connectionId]);
    assert.deepEqual(await runDue(), ['paused']);
    const row = await targetRow(ctx.db, id!);
    assert.equal(row.paused_reason, 'password_changed');
    assert.equal(row.attempts, 0);
    assert.equal(row.intent_at, null);
    assert.equal(platform.calls, 0);
  });

  test('the per-account rate limit defers the targets beyond the burst, in the database, each when its token comes', async () => {
    const connectionId = randomUUID();
    const ids = [...(await schedule(0, [connectionId])), ...(await schedule(0, [connectionId])), ...(await schedule(0, [connectionId])), ...(await schedule(0, [connectionId]))];
    const limits = () => ({ account: { capacity: 2, refill: 1, perMs: 60_000 }, app: null });
    const outcomes = await runDue(options({ limits }));
    assert.deepEqual(outcomes.sort(), ['deferred', 'deferred', 'published', 'published']);
    const deferred = (await Promise.all(ids.map((id) => targetRow(ctx.db, id)))).filter((r) => r.status === 'scheduled');
    assert.deepEqual(
      deferred.map((r) => new Date(r.due_at as Date).getTime() - ctx.clock.nowMs()).sort((a, b) => a - b),
      [60_000, 120_000],
      'the second one waits for the second token',
    );
    assert.ok(deferred.every((r) => r.attempts === 0 && r.intent_at === null), 'a deferral is not an attempt');
    ctx.clock.advance(60_000);
    assert.deepEqual(await runDue(options({ limits })), ['published']);
    ctx.clock.advance(60_000);
    assert.deepEqual(await runDue(options({ limits })), ['published']);
  });

  test('multi-step publishing resumes from the saved step after a failure', async () => {
    platform = createTestPlatform({ multiStep: true });
    deps = createTestDeps(platform);
    const [id] = await schedule(0);
    platform.script.push({ kind: 'error', error: new ProviderError('transient', 'rate_limited', 'HTTP 429', { httpStatus: 429 }) });
    assert.deepEqual(await runDue(), ['retry']);
    assert.deepEqual((await targetRow(ctx.db, id!)).publish_state, { containerId: `c-${id}` });
    ctx.clock.advance(60 * 60_000);
    assert.deepEqual(await runDue(), ['published']);
    assert.deepEqual(platform.progressSeen, [{}, { containerId: `c-${id}` }]);
  });

  test('two workers racing for the same due targets each publish a target at most once', async () => {
    const ids = [];
    for (let i = 0; i < 20; i++) ids.push(...(await schedule(0)));
    const outcomes = (await Promise.all([runDue(), runDue(), runDue()])).flat();
    assert.equal(outcomes.filter((o) => o === 'published').length, 20);
    for (const id of ids) assert.equal(platform.published.get(id)?.count, 1);
  });

  test('no token appears in the logs', () => {
    assert.doesNotMatch(ctx.logText(), /test-access-token/);
  });
});
