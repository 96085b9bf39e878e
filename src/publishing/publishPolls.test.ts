/**
 * Polls: a platform still processing a started publish (an Instagram container, a TikTok post)
 * is checked again after a short wait, on its own path: no attempt counted, no rate-limit token,
 * no lookup, the adapter resuming from its saved step.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { openLifecycleHarness, type LifecycleHarness } from '../lifecycle/testing/lifecycleHarness.ts';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { claimDueTargets } from './claimDueTargets.ts';
import { defaultPublishDeps } from './defaultPublishDeps.ts';
import { publishOptions } from './publishingQueues.ts';
import { publishTarget, type PublishOptions } from './publishTarget.ts';
import { runDue as runDueWith, TEST_LEASE_MS, testOptions } from './testing/runPublishing.ts';
import { createTestDeps, createTestPlatform, insertScheduledPost, targetRow, type TestDeps, type TestPlatform } from './testing/testPlatform.ts';

const workspaceId = randomUUID();
let ctx: TestContext;
let platform: TestPlatform;
let deps: TestDeps;
// One token a day: a poll that took a token would be deferred.
const limits = () => ({ account: { capacity: 1, refill: 1, perMs: 86_400_000 }, app: null });

before(async () => {
  ctx = await openTestContext();
});
after(async () => ctx.close());

const options = (overrides: Partial<PublishOptions> = {}) => testOptions(deps, { limits, ...overrides });
const runDue = (opts = options()) => runDueWith(ctx, opts);
const schedule = () => insertScheduledPost(ctx.db, { workspaceId, connectionIds: [randomUUID()], platform: 'x', at: ctx.clock.now(), now: ctx.clock.now() }).then((ids) => ids[0]!);

describe('polls of a platform still processing', () => {
  beforeEach(() => {
    platform = createTestPlatform({ multiStep: true });
    deps = createTestDeps(platform);
  });

  test('polled after the wait it asks for: no attempt, no token, no lookup; resumed from the saved step', async () => {
    const id = await schedule();
    platform.script.push({ kind: 'processing', pollAfterMs: 30_000 }, { kind: 'processing', pollAfterMs: 30_000 });
    assert.deepEqual(await runDue(), ['polling']);
    let row = await targetRow(ctx.db, id);
    assert.equal(row.status, 'publishing', 'the planner shows it publishing while the platform works');
    assert.equal(row.polling, true);
    assert.equal(row.lease_owner, null);
    assert.equal(new Date(row.lease_until as Date).getTime(), ctx.clock.nowMs() + 30_000);
    assert.notEqual(row.intent_at, null);
    assert.deepEqual(await runDue(), [], 'not before the poll is due');

    ctx.clock.advance(30_000);
    assert.deepEqual(await runDue(), ['polling']);
    ctx.clock.advance(30_000);
    assert.deepEqual(await runDue(), ['published']);
    row = await targetRow(ctx.db, id);
    assert.equal(row.attempts, 1, 'polls are not attempts');
    assert.equal(row.polling, false);
    assert.equal(platform.lookups.length, 0, 'a poll is not an uncertain outcome');
    assert.equal(platform.calls, 3);
    assert.deepEqual(platform.progressSeen.slice(1), [{ containerId: `c-${id}` }, { containerId: `c-${id}` }]);
    assert.equal(platform.published.get(id)?.count, 1);
  });

  test('a worker that dies during a poll leaves an uncertain outcome: the next run looks up first', async () => {
    const id = await schedule();
    platform.script.push({ kind: 'processing', pollAfterMs: 10_000 });
    assert.deepEqual(await runDue(), ['polling']);
    ctx.clock.advance(10_000);
    const claimed = await claimDueTargets(ctx.db, { now: ctx.clock.now(), limit: 10, leaseMs: TEST_LEASE_MS, owner: 'dies' });
    assert.equal(claimed[0]?.poll, true);
    ctx.clock.advance(TEST_LEASE_MS);
    // Checked clear, the run takes a token like any new attempt: the default limits leave room.
    assert.deepEqual(await runDue(options({ limits: undefined })), ['published']);
    assert.equal(platform.lookups.length, 1);
    assert.equal((await targetRow(ctx.db, id)).attempts, 2, 'the run after the crash counts');
  });

  test('still processing when the window ends: unknown (it may still appear)', async () => {
    const id = await schedule();
    for (let i = 0; i < 10; i++) platform.script.push({ kind: 'processing', pollAfterMs: 4 * 60_000 });
    const outcomes: string[] = [];
    for (let i = 0; i < 10 && !outcomes.includes('unknown'); i++) {
      outcomes.push(...(await runDue(options({ retryWindowMs: 10 * 60_000 }))));
      ctx.clock.advance(4 * 60_000);
    }
    assert.deepEqual(outcomes, ['polling', 'polling', 'unknown']);
    assert.equal((await targetRow(ctx.db, id)).failure_code, 'outcome_unknown');
  });
});

describe('polls against the emulator', () => {
  let h: LifecycleHarness;
  before(async () => {
    h = await openLifecycleHarness();
  });
  after(async () => {
    await h.ctx.jobs.stop(0);
    await h.close();
  });

  test('an Instagram video container IN_PROGRESS is polled until FINISHED: one container, one attempt, one post', async () => {
    const ig = await h.connect('instagram', '17841400000021001');
    const [id] = await insertScheduledPost(h.ctx.db, {
      workspaceId: h.workspaceId,
      targets: [{ connectionId: ig, platform: 'instagram' }],
      at: h.ctx.clock.now(),
      now: h.ctx.clock.now(),
      content: { text: 'A reel', mediaIds: [], mediaUrls: [`${h.emulator.url}/_samples/reel.mp4`] },
    });
    const outcomes: string[] = [];
    for (let i = 0; i < 10 && !outcomes.includes('published'); i++) {
      const claimed = await claimDueTargets(h.ctx.db, { now: h.ctx.clock.now(), limit: 10, leaseMs: 180_000, owner: `w-${i}` });
      for (const c of claimed) outcomes.push(await publishTarget(h.ctx, c, publishOptions(h.ctx, defaultPublishDeps)));
      h.ctx.clock.advance(30_000);
    }
    assert.deepEqual(outcomes, ['polling', 'polling', 'published']);
    assert.equal(h.emulator.core.requests.list({ platform: 'instagram', path: '/media' }).filter((r) => r.method === 'POST').length, 1, 'one container');
    assert.equal(h.emulator.core.requests.list({ platform: 'instagram', path: '/media' }).filter((r) => r.method === 'GET').length, 0, 'no lookup');
    const row = await targetRow(h.ctx.db, id!);
    assert.equal(row.status, 'published');
    assert.equal(row.attempts, 1);
    assert.equal(h.emulator.core.posts.list({ platform: 'instagram' }).filter((p) => p.text === 'A reel').length, 1);
  });
});
