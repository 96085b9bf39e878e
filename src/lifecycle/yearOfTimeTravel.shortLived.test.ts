/**
 * A year of time travel, on the emulator's clock, for the platforms with short-lived access tokens
 * (X 2 h, TikTok 2 h, YouTube 1 h, Bluesky 2 h; rotating refresh tokens except Google's): every
 * connection stays active all year with no user action, nobody is alerted, no rotated token is
 * ever presented, and the number of refreshes is exactly what the schedule says: idle, a
 * short-lived token is refreshed only at its connection's checks (one per check interval on its
 * own slot; TikTok weekly since its revocations come by webhook), never on its 1-2 h lifetime.
 * The check interval is 72 h here (CONNECTION_VERIFY_INTERVAL_HOURS) to keep the year quick.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'drizzle-orm';
import type { PlatformId } from '../providers/types.ts';
import { getLifecycleConnection } from './connectionLifecycleRow.ts';
import { checkPhase, nextCheckSlot } from './planRefresh.ts';
import { openLifecycleHarness, type LifecycleHarness } from './testing/lifecycleHarness.ts';
import { verifyIntervalFor } from './verificationPolicy.ts';

const H = 3_600_000;
const D = 24 * H;
const INTERVAL = 72 * H;

const ACCOUNTS: [PlatformId, string][] = [
  ['x', '1500000000000000001'],
  ['tiktok', '-000AbCdEfGhAlice'],
  ['youtube', '109876543210000000001'],
  ['bluesky', 'did:plc:sandboxalice000000000001'],
];

let h: LifecycleHarness;
before(async () => {
  h = await openLifecycleHarness({ env: { CONNECTION_VERIFY_INTERVAL_HOURS: '72' } });
});
after(() => h.close());

/** The checks the schedule plans in (from, to]: the connection's slots, the first half an interval after the connect. */
function plannedChecks(connectionId: string, intervalMs: number, fromMs: number, toMs: number): number {
  let n = 0;
  for (let t = nextCheckSlot(checkPhase(connectionId, intervalMs), fromMs + intervalMs / 2, intervalMs); t <= toMs; t += intervalMs) n += 1;
  return n;
}

test('X, TikTok, YouTube and Bluesky: active all year without the user, refreshed exactly at their checks', async () => {
  const start = h.ctx.clock.nowMs();
  const ids = new Map<PlatformId, string>();
  for (const [platform, account] of ACCOUNTS) ids.set(platform, await h.connect(platform, account));
  const end = start + 365 * D;
  await h.runUntil(end);

  for (const [platform, account] of ACCOUNTS) {
    const id = ids.get(platform)!;
    const c = (await getLifecycleConnection(h.ctx.db, id))!;
    assert.equal(c.state, 'active', `${platform} stays active`);
    assert.ok(c.lastRefreshedAt!.getTime() > end - 22 * D, `${platform} was refreshed lately`);
    const grants = h.emulator.core.grants.listGrants(platform).filter((g) => g.accountId === account && !g.revoked);
    assert.equal(grants.length, 1, `${platform}: the one grant of the connect is alive`);
    const expected = plannedChecks(id, verifyIntervalFor(platform, INTERVAL)!, start, end);
    assert.equal(grants[0]!.refreshCount, expected, `${platform}: one refresh per check, nothing else`);
    assert.equal(h.emulator.core.requests.refreshesByGrant.get(grants[0]!.id), expected, `${platform}: the emulator's counter agrees`);
    const logged = await h.ctx.db.execute(sql`select count(*)::int as n from access_log where connection_id = ${id} and action = 'refreshed'`);
    assert.equal(logged.rows[0]!.n, expected, `${platform}: every refresh is in the access register`);
  }
  const refreshes = (platform: PlatformId) => h.emulator.core.grants.listGrants(platform).reduce((n, g) => n + g.refreshCount, 0);
  // In 365 days less the first half interval: 8724 h / 72 h, 121 or 122 checks (the phase decides);
  // TikTok's interval is 7 of them (504 h): 16 or 17.
  assert.ok(refreshes('x') >= 121 && refreshes('x') <= 122, `X: one refresh per 72 h check, not one per 2 h token: ${refreshes('x')}`);
  assert.ok(refreshes('tiktok') >= 16 && refreshes('tiktok') <= 17, `TikTok: a check every 7 intervals (its revocations come by webhook): ${refreshes('tiktok')}`);
  assert.equal([...h.emulator.core.grants.reuseDetections.values()].reduce((a, b) => a + b, 0), 0, 'no rotated token was presented');
  assert.deepEqual((await h.ctx.db.execute(sql`select kind from notifications`)).rows, [], 'nobody was bothered');
  assert.deepEqual((await h.ctx.db.execute(sql`select * from connection_events`)).rows, [], 'no state change all year');
  assert.deepEqual((await h.ctx.db.execute(sql`select * from rotation_losses`)).rows, []);
});
