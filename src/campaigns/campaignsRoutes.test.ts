import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signUpAndSignIn } from '../testing/testUsers.ts';
import { openPostsTestApp, type PostsTestApp } from '../posts/testing/postsTestApp.ts';

// Clock: Monday 2026-01-05 09:00 UTC (10:00 in Berlin).
describe('campaigns API', () => {
  let t: PostsTestApp;
  let x: string;
  let linkedin: string;
  let campaignId: string;
  const base = () => `/api/workspaces/${t.workspaceId}`;
  const send = (method: 'POST' | 'PATCH' | 'GET', path: string, payload?: object) =>
    t.app.inject({ method, url: `${base()}${path}`, headers: t.auth.headers, ...(payload ? { payload } : {}) });
  const seriesPosts = async () =>
    (
      await t.ctx.database.query<{ id: string; text: string; occurrence: string; scheduled_at: Date; detached: boolean; cancelled: boolean; targets: number }>(
        `select p.id, p.content->>'text' as text, p.campaign_occurrence as occurrence, p.scheduled_at, p.detached_from_campaign as detached,
                p.cancelled_at is not null as cancelled,
                (select count(*)::int from post_targets t where t.post_id = p.id and t.status = 'scheduled') as targets
         from posts p where p.campaign_id = $1 order by p.scheduled_at`,
        [campaignId],
      )
    ).rows;

  before(async () => {
    t = await openPostsTestApp({ timeZone: 'Europe/Berlin' });
    x = await t.connect('x');
    linkedin = await t.connect('linkedin');
  });
  after(() => t.close());

  it('refuses a series whose content breaks a platform rule, writing nothing', async () => {
    const res = await send('POST', '/campaigns', {
      name: 'Too long',
      recurrence: { frequency: 'daily', times: ['09:00'], startDate: '2026-01-06', count: 5 },
      content: { text: 'a'.repeat(281) },
      connectionIds: [x],
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'post_invalid');
    const bad = await send('POST', '/campaigns', {
      name: 'Bad',
      recurrence: { frequency: 'weekly', times: ['09:00'], startDate: '2026-01-06', count: 5 },
      content: { text: 'hi' },
      connectionIds: [x],
    });
    assert.equal(bad.json().error.code, 'validation_failed');
    const n = await t.ctx.database.query<{ n: number }>('select count(*)::int as n from campaigns');
    assert.equal(n.rows[0]!.n, 0);
  });

  it('materialises every day at 09:00 for 30 days as scheduled posts (today’s 09:00 has passed)', async () => {
    const res = await send('POST', '/campaigns', {
      name: 'Daily',
      recurrence: { frequency: 'daily', times: ['09:00'], startDate: '2026-01-05', count: 30 },
      content: { text: 'Daily tip' },
      connectionIds: [x, linkedin],
    });
    assert.equal(res.statusCode, 201, res.body);
    campaignId = res.json().id;
    assert.deepEqual(res.json().posts, { total: 29, upcoming: 29 });
    const posts = await seriesPosts();
    assert.equal(posts[0]!.occurrence, '2026-01-06T09:00');
    assert.equal(new Date(posts[0]!.scheduled_at).toISOString(), '2026-01-06T08:00:00.000Z');
    assert.ok(posts.every((p) => p.targets === 2));
  });

  it('edits one occurrence by itself, then the series: future occurrences follow, the edited one keeps its own', async () => {
    const [first, second] = await seriesPosts();
    const single = await send('PATCH', `/posts/${second!.id}`, { content: { text: 'Special edition' } });
    assert.equal(single.statusCode, 200, single.body);
    assert.equal(single.json().campaignId, campaignId, 'still shown with its campaign');
    assert.equal(single.json().detachedFromCampaign, true, 'and as out of the series');
    // The first occurrence goes out.
    await t.ctx.database.query(`update post_targets set status = 'published' where post_id = $1`, [first!.id]);
    t.ctx.clock.set(Date.parse('2026-01-06T09:00:00Z'));

    const res = await send('PATCH', `/campaigns/${campaignId}`, { content: { text: 'New daily tip' }, connectionIds: [x] });
    assert.equal(res.statusCode, 200, res.body);
    const posts = await seriesPosts();
    assert.equal(posts[0]!.text, 'Daily tip'); // published: untouched
    assert.equal(posts[1]!.text, 'Special edition'); // edited by itself: untouched
    assert.equal(posts[1]!.targets, 2);
    assert.ok(posts.slice(2).every((p) => p.text === 'New daily tip' && p.targets === 1));
    const tooLong = await send('PATCH', `/campaigns/${campaignId}`, { content: { text: 'b'.repeat(300) } });
    assert.equal(tooLong.json().error.code, 'post_invalid');
    assert.equal((await seriesPosts())[5]!.text, 'New daily tip');
  });

  it('changes the series’ recurrence: future occurrences are replaced, kept slots stay', async () => {
    const res = await send('PATCH', `/campaigns/${campaignId}`, {
      recurrence: { frequency: 'daily', weekdays: ['mo', 'tu', 'we', 'th', 'fr'], times: ['08:30', '17:00'], startDate: '2026-01-05', untilDate: '2026-01-09' },
    });
    assert.equal(res.statusCode, 200, res.body);
    const posts = await seriesPosts();
    assert.deepEqual(
      posts.map((p) => [p.occurrence, p.text]),
      [
        ['2026-01-06T09:00', 'Daily tip'],
        ['2026-01-06T17:00', 'New daily tip'],
        ['2026-01-07T08:30', 'New daily tip'],
        ['2026-01-07T09:00', 'Special edition'],
        ['2026-01-07T17:00', 'New daily tip'],
        ['2026-01-08T08:30', 'New daily tip'],
        ['2026-01-08T17:00', 'New daily tip'],
        ['2026-01-09T08:30', 'New daily tip'],
        ['2026-01-09T17:00', 'New daily tip'],
      ],
    );
    // Jan 6 08:30 Berlin had passed (clock: 10:00 Berlin); Jan 6 17:00 is still ahead: added.
    assert.equal(new Date(posts[1]!.scheduled_at).toISOString(), '2026-01-06T16:00:00.000Z');
  });

  it('cancels the series: future occurrences are cancelled, history stays', async () => {
    const other = await signUpAndSignIn(t.app);
    const hidden = await t.app.inject({ method: 'POST', url: `${base()}/campaigns/${campaignId}/cancel`, headers: other.headers });
    assert.equal(hidden.statusCode, 404);
    const res = await send('POST', `/campaigns/${campaignId}/cancel`);
    assert.equal(res.statusCode, 200, res.body);
    assert.ok(res.json().cancelledAt);
    const posts = await seriesPosts();
    assert.deepEqual(posts.filter((p) => !p.cancelled).map((p) => p.occurrence), ['2026-01-06T09:00', '2026-01-07T09:00']);
    const edit = await send('PATCH', `/campaigns/${campaignId}`, { name: 'again' });
    assert.equal(edit.json().error.code, 'not_editable');
  });
});
