import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { importCsv } from '../posts/importCsv.ts';
import { instantToLocal } from '../posts/localTime.ts';
import { insertTestConnection } from '../posts/testing/postsFixtures.ts';
import { openPostsTestApp, type PostsTestApp } from '../posts/testing/postsTestApp.ts';
import { createWorkspace } from '../testing/testUsers.ts';

/**
 * Daily series across both daylight-saving transitions of the southern hemisphere, where summer
 * time ends in April and starts in October: Sydney (one hour) and Lord Howe Island (half an
 * hour, so its gap and overlap are 30 minutes). The rules (localTime.ts): a time in the gap
 * moves forward by the gap, a time that happens twice takes the first (summer time) offset; the
 * other days keep their wall-clock time, so the instants' spacing changes on the transition day.
 */
describe('campaigns and CSV rows across southern-hemisphere DST transitions', () => {
  let t: PostsTestApp;
  let lordHowe: string;
  const connections: Record<string, string> = {};

  before(async () => {
    t = await openPostsTestApp({ timeZone: 'Australia/Sydney' });
    connections.sydney = await t.connect('x', { handle: 'sydney' });
    lordHowe = await createWorkspace(t.app, t.auth, 'Lord Howe', 'Australia/Lord_Howe');
    connections.lordHowe = await insertTestConnection(t.ctx.db, lordHowe, { platform: 'x', handle: 'lordhowe' });
  });
  after(() => t.close());

  async function series(workspaceId: string, connectionId: string, time: string, startDate: string) {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/workspaces/${workspaceId}/campaigns`,
      headers: t.auth.headers,
      payload: { name: `${time} from ${startDate}`, recurrence: { frequency: 'daily', times: [time], startDate, count: 3 }, content: { text: 'Daily' }, connectionIds: [connectionId] },
    });
    assert.equal(res.statusCode, 201, res.body);
    const rows = await t.ctx.database.query<{ slot: string; at: Date; zone: string }>(
      'select campaign_occurrence as slot, scheduled_at as at, time_zone as zone from posts where campaign_id = $1 order by scheduled_at',
      [res.json().id],
    );
    return {
      adjustments: res.json().timeAdjustments,
      occurrences: rows.rows.map((r) => [r.slot, new Date(r.at).toISOString(), instantToLocal(new Date(r.at), r.zone)]),
    };
  }

  it('Sydney, April (clocks go back 03:00 → 02:00): 02:30 on the 5th happens twice, the first one is used', async () => {
    const got = await series(t.workspaceId, connections.sydney!, '02:30', '2026-04-04');
    assert.deepEqual(got.occurrences, [
      ['2026-04-04T02:30', '2026-04-03T15:30:00.000Z', '2026-04-04T02:30'], // AEDT +11
      ['2026-04-05T02:30', '2026-04-04T15:30:00.000Z', '2026-04-05T02:30'], // still AEDT
      ['2026-04-06T02:30', '2026-04-05T16:30:00.000Z', '2026-04-06T02:30'], // AEST +10: 25 hours later
    ]);
    assert.deepEqual(got.adjustments, [{ occurrence: '2026-04-05T02:30', scheduledLocal: '2026-04-05T02:30', adjustment: 'dst_overlap_earlier_offset' }]);
  });

  it('Sydney, October (clocks go forward 02:00 → 03:00): 02:30 on the 4th does not exist and becomes 03:30', async () => {
    const got = await series(t.workspaceId, connections.sydney!, '02:30', '2026-10-03');
    assert.deepEqual(got.occurrences, [
      ['2026-10-03T02:30', '2026-10-02T16:30:00.000Z', '2026-10-03T02:30'], // AEST +10
      ['2026-10-04T02:30', '2026-10-03T16:30:00.000Z', '2026-10-04T03:30'], // moved forward by the gap, AEDT +11
      ['2026-10-05T02:30', '2026-10-04T15:30:00.000Z', '2026-10-05T02:30'],
    ]);
    assert.deepEqual(got.adjustments, [{ occurrence: '2026-10-04T02:30', scheduledLocal: '2026-10-04T03:30', adjustment: 'dst_gap_shifted_forward' }]);
  });

  it('Lord Howe, April (02:00 → 01:30): 01:45 on the 5th happens twice, the first (+11:00) is used', async () => {
    const got = await series(lordHowe, connections.lordHowe!, '01:45', '2026-04-04');
    assert.deepEqual(got.occurrences, [
      ['2026-04-04T01:45', '2026-04-03T14:45:00.000Z', '2026-04-04T01:45'],
      ['2026-04-05T01:45', '2026-04-04T14:45:00.000Z', '2026-04-05T01:45'],
      ['2026-04-06T01:45', '2026-04-05T15:15:00.000Z', '2026-04-06T01:45'], // +10:30: 24.5 hours later
    ]);
    assert.deepEqual(got.adjustments, [{ occurrence: '2026-04-05T01:45', scheduledLocal: '2026-04-05T01:45', adjustment: 'dst_overlap_earlier_offset' }]);
  });

  it('Lord Howe, October (02:00 → 02:30): 02:15 on the 4th moves forward by the 30-minute gap to 02:45', async () => {
    const got = await series(lordHowe, connections.lordHowe!, '02:15', '2026-10-03');
    assert.deepEqual(got.occurrences, [
      ['2026-10-03T02:15', '2026-10-02T15:45:00.000Z', '2026-10-03T02:15'], // +10:30
      ['2026-10-04T02:15', '2026-10-03T15:45:00.000Z', '2026-10-04T02:45'], // +11:00
      ['2026-10-05T02:15', '2026-10-04T15:15:00.000Z', '2026-10-05T02:15'],
    ]);
    assert.deepEqual(got.adjustments, [{ occurrence: '2026-10-04T02:15', scheduledLocal: '2026-10-04T02:45', adjustment: 'dst_gap_shifted_forward' }]);
  });

  it('CSV rows in the Lord Howe gap and overlap are moved by the same rules and reported', async () => {
    const csv = [
      'time,connections,text',
      '2026-10-04 02:00,x:lordhowe,start of the gap',
      '2026-10-04 02:29,x:lordhowe,end of the gap',
      '2026-10-04 02:30,x:lordhowe,first minute after',
      '2026-04-05 01:30,x:lordhowe,start of the overlap',
      '2026-04-05 02:00,x:lordhowe,after the overlap',
    ].join('\n');
    const result = await importCsv(t.ctx, { workspaceId: lordHowe, timeZone: 'Australia/Lord_Howe', userId: t.auth.userId }, csv);
    assert.equal(result.imported, 5);
    assert.deepEqual(result.adjustments, [
      { row: 2, time: '2026-10-04 02:00', scheduledLocal: '2026-10-04T02:30', adjustment: 'dst_gap_shifted_forward' },
      { row: 3, time: '2026-10-04 02:29', scheduledLocal: '2026-10-04T02:59', adjustment: 'dst_gap_shifted_forward' },
      { row: 5, time: '2026-04-05 01:30', scheduledLocal: '2026-04-05T01:30', adjustment: 'dst_overlap_earlier_offset' },
    ]);
    const at = await t.ctx.database.query<{ text: string; at: Date }>('select content->>\'text\' as text, scheduled_at as at from posts where id = any($1::uuid[]) order by scheduled_at, 1', [result.postIds]);
    assert.deepEqual(
      at.rows.map((r) => [r.text, new Date(r.at).toISOString()]),
      [
        ['start of the overlap', '2026-04-04T14:30:00.000Z'], // 01:30 at +11:00
        ['after the overlap', '2026-04-04T15:30:00.000Z'], // 02:00 at +10:30
        ['first minute after', '2026-10-03T15:30:00.000Z'],
        ['start of the gap', '2026-10-03T15:30:00.000Z'], // the same instant as 02:30
        ['end of the gap', '2026-10-03T15:59:00.000Z'],
      ],
    );
  });
});
