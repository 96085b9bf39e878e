import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createWorkspace, signUpAndSignIn, type TestAuth } from '../testing/testUsers.ts';
import { insertTestConnection } from './testing/postsFixtures.ts';
import { openPostsTestApp, type PostsTestApp } from './testing/postsTestApp.ts';

// Clock: Monday 2026-01-05 09:00 UTC. Workspace A is in Europe/Berlin, B in America/New_York.
describe('planner API', () => {
  let t: PostsTestApp;
  let x: string;
  let linkedin: string;
  let workspaceB: string;
  let bluesky: string;
  let other: TestAuth;
  const get = (url: string, auth: TestAuth = t.auth) => t.app.inject({ method: 'GET', url, headers: auth.headers });
  const create = async (workspaceId: string, payload: object) => {
    const res = await t.app.inject({ method: 'POST', url: `/api/workspaces/${workspaceId}/posts`, headers: t.auth.headers, payload });
    assert.equal(res.statusCode, 201, res.body);
    return res.json();
  };

  before(async () => {
    t = await openPostsTestApp({ timeZone: 'Europe/Berlin' });
    x = await t.connect('x');
    linkedin = await t.connect('linkedin', { hardEndAt: new Date('2026-01-20T00:00:00Z') });
    workspaceB = await createWorkspace(t.app, t.auth, 'B', 'America/New_York');
    bluesky = await insertTestConnection(t.ctx.db, workspaceB, { platform: 'bluesky', state: 'degraded' });
    // A: Jan 6 23:30 Berlin (= Jan 6 22:30 UTC), Jan 7 10:00 to X and LinkedIn, a draft, Jan 25 on LinkedIn.
    await create(t.workspaceId, { content: { text: 'late night' }, connectionIds: [x], scheduledAt: '2026-01-06T23:30' });
    await create(t.workspaceId, { content: { text: 'both' }, connectionIds: [x, linkedin], scheduledAt: '2026-01-07T10:00' });
    await create(t.workspaceId, { content: { text: 'idea' }, connectionIds: [x] });
    await create(t.workspaceId, { content: { text: 'after the end' }, connectionIds: [linkedin], scheduledAt: '2026-01-25T10:00' });
    // B: Jan 6 20:00 New York (= Jan 7 01:00 UTC): its own Jan 6.
    await create(workspaceB, { content: { text: 'evening in NY' }, connectionIds: [bluesky], scheduledAt: '2026-01-06T20:00' });
    other = await signUpAndSignIn(t.app);
  });
  after(() => t.close());

  it('lists a local date range with counts per status and per local day', async () => {
    const res = await get(`/api/workspaces/${t.workspaceId}/planner?from=2026-01-06&to=2026-01-07`);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.total, 2);
    assert.deepEqual(body.items.map((p: { content: { text: string } }) => p.content.text), ['late night', 'both']);
    assert.equal(body.counts.byStatus.scheduled, 3);
    assert.deepEqual(
      body.counts.byDay.map((d: { date: string; total: number }) => [d.date, d.total]),
      [
        ['2026-01-06', 1],
        ['2026-01-07', 2],
      ],
    );
  });

  it('filters by status, platform and connection, and lists drafts without a range', async () => {
    const drafts = (await get(`/api/workspaces/${t.workspaceId}/planner?status=draft`)).json();
    assert.deepEqual(drafts.items.map((p: { content: { text: string } }) => p.content.text), ['idea']);
    assert.equal(drafts.counts.byStatus.draft, 1);
    assert.equal(drafts.counts.byStatus.scheduled, 0);
    const onLinkedIn = (await get(`/api/workspaces/${t.workspaceId}/planner?platform=linkedin`)).json();
    assert.deepEqual(onLinkedIn.items.map((p: { content: { text: string } }) => p.content.text), ['both', 'after the end']);
    const byConnection = (await get(`/api/workspaces/${t.workspaceId}/planner?connectionId=${x}&status=scheduled,draft`)).json();
    assert.equal(byConnection.total, 3);
    const paged = (await get(`/api/workspaces/${t.workspaceId}/planner?limit=1&offset=1`)).json();
    assert.equal(paged.items.length, 1);
    assert.equal(paged.total, 4);
    const bad = await get(`/api/workspaces/${t.workspaceId}/planner?status=lost`);
    assert.equal(bad.statusCode, 400);
  });

  it('spans all of a user’s workspaces, each day local to its workspace', async () => {
    const body = (await get('/api/planner?from=2026-01-06&to=2026-01-06')).json();
    const texts = body.items.map((p: { content: { text: string } }) => p.content.text).sort();
    assert.deepEqual(texts, ['evening in NY', 'late night']);
    assert.deepEqual(
      body.counts.byDay.map((d: { date: string; workspaceId: string }) => [d.date, d.workspaceId]).sort(),
      [
        ['2026-01-06', t.workspaceId],
        ['2026-01-06', workspaceB],
      ].sort(),
    );
    const onlyB = (await get(`/api/planner?workspaceId=${workspaceB}`)).json();
    assert.equal(onlyB.total, 1);
  });

  it('flags posts at risk: a connection ending before the post, and a failing one', async () => {
    const res = (await get('/api/posts-at-risk')).json();
    const flagged = res.targets.map((tg: { platform: string; reason: string; scheduledAt: string }) => [tg.platform, tg.reason, tg.scheduledAt]);
    assert.deepEqual(flagged, [
      ['bluesky', 'refresh_failing', '2026-01-07T01:00:00.000Z'],
      ['linkedin', 'hard_end_before_post', '2026-01-25T09:00:00.000Z'],
    ]);
    const inA = (await get(`/api/workspaces/${t.workspaceId}/posts-at-risk`)).json();
    assert.equal(inA.targets.length, 1);
    assert.equal(inA.targets[0].connectionEndsAt, '2026-01-20T00:00:00.000Z');
  });

  it('shows another user nothing of these workspaces', async () => {
    assert.equal((await get(`/api/workspaces/${t.workspaceId}/planner`, other)).statusCode, 404);
    assert.equal((await get(`/api/workspaces/${t.workspaceId}/posts-at-risk`, other)).statusCode, 404);
    const all = (await get('/api/planner', other)).json();
    assert.equal(all.total, 0);
    assert.deepEqual((await get('/api/posts-at-risk', other)).json(), { targets: [] });
    const sneaky = (await get(`/api/planner?workspaceId=${t.workspaceId}`, other)).json();
    assert.equal(sneaky.total, 0);
  });
});
