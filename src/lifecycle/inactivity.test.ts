/**
 * The inactivity re-authentication policy (CONNECTION_REAUTH_AFTER_DAYS=30) on Pinterest, whose
 * own grant never ends: measured from the last use (the grant or reconnect, the last published
 * post), warned 7, 3 and 1 days ahead, needs_reconnect on the day; a reconnect or a publish
 * starts the period again (no loop of needs_reconnect and duplicate alerts).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { getLifecycleConnection } from './connectionLifecycleRow.ts';
import { openLifecycleHarness, type LifecycleHarness } from './testing/lifecycleHarness.ts';

const D = 86_400_000;
const ALICE = '1150000000000000001';

let h: LifecycleHarness;
before(async () => {
  h = await openLifecycleHarness({ env: { CONNECTION_REAUTH_AFTER_DAYS: '30', CONNECTION_VERIFY_INTERVAL_HOURS: '168' } });
});
after(() => h.close());

const kinds = async (id: string) =>
  (await h.ctx.db.execute(sql`select kind, data->>'thresholdDays' as days from notifications where connection_id = ${id} order by created_at, kind`)).rows.map(
    (r) => (r.days ? `${String(r.kind)}:${String(r.days)}` : String(r.kind)),
  );

async function publishedPost(connectionId: string, atMs: number): Promise<void> {
  const at = new Date(atMs);
  const post = await h.ctx.db.execute(sql`
    insert into posts (workspace_id, content, scheduled_at, time_zone, created_at, updated_at)
    values (${h.workspaceId}, ${JSON.stringify({ text: 'hello' })}::jsonb, ${at}, 'UTC', ${at}, ${at}) returning id`);
  await h.ctx.db.execute(sql`
    insert into post_targets (post_id, workspace_id, connection_id, platform, status, scheduled_at, published_at, created_at, updated_at)
    values (${post.rows[0]!.id}, ${h.workspaceId}, ${connectionId}, 'pinterest', 'published', ${at}, ${at}, ${at}, ${at})`);
}

test('unused for 30 days: warned ahead, then needs_reconnect; a reconnect ends it for another 30 days', async () => {
  const start = h.ctx.clock.nowMs();
  const id = await h.connect('pinterest', ALICE);
  await h.runUntil(start + 30 * D - 60_000);
  assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'active');
  assert.deepEqual(await kinds(id), ['expiring:7', 'expiring:3', 'expiring:1']);
  await h.runUntil(start + 30 * D + 60_000);
  const ended = (await getLifecycleConnection(h.ctx.db, id))!;
  assert.equal(ended.state, 'needs_reconnect');
  assert.equal(ended.stateReason, 'inactivity_reauth');

  await h.connect('pinterest', ALICE, { connectionId: id });
  const back = (await getLifecycleConnection(h.ctx.db, id, { withLastUse: true }))!;
  assert.equal(back.state, 'active');
  assert.equal(back.lastUsedAt!.getTime(), h.ctx.clock.nowMs(), 'the reconnect is the last use');
  await h.runUntil(h.ctx.clock.nowMs() + 20 * D);
  assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'active', 'no loop back to needs_reconnect');
  assert.deepEqual(await kinds(id), ['expiring:7', 'expiring:3', 'expiring:1', 'needs_reconnect', 'reconnected']);
});

test('a published post is a use: the period starts again from it', async () => {
  const id = (await h.ctx.db.execute(sql`select id from connections where platform = 'pinterest'`)).rows[0]!.id as string;
  const reconnectedAt = (await getLifecycleConnection(h.ctx.db, id, { withLastUse: true }))!.lastUsedAt!.getTime();
  // 20 days after the reconnect, a post went out: the end moves to 30 days after it.
  await publishedPost(id, h.ctx.clock.nowMs());
  const postedAt = h.ctx.clock.nowMs();
  await h.runUntil(reconnectedAt + 30 * D + 60_000);
  assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'active', 'the old end passed without effect');
  const health = await h.ctx.db.execute(sql`select count(*)::int as n from notifications where connection_id = ${id} and kind = 'expiring' and created_at > ${new Date(reconnectedAt)}`);
  assert.equal(health.rows[0]!.n, 0, 'no warning about the end that moved away... until the new one nears');
  await h.runUntil(postedAt + 30 * D - 60_000);
  assert.deepEqual((await kinds(id)).slice(-3), ['expiring:7', 'expiring:3', 'expiring:1']);
  assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'active');
});
