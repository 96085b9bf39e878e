import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { localDateOf } from './localTime.ts';
import { queryPlanner, type PlannerQuery } from './planner.ts';
import { insertPosts, type NewPost } from './postsRepo.ts';
import { TARGET_STATUSES, type TargetStatus } from './schema.ts';
import { insertTestConnection, insertTestWorkspace } from './testing/postsFixtures.ts';

/**
 * The planner over a few thousand targets in two workspaces (Berlin and Auckland, whose days
 * differ): every page in order with no post twice or missing, and counts equal to a count done
 * here from the rows themselves, with and without filters.
 */
type Fixture = { postId: string; workspaceId: string; zone: string; at: Date | null; targets: { connectionId: string; platform: string; status: TargetStatus }[] };

let ctx: TestContext;
const fixtures: Fixture[] = [];
const workspaces: { id: string; zone: string; x: string; linkedin: string }[] = [];
const HOUR = 3_600_000;
const START = Date.UTC(2026, 2, 1, 0, 0);

before(async () => {
  ctx = await openTestContext();
  for (const zone of ['Europe/Berlin', 'Pacific/Auckland']) {
    const id = await insertTestWorkspace(ctx.db, { timeZone: zone });
    workspaces.push({ id, zone, x: await insertTestConnection(ctx.db, id, { platform: 'x' }), linkedin: await insertTestConnection(ctx.db, id, { platform: 'linkedin' }) });
  }
  const rows: NewPost[] = [];
  for (let i = 0; i < 1500; i++) {
    const w = workspaces[i % 2]!;
    // Every 7 hours over about a year; every 50th post a draft without a time; several posts share a time.
    const at = i % 50 === 49 ? null : new Date(START + Math.floor(i / 3) * 7 * HOUR);
    const both = i % 3 === 0;
    rows.push({
      workspaceId: w.id,
      content: { text: `post ${i}`, mediaIds: [] },
      scheduledAt: at,
      timeZone: w.zone,
      createdBy: null,
      targets: [
        { connectionId: w.x, platform: 'x', status: at ? 'scheduled' : 'draft' },
        ...(both ? [{ connectionId: w.linkedin, platform: 'linkedin', status: at ? ('scheduled' as const) : ('draft' as const) }] : []),
      ],
    });
  }
  const ids = await insertPosts(ctx.db, rows, ctx.clock.now());
  // Give some targets other states, as the publisher would have.
  await ctx.database.query(`update post_targets set status = 'published' where platform = 'x' and scheduled_at < $1`, [new Date(START + 60 * 24 * HOUR)]);
  await ctx.database.query(`update post_targets set status = 'failed' where platform = 'linkedin' and scheduled_at < $1`, [new Date(START + 30 * 24 * HOUR)]);
  const targets = await ctx.database.query<{ post_id: string; connection_id: string; platform: string; status: TargetStatus }>('select post_id, connection_id, platform, status from post_targets');
  const byPost = Map.groupBy(targets.rows, (t) => t.post_id);
  rows.forEach((r, i) => {
    const id = ids[i]!;
    fixtures.push({
      postId: id,
      workspaceId: r.workspaceId,
      zone: r.timeZone,
      at: r.scheduledAt,
      targets: (byPost.get(id) ?? []).map((t) => ({ connectionId: t.connection_id, platform: t.platform, status: t.status })),
    });
  });
});
after(() => ctx.close());

/** What the planner must answer, computed from the fixtures. */
function expected(q: Omit<PlannerQuery, 'limit' | 'offset'>) {
  const inRange = (f: Fixture) => {
    if (!q.from && !q.to) return true;
    if (!f.at) return false;
    const day = localDateOf(f.at, f.zone);
    return (!q.from || day >= q.from) && (!q.to || day <= q.to);
  };
  const byStatus = Object.fromEntries(TARGET_STATUSES.map((s) => [s, 0])) as Record<TargetStatus, number>;
  const byDay = new Map<string, number>();
  const posts: Fixture[] = [];
  for (const f of fixtures) {
    if (!q.workspaceIds.includes(f.workspaceId) || !inRange(f)) continue;
    const matching = f.targets.filter((t) => (!q.statuses || q.statuses.includes(t.status)) && (!q.platforms || q.platforms.includes(t.platform)));
    if (matching.length === 0) continue;
    posts.push(f);
    for (const t of matching) byStatus[t.status]++;
    if (f.at) {
      const key = `${localDateOf(f.at, f.zone)}/${f.workspaceId}`;
      byDay.set(key, (byDay.get(key) ?? 0) + matching.length);
    }
  }
  posts.sort((a, b) => (a.at && b.at ? a.at.getTime() - b.at.getTime() : a.at ? -1 : b.at ? 1 : 0) || (a.postId < b.postId ? -1 : 1));
  return { order: posts.map((p) => p.postId), byStatus, byDay: [...byDay.entries()].sort(([a], [b]) => a.localeCompare(b)) };
}

async function pageThrough(q: Omit<PlannerQuery, 'limit' | 'offset'>, limit: number) {
  const seen: string[] = [];
  let first;
  for (let offset = 0; ; offset += limit) {
    const page = await queryPlanner(ctx.db, { ...q, limit, offset });
    first ??= page;
    assert.equal(page.total, first.total, 'the total does not depend on the page');
    if (page.items.length === 0) break;
    assert.ok(page.items.length <= limit);
    seen.push(...page.items.map((p) => p.id));
  }
  return { seen, first: first! };
}

function assertAnswer(q: Omit<PlannerQuery, 'limit' | 'offset'>, got: Awaited<ReturnType<typeof pageThrough>>) {
  const want = expected(q);
  assert.ok(want.order.length > 0, 'the case is not empty');
  assert.equal(got.first.total, want.order.length);
  assert.equal(new Set(got.seen).size, got.seen.length, 'no post on two pages');
  assert.deepEqual(got.seen, want.order, 'every post once, earliest first, drafts last');
  assert.deepEqual(got.first.counts.byStatus, want.byStatus);
  const byDay = got.first.counts.byDay.map((d) => [`${d.date}/${d.workspaceId}`, d.total] as const).sort(([a], [b]) => a.localeCompare(b));
  assert.deepEqual(byDay, want.byDay);
  for (const d of got.first.counts.byDay) assert.equal(Object.values(d.byStatus).reduce((a, b) => a + b, 0), d.total);
}

describe('planner paging and counts in SQL', () => {
  it('pages through one workspace without a range (drafts last), counts right', async () => {
    const q = { workspaceIds: [workspaces[0]!.id] };
    assertAnswer(q, await pageThrough(q, 97));
  });

  it('across workspaces, a local date range, each day local to its workspace', async () => {
    const q = { workspaceIds: workspaces.map((w) => w.id), from: '2026-03-10', to: '2026-05-31' };
    const got = await pageThrough(q, 120);
    assertAnswer(q, got);
    // Auckland is 11-13 hours ahead: its days are not Berlin's.
    const days = new Set(got.first.counts.byDay.filter((d) => d.workspaceId === workspaces[1]!.id).map((d) => d.date));
    assert.ok(days.has('2026-03-10'));
  });

  it('filtered by status and platform', async () => {
    for (const q of [
      { workspaceIds: workspaces.map((w) => w.id), statuses: ['failed', 'published'] as TargetStatus[] },
      { workspaceIds: workspaces.map((w) => w.id), platforms: ['linkedin'], statuses: ['scheduled'] as TargetStatus[] },
      { workspaceIds: [workspaces[1]!.id], statuses: ['draft'] as TargetStatus[] },
    ]) {
      assertAnswer(q, await pageThrough(q, 250));
    }
  });

  it('an offset past the end answers the total and counts with no items', async () => {
    const res = await queryPlanner(ctx.db, { workspaceIds: [workspaces[0]!.id], limit: 10, offset: 10_000 });
    assert.deepEqual(res.items, []);
    assert.equal(res.total, 750);
    assert.equal(Object.values(res.counts.byStatus).reduce((a, b) => a + b, 0), fixtures.filter((f) => f.workspaceId === workspaces[0]!.id).reduce((n, f) => n + f.targets.length, 0));
  });
});
