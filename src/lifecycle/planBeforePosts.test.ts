/**
 * Scheduling a post brings a short-lived token's refresh forward to just before it (planBeforePosts.ts),
 * through the real post writes (create, edit, retry) and the refresh engine, against the emulator.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { createPost, type PostScope } from '../posts/createPost.ts';
import { editPost } from '../posts/editPost.ts';
import { retryTarget } from '../publishing/resolveTargets.ts';
import type { PlatformId } from '../providers/types.ts';
import { PREPOST_LEAD_MS } from './planRefresh.ts';
import { getRefreshRow } from './refreshesRepo.ts';
import { openLifecycleHarness, type LifecycleHarness } from './testing/lifecycleHarness.ts';

const MIN = 60_000;
const H = 60 * MIN;

let h: LifecycleHarness;
let scope: PostScope;
before(async () => {
  h = await openLifecycleHarness();
  scope = { workspaceId: h.workspaceId, timeZone: 'UTC', userId: h.userId };
});
after(() => h.close());

/** A local date-time in UTC (the workspace's zone), to the minute. */
const local = (ms: number) => new Date(ms).toISOString().slice(0, 16);
const refreshesOf = (platform: PlatformId) => h.emulator.core.grants.listGrants(platform).reduce((n, g) => n + g.refreshCount, 0);
const plan = async (connectionId: string) => {
  const row = (await getRefreshRow(h.ctx.db, connectionId))!;
  return { purpose: row.purpose, dueAt: row.dueAt?.getTime() ?? null };
};
/** Connects and lets the engine make its first plan (a check, hours away). */
async function connected(platform: 'x' | 'bluesky' | 'threads' | 'mastodon', accountId: string): Promise<string> {
  const id = await h.connect(platform, accountId);
  await h.runDue();
  return id;
}
const post = (connectionIds: string[], atMs: number) =>
  createPost(h.ctx, scope, { content: { text: 'This afternoon', mediaIds: [] }, connectionIds, scheduledAt: local(atMs) });

test('a post this afternoon on an X connection checked tomorrow: its 2-hour token is refreshed 15 minutes before the post', async () => {
  const x = await connected('x', '1500000000000000001');
  const before = await plan(x);
  assert.equal(before.purpose, 'verify');
  assert.ok(before.dueAt! >= h.ctx.clock.nowMs() + 12 * H, 'the first check is at least half a day away');
  const refreshed = refreshesOf('x');

  const at = Math.ceil((h.ctx.clock.nowMs() + 3 * H) / MIN) * MIN;
  await post([x], at);
  assert.deepEqual(await plan(x), { purpose: 'plan', dueAt: h.ctx.clock.nowMs() }, 'marked for a re-plan in the post\'s transaction');
  assert.deepEqual(await h.runDue(), ['warned'], 'the re-plan calls no platform');
  assert.deepEqual(await plan(x), { purpose: 'prepost', dueAt: at - PREPOST_LEAD_MS });
  assert.equal(refreshesOf('x'), refreshed);

  await h.runUntil(at - MIN);
  assert.equal(refreshesOf('x'), refreshed + 1, 'one refresh, ahead of the post');
  const { rows } = await h.ctx.db.execute(sql`select access_expires_at from connections where id = ${x}`);
  assert.ok(new Date(String(rows[0]!.access_expires_at)).getTime() > at + H, 'the token covers the post');
});

test('left alone: a post the token covers, a long-lived or never-expiring token, a plan already earlier, a failure streak', async () => {
  const x = await connected('x', '1500000000000000002');
  const threads = await connected('threads', '25000000000000001'); // 60-day tokens
  const mastodon = await connected('mastodon', '109000000000000001');
  const plans = async () => Promise.all([x, threads, mastodon].map(plan));
  const planned = await plans();

  await post([x, threads, mastodon], h.ctx.clock.nowMs() + 30 * MIN); // X's fresh token lives 2 h
  await post([threads, mastodon], h.ctx.clock.nowMs() + 5 * H);
  assert.deepEqual(await plans(), planned);

  // X's check (its plan) comes before a post in two days: that plan stands.
  const xPlan = planned[0]!.dueAt!;
  await post([x], xPlan + 2 * H);
  assert.deepEqual(await plan(x), planned[0]);

  // During a failure streak the backoff decides; the publisher still refreshes just in time.
  await h.ctx.db.execute(sql`update connection_refreshes set retry_at = ${new Date(xPlan)}, attempts = 1 where connection_id = ${x}`);
  await post([x], h.ctx.clock.nowMs() + 4 * H);
  assert.deepEqual(await plan(x), planned[0]);
  await h.ctx.db.execute(sql`update connection_refreshes set retry_at = null, attempts = 0 where connection_id = ${x}`);
});

test('rescheduling a post, and retrying a failed one, plan the refresh for the new time', async () => {
  const bluesky = await connected('bluesky', 'did:plc:sandboxalice000000000001'); // 2-hour access tokens too
  const soon = h.ctx.clock.nowMs() + 30 * MIN;
  const created = await post([bluesky], soon);
  assert.notEqual((await plan(bluesky)).purpose, 'plan', 'the token covers the post');

  const later = Math.ceil((h.ctx.clock.nowMs() + 5 * H) / MIN) * MIN;
  await editPost(h.ctx, scope, created.id, { scheduledAt: local(later), version: created.version });
  assert.equal((await plan(bluesky)).purpose, 'plan');
  await h.runDue();
  assert.deepEqual(await plan(bluesky), { purpose: 'prepost', dueAt: later - PREPOST_LEAD_MS });

  // The post fails (say, the platform refused it); the user retries it for tomorrow morning.
  await h.ctx.db.execute(sql`update post_targets set status = 'failed', due_at = null, failure_code = 'rejected' where connection_id = ${bluesky}`);
  // Meanwhile the engine went back to the connection's check, 40 hours away.
  await h.ctx.db.execute(sql`update connection_refreshes set purpose = 'verify', due_at = ${new Date(h.ctx.clock.nowMs() + 40 * H)} where connection_id = ${bluesky}`);
  const retryAt = Math.ceil((h.ctx.clock.nowMs() + 20 * H) / MIN) * MIN;
  const targetId = String((await h.ctx.db.execute(sql`select id from post_targets where connection_id = ${bluesky}`)).rows[0]!.id);
  await retryTarget(h.ctx, h.workspaceId, targetId, new Date(retryAt));
  assert.equal((await plan(bluesky)).purpose, 'plan');
  await h.runDue();
  assert.deepEqual(await plan(bluesky), { purpose: 'prepost', dueAt: retryAt - PREPOST_LEAD_MS });
});
