/**
 * A year of time travel for YouTube while the instance's Google app is in testing mode
 * (GOOGLE_OAUTH_TESTING_MODE, and the emulated Google ending each grant after 7 days): no
 * refresh can keep a grant beyond its 7th day, so every week the user is warned at connect, 3
 * and 1 days before the end (in-app and by email), the connection needs reconnecting on the day,
 * and the reconnect starts a new week. Nothing is ever lost silently.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { getLifecycleConnection } from './connectionLifecycleRow.ts';
import { openLifecycleHarness, type LifecycleHarness } from './testing/lifecycleHarness.ts';
import { startSmtpCapture } from './testing/smtpCapture.ts';

const H = 3_600_000;
const D = 24 * H;
const ALICE = '109876543210000000001';

let h: LifecycleHarness;
let smtp: Awaited<ReturnType<typeof startSmtpCapture>>;
before(async () => {
  smtp = await startSmtpCapture();
  h = await openLifecycleHarness({ env: { SMTP_URL: smtp.url, GOOGLE_OAUTH_TESTING_MODE: 'true', CONNECTION_VERIFY_INTERVAL_HOURS: '72' } });
  await h.ctx.jobs.work(h.ctx);
  const res = await fetch(`${h.emulator.url}/youtube/_admin/clients/sandbox-youtube/testing-mode`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ enabled: true }),
  });
  assert.equal(res.status, 200);
});
after(async () => {
  await h.close();
  await smtp.close();
});

const kindsSince = async (id: string, sinceMs: number) =>
  (await h.ctx.db.execute(sql`select kind, data->>'thresholdDays' as days from notifications where connection_id = ${id} and created_at >= ${new Date(sinceMs)} order by created_at`)).rows.map(
    (r) => (r.days ? `${String(r.kind)}:${String(r.days)}` : String(r.kind)),
  );

test('52 weeks of 7-day grants: each one warned at connect, 3 and 1 days ahead, ended on its day, reconnected', async () => {
  const start = h.ctx.clock.nowMs();
  const id = await h.connect('youtube', ALICE);
  let weeks = 0;
  while (h.ctx.clock.nowMs() < start + 365 * D - 7 * D) {
    const grantStart = h.ctx.clock.nowMs();
    const end = (await getLifecycleConnection(h.ctx.db, id))!.hardEndAt!.getTime();
    assert.equal(end, grantStart + 7 * D, `week ${weeks}: a 7-day grant`);
    await h.runUntil(end - 60_000);
    assert.equal((await getLifecycleConnection(h.ctx.db, id))!.state, 'active', `week ${weeks}: usable until its end`);
    await h.runUntil(end + 60_000);
    const c = (await getLifecycleConnection(h.ctx.db, id))!;
    assert.equal(c.state, 'needs_reconnect', `week ${weeks}`);
    assert.equal(c.stateReason, 'google_testing_mode');
    const expected = weeks === 0 ? [] : ['reconnected'];
    assert.deepEqual(await kindsSince(id, grantStart), [...expected, 'expiring:7', 'expiring:3', 'expiring:1', 'needs_reconnect'], `week ${weeks}`);
    // Each week's emails are out before the clock moves on (as a sandbox advance waits for its queues).
    const sent = await smtp.waitFor(5 * weeks + 4, 90_000);
    const subjects = () => sent.slice(Math.max(0, 5 * weeks - 5)).map((m) => /^Subject: (.*)$/m.exec(m.raw)?.[1]);
    assert.equal(sent.length, 5 * weeks + 4, `week ${weeks}: three warnings and the end, by email; the last ones: ${JSON.stringify(subjects())}`);
    await h.connect('youtube', ALICE, { connectionId: id });
    weeks += 1;
  }
  assert.equal(weeks, 52);
  const all = await h.ctx.db.execute(sql`select kind, count(*)::int as n from notifications where connection_id = ${id} group by kind order by kind`);
  assert.deepEqual(all.rows, [
    { kind: 'expiring', n: 3 * weeks },
    { kind: 'needs_reconnect', n: weeks },
    { kind: 'reconnected', n: weeks },
  ]);
  // The reconnected notices went out by email as well.
  assert.equal((await smtp.waitFor(5 * weeks, 90_000)).length, 5 * weeks);
});
