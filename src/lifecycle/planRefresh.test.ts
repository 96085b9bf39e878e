import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PlatformFacts } from '../providers/types.ts';
import { checkPhase, planRefresh, PREPOST_LEAD_MS, unpreventableEnd, type PlanInput } from './planRefresh.ts';
import { verifyIntervalFor } from './verificationPolicy.ts';

const H = 3_600_000;
const D = 24 * H;
const now = new Date(Date.UTC(2026, 0, 5, 9));
const at = (ms: number) => new Date(now.getTime() + ms);

function facts(refresh: PlatformFacts['refresh'], canVerify = false): PlanInput['facts'] {
  return { refresh, canVerify };
}

function base(over: Partial<PlanInput>): PlanInput {
  return {
    facts: facts({ kind: 'oauth_refresh', rotates: false }),
    accessExpiresAt: null,
    refreshExpiresAt: null,
    endAt: null,
    issuedAt: now,
    lastRefreshedAt: now,
    lastCheckedAt: now,
    nextPostAt: null,
    hasRefreshToken: true,
    warnDays: [7, 3, 1],
    verifyIntervalMs: 1000 * D, // out of the way unless a test needs it
    retry: null,
    now,
    random: () => 0,
    ...over,
    // A check grid through `now` unless the test places it: checks then fall a whole interval after the last one.
    checkPhaseMs: over.checkPhaseMs ?? (over.verifyIntervalMs ? now.getTime() % over.verifyIntervalMs : 0),
  };
}

test('a 60-day Instagram token is refreshed 10 days ahead, jitter only earlier, never before its minimum age', () => {
  const ig = facts({ kind: 'extend_same_token', rotates: false, minAgeMs: D });
  const plan = planRefresh(base({ facts: ig, accessExpiresAt: at(60 * D), hasRefreshToken: false }));
  assert.deepEqual(plan, { dueAt: at(50 * D), purpose: 'refresh' });
  const jittered = planRefresh(base({ facts: ig, accessExpiresAt: at(60 * D), random: () => 0.999 }));
  assert.ok(jittered.dueAt!.getTime() < at(50 * D).getTime() && jittered.dueAt!.getTime() >= at(50 * D - 6 * H).getTime());
  // A token issued an hour ago that expires in 2 days must still wait for its 24 h minimum age.
  const young = planRefresh(base({ facts: ig, issuedAt: at(-H), lastRefreshedAt: at(-50 * D), accessExpiresAt: at(2 * D) }));
  assert.equal(young.dueAt!.getTime(), at(23 * H + 60_000).getTime());
});

test('short-lived rotating tokens are not refreshed on a loop, only before a scheduled post and as a keep-alive', () => {
  const x = facts({ kind: 'oauth_refresh', rotates: true });
  const idle = planRefresh(base({ facts: x, accessExpiresAt: at(2 * H), verifyIntervalMs: D }));
  assert.deepEqual(idle, { dueAt: at(D), purpose: 'verify' }, 'no post: only the daily check, not every 2 h');
  const withPost = planRefresh(base({ facts: x, accessExpiresAt: at(2 * H), nextPostAt: at(5 * H), verifyIntervalMs: D }));
  assert.deepEqual(withPost, { dueAt: at(5 * H - PREPOST_LEAD_MS), purpose: 'prepost' });
  const bluesky = planRefresh(base({ facts: x, accessExpiresAt: at(2 * H), refreshExpiresAt: at(90 * D) }));
  assert.deepEqual(bluesky, { dueAt: at(83 * D), purpose: 'keepalive' });
});

test('a daily post is the daily check of a short-lived token: one refresh a day, not a check and a pre-post refresh', () => {
  const x = facts({ kind: 'oauth_refresh', rotates: true });
  // The check slot comes 6 h into the day, the post at noon: the pre-post refresh alone, within the interval.
  const daily = base({ facts: x, accessExpiresAt: at(2 * H), nextPostAt: at(D - 9 * H + 15 * 60_000), verifyIntervalMs: D, checkPhaseMs: (now.getTime() + 12 * H) % D });
  assert.deepEqual(planRefresh(daily), { dueAt: at(D - 9 * H), purpose: 'prepost' });
  // A post further away than the interval leaves the check where it was.
  const later = planRefresh({ ...daily, nextPostAt: at(3 * D) });
  assert.deepEqual(later, { dueAt: at(12 * H), purpose: 'verify' });
});

test('idle-dying refresh tokens get a keep-alive (Google: a sixth of 6 months)', () => {
  const google = facts({ kind: 'oauth_refresh', rotates: false, idleDeathMs: 180 * D });
  assert.deepEqual(planRefresh(base({ facts: google, accessExpiresAt: at(H) })), { dueAt: at(30 * D), purpose: 'keepalive' });
});

test('hard ends plan the warnings ahead and the state change on the day', () => {
  const linkedin = facts({ kind: 'oauth_refresh', rotates: false, fixedRefreshEnd: true });
  const end = at(20 * D);
  const plan = planRefresh(base({ facts: linkedin, accessExpiresAt: at(100 * D), endAt: end }));
  assert.deepEqual(plan, { dueAt: at(13 * D), purpose: 'warn' });
  const dayOf = planRefresh(base({ facts: linkedin, accessExpiresAt: at(100 * D), endAt: now, now }));
  assert.deepEqual(dayOf, { dueAt: now, purpose: 'hard_end' }, 'the end wins over a passed warning');
});

test('the unpreventable end is the earliest of the grant end, data access, fixed refresh end and inactivity', () => {
  const linkedin = { refresh: { kind: 'oauth_refresh', rotates: false, fixedRefreshEnd: true } } as const;
  const end = unpreventableEnd({
    facts: linkedin, accessExpiresAt: at(60 * D), refreshExpiresAt: at(365 * D), dataAccessExpiresAt: null,
    hardEndAt: null, hasRefreshToken: true, lastUsedAt: null, connectedAt: now, reauthAfterMs: null,
  });
  assert.deepEqual(end, { at: at(365 * D), reason: 'refresh_token_end' });
  const inactive = unpreventableEnd({
    facts: linkedin, accessExpiresAt: at(60 * D), refreshExpiresAt: at(365 * D), dataAccessExpiresAt: null,
    hardEndAt: null, hasRefreshToken: true, lastUsedAt: at(-10 * D), connectedAt: at(-20 * D), reauthAfterMs: 90 * D,
  });
  assert.deepEqual(inactive, { at: at(80 * D), reason: 'inactivity_reauth' });
  const facebookUser = unpreventableEnd({
    facts: { refresh: { kind: 'none', rotates: false } }, accessExpiresAt: at(60 * D), refreshExpiresAt: null,
    dataAccessExpiresAt: at(90 * D), hardEndAt: null, hasRefreshToken: false, lastUsedAt: null, connectedAt: now, reauthAfterMs: null,
  });
  assert.deepEqual(facebookUser, { at: at(60 * D), reason: 'access_token_end' });
});

test('a non-expiring token of a verifiable platform is only verified; with nothing to do there is no plan', () => {
  const mastodon = facts({ kind: 'none', rotates: false }, true);
  assert.deepEqual(planRefresh(base({ facts: mastodon, hasRefreshToken: false, verifyIntervalMs: D })), { dueAt: at(D), purpose: 'verify' });
  const silent = facts({ kind: 'none', rotates: false }, false);
  assert.deepEqual(planRefresh(base({ facts: silent, hasRefreshToken: false })), { dueAt: null, purpose: 'verify' });
});

test('checks of a herd connected together spread over the interval; an idle connection is checked once per interval exactly', () => {
  const perHour = new Array<number>(24).fill(0);
  for (let i = 0; i < 2400; i++) {
    const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const plan = planRefresh(base({ facts: facts({ kind: 'none', rotates: false }, true), hasRefreshToken: false, verifyIntervalMs: D, checkPhaseMs: checkPhase(id, D) }));
    const offset = plan.dueAt!.getTime() - now.getTime();
    assert.ok(offset >= 12 * H && offset <= 36 * H, 'at least half an interval after the last check, at most one and a half');
    perHour[Math.floor((plan.dueAt!.getTime() % D) / H)]! += 1;
  }
  assert.ok(Math.max(...perHour) < 200 && Math.min(...perHour) > 0, `about 100 an hour, not a herd: ${perHour.join(',')}`);

  const phase = checkPhase('some-connection', D);
  let checked = now;
  const times: number[] = [];
  for (let day = 0; day < 5; day++) {
    const plan = planRefresh(base({ facts: facts({ kind: 'none', rotates: false }, true), hasRefreshToken: false, verifyIntervalMs: D, checkPhaseMs: phase, lastCheckedAt: checked, now: checked }));
    times.push(plan.dueAt!.getTime());
    checked = plan.dueAt!;
  }
  assert.deepEqual(times.slice(1).map((t, i) => t - times[i]!), [D, D, D, D], 'no drift: the same time of day');
  assert.equal(times[0]! % D, phase);
});

test('TikTok, whose revocations arrive by webhook, is checked weekly; a platform without a check interval is not checked', () => {
  assert.equal(verifyIntervalFor('tiktok', D), 7 * D);
  assert.equal(verifyIntervalFor('x', D), D);
  const mastodon = facts({ kind: 'none', rotates: false }, true);
  assert.deepEqual(planRefresh(base({ facts: mastodon, hasRefreshToken: false, verifyIntervalMs: null })), { dueAt: null, purpose: 'verify' });
});

test('during a failure streak the retry replaces refresh and check plans; warnings and the end still come first', () => {
  const linkedin = facts({ kind: 'oauth_refresh', rotates: false, fixedRefreshEnd: true }, true);
  const retry = { at: at(5 * H), purpose: 'verify' as const };
  const streak = planRefresh(base({ facts: linkedin, accessExpiresAt: at(H), verifyIntervalMs: D, retry }));
  assert.deepEqual(streak, { dueAt: at(5 * H), purpose: 'verify' }, 'not the overdue refresh, the backoff');
  const warnFirst = planRefresh(base({ facts: linkedin, accessExpiresAt: at(H), endAt: at(7 * D + 2 * H), retry }));
  assert.deepEqual(warnFirst, { dueAt: at(2 * H), purpose: 'warn' });
  const overdue = planRefresh(base({ facts: linkedin, accessExpiresAt: at(H), retry: { at: at(-H), purpose: 'refresh' } }));
  assert.deepEqual(overdue, { dueAt: now, purpose: 'refresh' }, 'a retry time already passed is due now');
});
