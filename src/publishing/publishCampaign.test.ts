/**
 * The 30-day campaign against the emulator, on its clock: a daily post on X, LinkedIn and
 * Instagram for 30 days, with the lifecycle engine refreshing tokens in between (X's two-hour
 * rotating tokens, Instagram's 60-day ones, LinkedIn's), publishes 90 targets exactly once each.
 * Then: an account revoked mid-campaign, and the emulator's faults (5xx, 429, lost responses).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { openLifecycleHarness, type LifecycleHarness } from '../lifecycle/testing/lifecycleHarness.ts';
import type { PlatformId } from '../providers/types.ts';
import { claimDueTargets, nextTargetDueAt } from './claimDueTargets.ts';
import { defaultPublishDeps } from './defaultPublishDeps.ts';
import { graceSweepQueue, publishOptions } from './publishingQueues.ts';
import { runGraceSweep } from './testing/runPublishing.ts';
import { retryFailedTargetsOfConnection } from './resolveTargets.ts';
import { publishTarget, type PublishOutcome } from './publishTarget.ts';
import { insertScheduledPost } from './testing/testPlatform.ts';
import { nextRefreshDueAt } from '../lifecycle/refreshesRepo.ts';

const DAY = 86_400_000;
const GRACE_MS = 15 * 60_000;
let h: LifecycleHarness;

before(async () => {
  h = await openLifecycleHarness();
  await h.ctx.jobs.start(); // alerts enqueue their emails in the transaction of a state change
});
after(async () => {
  await h.ctx.jobs.stop(0);
  await h.close();
});

/** Claims and publishes everything due now, as a worker would; runs the grace sweep too. */
async function publishDue(): Promise<PublishOutcome[]> {
  const outcomes: PublishOutcome[] = [];
  for (;;) {
    const claimed = await claimDueTargets(h.ctx.db, { now: h.ctx.clock.now(), limit: 50, leaseMs: 180_000, owner: `w-${outcomes.length}` });
    if (claimed.length === 0) break;
    for (const c of claimed) outcomes.push(await publishTarget(h.ctx, c, publishOptions(h.ctx, defaultPublishDeps)));
  }
  await runGraceSweep(h.ctx, GRACE_MS);
  return outcomes;
}

/** Steps the clock through every refresh and publish due point up to `untilMs`, in order. */
async function runUntil(untilMs: number): Promise<PublishOutcome[]> {
  const outcomes: PublishOutcome[] = [];
  for (let step = 0; step < 20_000; step++) {
    await h.runDue();
    outcomes.push(...(await publishDue()));
    const grace = await graceSweepQueue(GRACE_MS).nextDueAt(h.ctx.db);
    const candidates = [await nextRefreshDueAt(h.ctx.db), await nextTargetDueAt(h.ctx.db), grace]
      .filter((d): d is Date => d !== null)
      .map((d) => d.getTime())
      .filter((t) => t > h.ctx.clock.nowMs());
    const next = Math.min(...candidates);
    if (!Number.isFinite(next) || next > untilMs) break;
    h.ctx.clock.set(next);
  }
  if (untilMs > h.ctx.clock.nowMs()) h.ctx.clock.set(untilMs);
  return outcomes;
}

function campaignContent(day: number) {
  return {
    text: `Day ${day + 1} of our spring campaign`,
    mediaIds: [],
    mediaUrls: [`${h.emulator.url}/_samples/spring/day-${day + 1}.jpg`], // a URL that answers: Instagram fetches it
    // X and LinkedIn go out as text; Instagram needs the picture.
    overrides: { x: { mediaIds: [] }, linkedin: { mediaIds: [] } },
  };
}

async function scheduleCampaign(targets: { connectionId: string; platform: PlatformId }[], days: number, firstAt: number) {
  const ids: string[] = [];
  for (let day = 0; day < days; day++) {
    ids.push(
      ...(await insertScheduledPost(h.ctx.db, { workspaceId: h.workspaceId, targets, at: new Date(firstAt + day * DAY), now: h.ctx.clock.now(), content: campaignContent(day) })),
    );
  }
  return ids;
}

async function statuses(ids: string[]): Promise<Record<string, number>> {
  const res = await h.ctx.db.execute(sql`select status, count(*)::int as n from post_targets where id::text = any(${`{${ids.join(',')}}`}::text[]) group by status`);
  return Object.fromEntries((res.rows as { status: string; n: number }[]).map((r) => [r.status, Number(r.n)]));
}

describe('30-day campaign against the emulator', () => {
  test('a daily post on X, LinkedIn and Instagram for 30 days: 90 targets published exactly once', async () => {
    const x = await h.connect('x', '1500000000000000001');
    const linkedin = await h.connect('linkedin', 'li-alice');
    const instagram = await h.connect('instagram', '17841400000021001');
    const start = h.ctx.clock.nowMs();
    const ids = await scheduleCampaign(
      [
        { connectionId: x, platform: 'x' },
        { connectionId: linkedin, platform: 'linkedin' },
        { connectionId: instagram, platform: 'instagram' },
      ],
      30,
      start + DAY,
    );
    assert.equal(ids.length, 90);
    await runUntil(start + 32 * DAY);

    assert.deepEqual(await statuses(ids), { published: 90 });
    const posts = h.emulator.core.posts.list();
    for (const platform of ['x', 'linkedin', 'instagram'] as const) {
      const mine = posts.filter((p) => p.platform === platform);
      assert.equal(mine.length, 30, `${platform}: 30 posts on the platform`);
      assert.equal(new Set(mine.map((p) => p.text)).size, 30, `${platform}: each day once`);
    }
    const refreshes = await h.ctx.db.execute(sql`select count(*)::int as n from access_log where action = 'refreshed'`);
    assert.ok(Number((refreshes.rows[0] as { n: number }).n) > 30, 'the campaign crossed many token refreshes');
  });

  test('revoked mid-campaign: targets pause, the due ones fail after the grace, reconnect resumes the rest, retry publishes the failed once', async () => {
    const bob = '1500000000000000002';
    const connectionId = await h.connect('x', bob);
    const start = h.ctx.clock.nowMs();
    const texts = (day: number) => `Day ${day + 1} of our spring campaign`;
    const ids = await scheduleCampaign([{ connectionId, platform: 'x' }], 10, start + DAY);
    await runUntil(start + 3 * DAY + 60_000);
    assert.deepEqual(await statuses(ids), { published: 3, scheduled: 7 });

    const revoked = await fetch(`${h.emulator.url}/_admin/users/x/${bob}/revoke`, { method: 'POST' });
    assert.equal(revoked.status, 200);
    await runUntil(start + 6 * DAY + GRACE_MS + 60_000);
    const afterRevoke = await statuses(ids);
    assert.equal(afterRevoke.published, 3, 'nothing published after the revocation');
    assert.equal(afterRevoke.failed, 3, 'days 4-6 failed once their grace passed');
    assert.equal(afterRevoke.paused, 4, 'the future ones wait, paused');
    const failed = await h.ctx.db.execute(sql`select distinct failure_code from post_targets where status = 'failed' and connection_id = ${connectionId}`);
    assert.deepEqual(failed.rows.map((r) => r.failure_code), ['connection_needs_reconnect']);

    await h.connect('x', bob, { connectionId });
    assert.deepEqual(await statuses(ids), { published: 3, failed: 3, scheduled: 4 });
    const retried = await retryFailedTargetsOfConnection(h.ctx, h.workspaceId, connectionId, h.ctx.clock.now());
    assert.equal(retried.length, 3);
    await runUntil(start + 12 * DAY);
    assert.deepEqual(await statuses(ids), { published: 10 });
    const onPlatform = h.emulator.core.posts.list({ platform: 'x', accountId: bob });
    assert.equal(onPlatform.length, 10);
    for (let day = 0; day < 10; day++) assert.equal(onPlatform.filter((p) => p.text === texts(day)).length, 1, `day ${day + 1} once`);
  });

  test('5xx, 429 with Retry-After and a response lost after the post was made: every target published exactly once', async () => {
    const connectionId = await h.connect('x', '1500000000000000001');
    const start = h.ctx.clock.nowMs();
    const before = h.emulator.core.posts.list({ platform: 'x' }).length;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push(...(await insertScheduledPost(h.ctx.db, {
        workspaceId: h.workspaceId,
        targets: [{ connectionId, platform: 'x' }],
        at: new Date(start + 60_000 + i * 3_600_000),
        now: h.ctx.clock.now(),
        text: `Fault drill ${i}`,
      })));
    }
    h.emulator.core.faults.add({ platform: 'x', endpoint: '/2/tweets', method: 'POST', kind: 'server_error', status: 503 });
    h.emulator.core.faults.add({ platform: 'x', endpoint: '/2/tweets', method: 'POST', kind: 'rate_limit', retryAfterS: 120 });
    h.emulator.core.faults.add({ platform: 'x', endpoint: '/2/tweets', method: 'POST', kind: 'drop_after_commit' });
    const outcomes = await runUntil(start + DAY);
    assert.deepEqual(await statuses(ids), { published: 4 });
    assert.ok(outcomes.includes('retry'), 'temporary failures were retried');
    assert.ok(outcomes.includes('found_published'), 'the lost response was found on the platform, not re-posted');
    const posted = h.emulator.core.posts.list({ platform: 'x' }).slice(before);
    for (let i = 0; i < 4; i++) assert.equal(posted.filter((p) => p.text === `Fault drill ${i}`).length, 1, `drill ${i} once`);
  });
});
