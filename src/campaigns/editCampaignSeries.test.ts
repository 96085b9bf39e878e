import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { claimDueTargets } from '../publishing/claimDueTargets.ts';
import { testEngine } from '../testing/testDatabase.ts';
import { openPostsTestApp, type PostsTestApp } from '../posts/testing/postsTestApp.ts';
import { editCampaignSeries } from './editCampaignSeries.ts';

/**
 * A series edit against the publisher: an occurrence the publisher claims (or is publishing) is
 * never changed or deleted under it. The race needs two database sessions at once, which only
 * the server engine has (the embedded one runs one transaction at a time, so there it cannot
 * happen); the rest runs on both.
 */
describe('series edits and the publisher', () => {
  let t: PostsTestApp;
  let x: string;
  const scope = () => ({ workspaceId: t.workspaceId, timeZone: 'UTC', userId: t.auth.userId });
  const createSeries = async (name: string, startDate: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/workspaces/${t.workspaceId}/campaigns`,
      headers: t.auth.headers,
      payload: { name, recurrence: { frequency: 'daily', times: ['09:00'], startDate, count: 3 }, content: { text: `${name} tip` }, connectionIds: [x] },
    });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().id as string;
  };
  const seriesPosts = async (campaignId: string) =>
    (
      await t.ctx.database.query<{ id: string; slot: string; text: string; status: string; lease_owner: string | null }>(
        `select p.id, p.campaign_occurrence as slot, p.content->>'text' as text, t.status, t.lease_owner
         from posts p join post_targets t on t.post_id = p.id where p.campaign_id = $1 order by p.scheduled_at`,
        [campaignId],
      )
    ).rows;

  before(async () => {
    t = await openPostsTestApp({ timeZone: 'UTC' });
    x = await t.connect('x');
  });
  after(() => t.close());

  it('leaves an occurrence that is being published as it is, and says so', async () => {
    const id = await createSeries('Publishing', '2026-01-06');
    const [first] = await seriesPosts(id);
    await t.ctx.database.query(`update post_targets set status = 'publishing', intent_at = $2 where post_id = $1`, [first!.id, t.ctx.clock.now()]);
    const view = await editCampaignSeries(t.ctx, scope(), id, { content: { text: 'Changed', mediaIds: [] } });
    assert.equal(view.occurrencesSkipped, 1);
    assert.deepEqual((await seriesPosts(id)).map((p) => p.text), ['Publishing tip', 'Changed', 'Changed']);
  });

  it('keeps the posts when an edit sends the same recurrence back: content changes in place', async () => {
    const id = await createSeries('Same rhythm', '2026-02-06');
    const before = await seriesPosts(id);
    const recurrence = (await t.app.inject({ method: 'GET', url: `/api/workspaces/${t.workspaceId}/campaigns/${id}`, headers: t.auth.headers })).json().recurrence;
    await editCampaignSeries(t.ctx, scope(), id, { recurrence, content: { text: 'Same rhythm, new words', mediaIds: [] } });
    const after = await seriesPosts(id);
    assert.deepEqual(after.map((p) => p.id), before.map((p) => p.id), 'the same posts');
    assert.deepEqual(after.map((p) => p.text), ['Same rhythm, new words', 'Same rhythm, new words', 'Same rhythm, new words']);
  });

  it(
    'waits for a claim that is under way and then leaves that occurrence alone (the targets are locked too)',
    { skip: testEngine === 'pglite' && 'needs two concurrent sessions (npm run test:pg)' },
    async () => {
      const id = await createSeries('Race', '2026-01-10');
      const [first] = await seriesPosts(id);
      // The publisher's clock reads 09:00 (the first occurrence is due); the editor's a second earlier.
      const due = new Date('2026-01-10T09:00:00Z');
      t.ctx.clock.set(due.getTime() - 1000);
      let claimed!: () => void;
      const claimHeld = new Promise<void>((resolve) => (claimed = resolve));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const claim = t.ctx.db.transaction(async (tx) => {
        const got = await claimDueTargets(tx, { now: due, limit: 10, leaseMs: 180_000, owner: 'publisher-1' });
        const firstTarget = (await t.ctx.database.query<{ id: string }>('select id from post_targets where post_id = $1', [first!.id])).rows[0]!.id;
        assert.ok(got.some((c) => c.id === firstTarget), 'the first occurrence is claimed');
        claimed();
        await gate;
      });
      await claimHeld;
      // A recurrence change replaces future occurrences: without the target locks it would delete the claimed one.
      const edit = editCampaignSeries(t.ctx, scope(), id, { recurrence: { frequency: 'daily', interval: 1, times: ['09:00', '18:00'], startDate: '2026-01-10', count: 6 } });
      await waitForLockWait();
      release();
      await claim;
      const view = await edit;
      assert.equal(view.occurrencesSkipped, 1);
      const after = await seriesPosts(id);
      const kept = after.find((p) => p.id === first!.id);
      assert.ok(kept, 'the claimed occurrence still exists');
      assert.equal(kept.lease_owner, 'publisher-1');
      assert.deepEqual(
        after.map((p) => p.slot),
        ['2026-01-10T09:00', '2026-01-10T18:00', '2026-01-11T09:00', '2026-01-11T18:00', '2026-01-12T09:00', '2026-01-12T18:00'],
      );
    },
  );

  /** Until some session of this test's database waits for a row lock (the edit, behind the claim). */
  async function waitForLockWait(): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const res = await t.ctx.database.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
      if (res.rows[0]!.n > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.fail('the edit never waited for the claimed target');
  }
});
