import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createWorkspace, signUpAndSignIn } from '../testing/testUsers.ts';
import { openPostsTestApp, type PostsTestApp } from './testing/postsTestApp.ts';

// The test clock starts on Monday 2026-01-05 09:00 UTC (10:00 in Berlin).
describe('posts API', () => {
  let t: PostsTestApp;
  let x: string;
  let linkedin: string;
  let instagram: string;
  const url = (path = '') => `/api/workspaces/${t.workspaceId}/posts${path}`;
  const post = (payload: unknown, path = '') => t.app.inject({ method: 'POST', url: url(path), headers: t.auth.headers, payload: payload as object });

  before(async () => {
    t = await openPostsTestApp({ timeZone: 'Europe/Berlin' });
    x = await t.connect('x', { handle: 'perennial' });
    linkedin = await t.connect('linkedin');
    instagram = await t.connect('instagram');
  });
  after(() => t.close());

  it('schedules a post at a local time in the workspace zone, one due target per connection', async () => {
    const res = await post({ content: { text: 'Hello' }, connectionIds: [x, linkedin], scheduledAt: '2026-01-06T09:30' });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.equal(body.status, 'scheduled');
    assert.equal(body.scheduledAt, '2026-01-06T08:30:00.000Z');
    assert.equal(body.scheduledLocal, '2026-01-06T09:30');
    assert.equal(body.timeZone, 'Europe/Berlin');
    assert.equal(body.targets.length, 2);
    const rows = await t.ctx.database.query<{ status: string; due_at: Date; platform: string }>(
      'select status, due_at, platform from post_targets where post_id = $1 order by platform',
      [body.id],
    );
    assert.deepEqual(rows.rows.map((r) => [r.platform, r.status, new Date(r.due_at).toISOString()]), [
      ['linkedin', 'scheduled', '2026-01-06T08:30:00.000Z'],
      ['x', 'scheduled', '2026-01-06T08:30:00.000Z'],
    ]);
  });

  it('reports DST adjustments: a time in the spring gap moves forward, an ambiguous one takes the earlier offset', async () => {
    const gap = await post({ content: { text: 'gap' }, connectionIds: [x], scheduledAt: '2026-03-29T02:30' });
    assert.equal(gap.statusCode, 201, gap.body);
    assert.equal(gap.json().scheduledAt, '2026-03-29T01:30:00.000Z');
    assert.equal(gap.json().scheduledLocal, '2026-03-29T03:30');
    assert.equal(gap.json().timeAdjustment, 'dst_gap_shifted_forward');
    const overlap = await post({ content: { text: 'overlap' }, connectionIds: [x], scheduledAt: '2026-10-25T02:30' });
    assert.equal(overlap.json().scheduledAt, '2026-10-25T00:30:00.000Z');
    assert.equal(overlap.json().timeAdjustment, 'dst_overlap_earlier_offset');
  });

  it('refuses a post that breaks platform rules, with every problem per target, and writes nothing', async () => {
    const before = await t.ctx.database.query<{ n: number }>('select count(*)::int as n from posts');
    const res = await post({ content: { text: 'x'.repeat(300) }, connectionIds: [x, linkedin, instagram], scheduledAt: '2026-01-06T09:30' });
    assert.equal(res.statusCode, 400);
    const { error } = res.json();
    assert.equal(error.code, 'post_invalid');
    const issues = error.details.issues.map((i: { connectionId: string; code: string }) => [i.connectionId, i.code]);
    assert.deepEqual(issues, [
      [x, 'text_too_long'],
      [instagram, 'media_required'],
    ]);
    assert.match(error.details.issues[0].message, /x @perennial: the text is 300 weighted characters, at most 280/);
    const afterCount = await t.ctx.database.query<{ n: number }>('select count(*)::int as n from posts');
    assert.equal(afterCount.rows[0]!.n, before.rows[0]!.n);
  });

  it('lists every violation of every target: media URLs by type and count, videos the adapter cannot send, the appended link', async () => {
    const youtube = await t.connect('youtube');
    const res = await post({
      content: { text: 'a'.repeat(270), link: 'https://example.com/a-link-counted-as-23', mediaUrls: ['https://cdn.example.com/clip.mp4', 'https://cdn.example.com/photo.jpg'] },
      connectionIds: [x, linkedin, youtube],
      scheduledAt: '2026-01-06T09:30',
    });
    assert.equal(res.statusCode, 400);
    const issues = res.json().error.details.issues.map((i: { platform: string; field: string; code: string }) => `${i.platform}/${i.field}/${i.code}`);
    assert.deepEqual(issues, [
      'x/text/text_too_long', // 270 + 1 + 23
      'x/media/mixed_media',
      'linkedin/media/video_not_supported',
      'linkedin/media/mixed_media',
      'youtube/media/too_many_images',
      'youtube/media/mixed_media',
      'youtube/media/media_type_not_supported', // the photo
      'youtube/title/title_required',
    ]);
  });

  it('applies per-platform overrides before validating', async () => {
    const res = await post({
      content: { text: 'y'.repeat(400), overrides: { x: { text: 'short for X' } } },
      connectionIds: [x, linkedin],
      scheduledAt: '2026-01-06T09:30',
    });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.deepEqual(body.content.overrides, { x: { text: 'short for X' } }, 'the override is stored with the post');
    assert.deepEqual(body.targets.map((t: { platform: string; status: string }) => [t.platform, t.status]).sort(), [
      ['linkedin', 'scheduled'],
      ['x', 'scheduled'],
    ]);
  });

  it('refuses a time in the past and an unknown connection', async () => {
    const past = await post({ content: { text: 'late' }, connectionIds: [x], scheduledAt: '2026-01-05T09:00' });
    assert.equal(past.statusCode, 400);
    assert.equal(past.json().error.code, 'time_in_past');
    const unknown = await post({ content: { text: 'who' }, connectionIds: ['00000000-0000-4000-8000-000000000000'], scheduledAt: '2026-01-06T09:00' });
    assert.equal(unknown.json().error.code, 'post_invalid');
    assert.equal(unknown.json().error.details.issues[0].code, 'connection_not_found');
    // Minutes past 59 are refused, not rolled over (09:75 is not 10:15).
    const overflow = await post({ content: { text: 'late' }, connectionIds: [x], scheduledAt: '2026-01-06T09:75' });
    assert.equal(overflow.statusCode, 400);
    assert.equal(overflow.json().error.code, 'validation_failed');
    assert.match(overflow.json().error.message, /09:75.*minute/);
    const strict = await post({ content: { text: 'hi', color: 'red' }, connectionIds: [x] });
    assert.equal(strict.json().error.code, 'validation_failed');
  });

  it('keeps drafts without platform checks, then validates when they are scheduled', async () => {
    const draft = await post({ content: { text: 'z'.repeat(400) }, connectionIds: [x] });
    assert.equal(draft.statusCode, 201, draft.body);
    assert.equal(draft.json().status, 'draft');
    const id = draft.json().id;
    const refused = await t.app.inject({ method: 'POST', url: url(`/${id}/reschedule`), headers: t.auth.headers, payload: { scheduledAt: '2026-01-07T10:00' } });
    assert.equal(refused.json().error.code, 'post_invalid');
    const fixed = await t.app.inject({
      method: 'PATCH',
      url: url(`/${id}`),
      headers: t.auth.headers,
      payload: { content: { text: 'fits' }, scheduledAt: '2026-01-07T10:00' },
    });
    assert.equal(fixed.statusCode, 200, fixed.body);
    assert.equal(fixed.json().status, 'scheduled');
    assert.equal(fixed.json().targets[0].scheduledAt, '2026-01-07T09:00:00.000Z');
  });

  it('edits and reschedules a scheduled post, moving its targets’ due time in the same write', async () => {
    const created = (await post({ content: { text: 'one' }, connectionIds: [x], scheduledAt: '2026-01-08T12:00' })).json();
    const res = await t.app.inject({
      method: 'PATCH',
      url: url(`/${created.id}`),
      headers: t.auth.headers,
      payload: { scheduledAt: '2026-01-09T08:15', connectionIds: [x, linkedin], version: created.version },
    });
    assert.equal(res.statusCode, 200, res.body);
    const due = await t.ctx.database.query<{ due_at: Date }>('select due_at from post_targets where post_id = $1', [created.id]);
    assert.deepEqual(due.rows.map((r) => new Date(r.due_at).toISOString()), ['2026-01-09T07:15:00.000Z', '2026-01-09T07:15:00.000Z']);
    const stale = await t.app.inject({ method: 'PATCH', url: url(`/${created.id}`), headers: t.auth.headers, payload: { content: { text: 'two' }, version: created.version } });
    assert.equal(stale.statusCode, 409);
    assert.equal(stale.json().error.code, 'conflict');
    const back = await t.app.inject({ method: 'PATCH', url: url(`/${created.id}`), headers: t.auth.headers, payload: { scheduledAt: null } });
    assert.equal(back.json().status, 'draft');
    const dueAfter = await t.ctx.database.query<{ due_at: Date | null }>('select due_at from post_targets where post_id = $1', [created.id]);
    assert.ok(dueAfter.rows.every((r) => r.due_at === null));
  });

  it('refuses to edit a post after publishing (not_editable), and while a target is claimed', async () => {
    const created = (await post({ content: { text: 'gone' }, connectionIds: [x, linkedin], scheduledAt: '2026-01-08T12:00' })).json();
    await t.ctx.database.query(`update post_targets set lease_owner = 'w1', lease_until = $2 where post_id = $1 and platform = 'x'`, [
      created.id,
      new Date(t.ctx.clock.nowMs() + 60_000),
    ]);
    const claimed = await t.app.inject({ method: 'PATCH', url: url(`/${created.id}`), headers: t.auth.headers, payload: { content: { text: 'edit' } } });
    assert.equal(claimed.statusCode, 409);
    assert.equal(claimed.json().error.code, 'not_editable');
    await t.ctx.database.query(`update post_targets set status = 'published', lease_until = null where post_id = $1 and platform = 'x'`, [created.id]);
    for (const [method, path, payload] of [
      ['PATCH', '', { content: { text: 'edit' } }],
      ['POST', '/reschedule', { scheduledAt: '2026-01-10T10:00' }],
    ] as const) {
      const res = await t.app.inject({ method, url: url(`/${created.id}${path}`), headers: t.auth.headers, payload });
      assert.equal(res.statusCode, 409, path);
      assert.equal(res.json().error.code, 'not_editable');
    }
    // Cancelling stops what has not gone out; the published target stays published.
    const cancelled = await post({}, `/${created.id}/cancel`);
    assert.equal(cancelled.statusCode, 200, cancelled.body);
    const statuses = Object.fromEntries(cancelled.json().targets.map((tg: { platform: string; status: string }) => [tg.platform, tg.status]));
    assert.deepEqual(statuses, { x: 'published', linkedin: 'cancelled' });
  });

  it('cancels a scheduled post (no longer due) and duplicates it as a draft or at a new time', async () => {
    const created = (await post({ content: { text: 'dup me', link: 'https://example.com/a' }, connectionIds: [x], scheduledAt: '2026-01-08T12:00' })).json();
    const cancelled = await post(undefined, `/${created.id}/cancel`);
    assert.equal(cancelled.statusCode, 200, cancelled.body);
    assert.equal(cancelled.json().status, 'cancelled');
    const due = await t.ctx.database.query<{ due_at: Date | null }>('select due_at from post_targets where post_id = $1', [created.id]);
    assert.equal(due.rows[0]!.due_at, null);
    const again = await post(undefined, `/${created.id}/cancel`);
    assert.equal(again.statusCode, 200);
    const edit = await t.app.inject({ method: 'PATCH', url: url(`/${created.id}`), headers: t.auth.headers, payload: { content: { text: 'x' } } });
    assert.equal(edit.json().error.code, 'not_editable');
    const draft = await post({}, `/${created.id}/duplicate`);
    assert.equal(draft.statusCode, 201);
    assert.equal(draft.json().status, 'draft');
    assert.deepEqual(draft.json().content, created.content);
    const scheduled = await post({ scheduledAt: '2026-01-09T12:00' }, `/${created.id}/duplicate`);
    assert.equal(scheduled.json().status, 'scheduled');
    assert.notEqual(scheduled.json().id, created.id);
  });

  it('duplicates the per-platform overrides and options with the content', async () => {
    const mastodon = await t.connect('mastodon');
    const content = {
      text: 'Base text',
      link: 'https://example.com/dup',
      overrides: { x: { text: 'Short for X', options: { replySettings: 'following' } }, mastodon: { options: { visibility: 'unlisted', spoilerText: 'CW' } } },
    };
    const created = await post({ content, connectionIds: [x, mastodon], scheduledAt: '2026-01-08T12:00' });
    assert.equal(created.statusCode, 201, created.body);
    const copy = await post({ scheduledAt: '2026-01-09T12:00' }, `/${created.json().id}/duplicate`);
    assert.equal(copy.statusCode, 201, copy.body);
    assert.deepEqual(copy.json().content, { ...content, mediaIds: [] });
    const stored = await t.ctx.database.query<{ content: unknown }>('select content from posts where id = $1', [copy.json().id]);
    assert.deepEqual((stored.rows[0]!.content as { overrides: unknown }).overrides, content.overrides);
    assert.deepEqual(copy.json().targets.map((tg: { connectionId: string }) => tg.connectionId).sort(), [x, mastodon].sort());
  });

  it('keeps a paused target paused when its post is edited or rescheduled', async () => {
    const created = (await post({ content: { text: 'held' }, connectionIds: [x, linkedin], scheduledAt: '2026-01-08T12:00' })).json();
    // The publisher paused the X target on a token error; the connection itself still reads active.
    await t.ctx.database.query(`update post_targets set status = 'paused', paused_reason = 'token_revoked', due_at = null where post_id = $1 and platform = 'x'`, [created.id]);
    const moved = await t.app.inject({ method: 'POST', url: url(`/${created.id}/reschedule`), headers: t.auth.headers, payload: { scheduledAt: '2026-01-10T08:00' } });
    assert.equal(moved.statusCode, 200, moved.body);
    const edited = await t.app.inject({ method: 'PATCH', url: url(`/${created.id}`), headers: t.auth.headers, payload: { content: { text: 'held, edited' } } });
    assert.equal(edited.statusCode, 200, edited.body);
    const rows = await t.ctx.database.query<{ platform: string; status: string; paused_reason: string | null; due_at: Date | null; scheduled_at: Date }>(
      'select platform, status, paused_reason, due_at, scheduled_at from post_targets where post_id = $1 order by platform',
      [created.id],
    );
    assert.deepEqual(
      rows.rows.map((r) => [r.platform, r.status, r.paused_reason, r.due_at && new Date(r.due_at).toISOString(), new Date(r.scheduled_at).toISOString()]),
      [
        ['linkedin', 'scheduled', null, '2026-01-10T07:00:00.000Z', '2026-01-10T07:00:00.000Z'],
        ['x', 'paused', 'token_revoked', null, '2026-01-10T07:00:00.000Z'],
      ],
    );
  });

  it('refuses to cancel a post while one of its targets is being published, changing nothing', async () => {
    const created = (await post({ content: { text: 'in flight' }, connectionIds: [x, linkedin], scheduledAt: '2026-01-08T12:00' })).json();
    const statuses = async () =>
      (await t.ctx.database.query<{ platform: string; status: string }>('select platform, status from post_targets where post_id = $1 order by platform', [created.id])).rows.map((r) => `${r.platform}:${r.status}`);
    await t.ctx.database.query(`update post_targets set status = 'publishing', intent_at = $2 where post_id = $1 and platform = 'x'`, [created.id, t.ctx.clock.now()]);
    const publishing = await post({}, `/${created.id}/cancel`);
    assert.equal(publishing.statusCode, 409);
    assert.equal(publishing.json().error.code, 'not_editable');
    assert.deepEqual(await statuses(), ['linkedin:scheduled', 'x:publishing']);
    // Claimed under a live lease (about to record its intent): refused too.
    await t.ctx.database.query(`update post_targets set status = 'scheduled', intent_at = null, lease_owner = 'w1', lease_until = $2 where post_id = $1 and platform = 'x'`, [
      created.id,
      new Date(t.ctx.clock.nowMs() + 60_000),
    ]);
    assert.equal((await post({}, `/${created.id}/cancel`)).statusCode, 409);
    assert.deepEqual(await statuses(), ['linkedin:scheduled', 'x:scheduled']);
    const row = await t.ctx.database.query<{ cancelled_at: Date | null }>('select cancelled_at from posts where id = $1', [created.id]);
    assert.equal(row.rows[0]!.cancelled_at, null);
  });

  it('holds targets of a connection that needs reconnecting as paused, and refuses disconnected ones', async () => {
    const broken = await t.connect('mastodon', { state: 'needs_reconnect' });
    const gone = await t.connect('bluesky', { state: 'disconnected' });
    const res = await post({ content: { text: 'hold' }, connectionIds: [x, broken], scheduledAt: '2026-01-08T12:00' });
    const byPlatform = Object.fromEntries(res.json().targets.map((tg: { platform: string; status: string }) => [tg.platform, tg.status]));
    assert.deepEqual(byPlatform, { x: 'scheduled', mastodon: 'paused' });
    assert.equal(res.json().status, 'paused');
    const refused = await post({ content: { text: 'no' }, connectionIds: [gone], scheduledAt: '2026-01-08T12:00' });
    assert.equal(refused.json().error.details.issues[0].code, 'connection_disconnected');
  });

  it('answers 404 for another workspace’s post or connection, 403 to a viewer’s write, 401 without a session', async () => {
    const created = (await post({ content: { text: 'mine' }, connectionIds: [x], scheduledAt: '2026-01-08T12:00' })).json();
    const other = await signUpAndSignIn(t.app);
    const theirs = await createWorkspace(t.app, other, 'Theirs');
    const viaOwnWorkspace = await t.app.inject({ method: 'GET', url: `/api/workspaces/${theirs}/posts/${created.id}`, headers: other.headers });
    assert.equal(viaOwnWorkspace.statusCode, 404);
    const viaMine = await t.app.inject({ method: 'GET', url: url(`/${created.id}`), headers: other.headers });
    assert.equal(viaMine.statusCode, 404);
    const write = await t.app.inject({ method: 'PATCH', url: `/api/workspaces/${theirs}/posts/${created.id}`, headers: other.headers, payload: { content: { text: 'hijack' } } });
    assert.equal(write.statusCode, 404);
    const theirConnection = await t.connect('x');
    const crossConnection = await t.app.inject({
      method: 'POST',
      url: `/api/workspaces/${theirs}/posts`,
      headers: other.headers,
      payload: { content: { text: 'borrow' }, connectionIds: [theirConnection], scheduledAt: '2026-01-08T12:00' },
    });
    assert.equal(crossConnection.json().error.details.issues[0].code, 'connection_not_found');
    // A viewer of this workspace reads but cannot write.
    await t.ctx.database.query(`insert into workspace_members (workspace_id, user_id, role, created_at) values ($1, $2, 'viewer', $3)`, [
      t.workspaceId,
      other.userId,
      t.ctx.clock.now(),
    ]);
    assert.equal((await t.app.inject({ method: 'GET', url: url(`/${created.id}`), headers: other.headers })).statusCode, 200);
    const viewerWrite = await t.app.inject({ method: 'POST', url: url(`/${created.id}/cancel`), headers: other.headers });
    assert.equal(viewerWrite.statusCode, 403);
    assert.equal(viewerWrite.json().error.code, 'forbidden');
    const anonymous = await t.app.inject({ method: 'GET', url: url(`/${created.id}`) });
    assert.equal(anonymous.statusCode, 401);
    const malformed = await t.app.inject({ method: 'GET', url: url('/not-a-uuid'), headers: t.auth.headers });
    assert.equal(malformed.statusCode, 404);
  });
});
