/**
 * Issue 6's "Done when": a time-travel instance started by `startInstance`, the composition
 * `perennial serve --time-travel` runs (src/testing/httpInstance.ts: a sandbox clock flowing from the real
 * time), with one connection of every platform connected through the API and the emulator's
 * consent page (Bluesky by app password), and a daily noon campaign to all of them but YouTube (a
 * YouTube post needs a video the instance can serve; see README), is moved through 400 days in
 * steps of one day with `POST /api/sandbox/advance`. Everything goes over HTTP on the network:
 * sign-up, the sandbox clock (GET /api/sandbox), connections, notifications, the planner, the
 * emulator's admin API (published posts, refresh counters), and the mail, which goes to an SMTP
 * server of the test. After every step the test records what the advance reported per queue and
 * what it can see; the tests below check it day by day. Run time: README ("A year in a minute").
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { checkPhase, nextCheckSlot, PREPOST_LEAD_MS } from '../lifecycle/planRefresh.ts';
import { verifyIntervalFor } from '../lifecycle/verificationPolicy.ts';
import { connectThroughApi, connectWithAppPassword, openHttpInstance, signUpOverHttp, type HttpInstance, type ListedConnection } from '../testing/httpInstance.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const DAYS = 400;
/** The whole year is one `before` hook: longer than the runner's default per-test timeout (measured: see README). */
const YEAR_TIMEOUT_MS = 30 * 60_000;
/** Where no refresh can keep the connection alive: they get warnings, then needs_reconnect. */
const ENDING = new Set(['facebook', 'instagram_fb', 'linkedin']);
const THRESHOLDS = [7, 3, 1];
/** Platforms posting text only in the campaign; the others get the picture (Instagram, TikTok, Pinterest need one). */
const TEXT_ONLY = ['facebook', 'linkedin', 'x', 'threads', 'bluesky', 'mastodon'];
const OWNER = 'owner@example.test';

type Queue = { name: string; kind: string; ran: number; failed: number };
type Notification = { id: string; kind: string; connectionId: string | null; createdAt: string; data: Record<string, unknown> };
type DayRecord = {
  day: number;
  /** The instants the advance reported: where the day began and ended on the sandbox clock. */
  from: number;
  to: number;
  advanceMs: number;
  queues: Record<string, Queue>;
  states: Map<string, { state: string; reason: string | null }>;
  /** Emulator posts per platform so far. */
  posts: Record<string, number>;
  /** Emulator refreshes per platform so far. */
  refreshes: Record<string, number>;
  reuseDetections: number;
  /** Mails the SMTP server received so far. */
  mails: number;
};

let s: HttpInstance;
/** Midnight UTC after the instance's start: day d ends at MIDNIGHT + d days. */
let midnight = 0;
const connections: ListedConnection[] = [];
let campaignTargets: ListedConnection[] = [];
const days: DayRecord[] = [];
let notifications: Notification[] = [];
let bearer: Record<string, string> = {};
let workspaceId = '';
let smtp: SMTPServer;
const mails: { to: string[]; raw: string }[] = [];

const SANDBOX_ACCOUNTS: { platform: string; accountId: string; pick?: string; instanceUrl?: string }[] = [
  { platform: 'facebook', accountId: '10001', pick: '20001' },
  { platform: 'instagram', accountId: '17841400000021001' },
  { platform: 'instagram_fb', accountId: '11001', pick: '17841400000011001' },
  { platform: 'linkedin', accountId: 'li-alice', pick: 'urn:li:person:li-alice' },
  { platform: 'x', accountId: '1500000000000000001' },
  { platform: 'tiktok', accountId: '-000AbCdEfGhAlice' },
  { platform: 'youtube', accountId: '109876543210000000001' },
  { platform: 'pinterest', accountId: '1150000000000000001' },
  { platform: 'threads', accountId: '25000000000000001' },
  { platform: 'mastodon', accountId: '109000000000000001', instanceUrl: 'mastodon.example' },
];

async function getJson<T>(path: string): Promise<T> {
  const res = await s.request('GET', path, { headers: bearer });
  assert.equal(res.status, 200, `GET ${path}: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json as T;
}

/** The end no refresh can pass, as the connection shows it at connect time. */
function endOf(c: ListedConnection): number {
  const end = c.hardEndAt ?? c.dataAccessExpiresAt ?? c.refreshExpiresAt;
  assert.ok(end, `${c.platform} shows its end (hardEndAt, dataAccessExpiresAt or refreshExpiresAt)`);
  return Date.parse(end);
}

async function observeDay(day: number, report: { from: string; to: string; queues: Queue[] }, advanceMs: number): Promise<DayRecord> {
  const { connections: listed } = await getJson<{ connections: ListedConnection[] }>(`/api/workspaces/${workspaceId}/connections`);
  const { posts } = await getJson<{ posts: { platform: string }[] }>('/_emulator/_admin/posts');
  const counters = await getJson<{ refreshesByGrant: Record<string, number>; reuseDetections: Record<string, number> }>('/_emulator/_admin/counters');
  const { grants } = await getJson<{ grants: { id: string; platform: string }[] }>('/_emulator/_admin/grants');
  const platformOf = new Map(grants.map((g) => [g.id, g.platform]));
  const count = (list: string[]) => list.reduce<Record<string, number>>((acc, p) => ({ ...acc, [p]: (acc[p] ?? 0) + 1 }), {});
  const refreshes: Record<string, number> = {};
  for (const [grantId, n] of Object.entries(counters.refreshesByGrant)) {
    const p = platformOf.get(grantId) ?? 'unknown';
    refreshes[p] = (refreshes[p] ?? 0) + n;
  }
  return {
    day,
    from: Date.parse(report.from),
    to: Date.parse(report.to),
    advanceMs,
    queues: Object.fromEntries(report.queues.map((q) => [q.name, q])),
    states: new Map(listed.map((c) => [c.id, { state: c.state, reason: c.stateReason }])),
    posts: count(posts.map((p) => p.platform)),
    refreshes,
    reuseDetections: Object.values(counters.reuseDetections).reduce((a, b) => a + b, 0),
    mails: mails.length,
  };
}

before(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  s = await openHttpInstance({ env: { SMTP_URL: `smtp://127.0.0.1:${smtpPort}` } });

  const auth = await signUpOverHttp(s, OWNER);
  const clock = await s.request('GET', '/api/sandbox', { headers: auth.headers });
  assert.equal(clock.status, 200);
  const { now, timeTravel } = clock.json as { now: string; timeTravel: boolean };
  assert.equal(timeTravel, true);
  const startedAt = Date.parse(now);
  assert.ok(Math.abs(startedAt - Date.now()) < 10 * 60_000, 'the sandbox clock starts at the real time');
  midnight = Math.ceil(startedAt / DAY) * DAY;

  const ws = await s.request('POST', '/api/workspaces', { headers: auth.headers, body: { name: 'A year in the sandbox', timeZone: 'UTC' } });
  assert.equal(ws.status, 201, JSON.stringify(ws.json));
  workspaceId = (ws.json as { id: string }).id;
  for (const account of SANDBOX_ACCOUNTS) connections.push(await connectThroughApi(s, auth, workspaceId, account));
  connections.push(await connectWithAppPassword(s, auth, workspaceId, { platform: 'bluesky', identifier: 'alice.sandbox.bsky.social', password: 'abcd-efgh-ijkl-mnop' }));
  // A session lasts 14 days (SESSION_TTL_HOURS); a year is driven with the owner's API token, as the CLI is.
  const token = await s.request('POST', '/api/tokens', { headers: auth.headers, body: { name: 'year test' } });
  assert.equal(token.status, 201);
  bearer = { authorization: `Bearer ${(token.json as { token: string }).token}` };

  campaignTargets = connections.filter((c) => c.platform !== 'youtube');
  const campaign = await s.request('POST', `/api/workspaces/${workspaceId}/campaigns`, {
    headers: bearer,
    body: {
      name: 'Every day at noon',
      recurrence: { frequency: 'daily', times: ['12:00'], startDate: new Date(midnight).toISOString().slice(0, 10), count: DAYS },
      content: {
        text: 'Our daily post',
        mediaUrls: [`${s.emulatorUrl}/_samples/daily.jpg`], // a URL that answers: platforms fetch it
        overrides: Object.fromEntries(TEXT_ONLY.map((p) => [p, { mediaIds: [] }])),
      },
      connectionIds: campaignTargets.map((c) => c.id),
    },
  });
  assert.equal(campaign.status, 201, JSON.stringify(campaign.json));

  // Day 0 ends at the first midnight; day d at d midnights later: posts at noon are mid-day.
  for (let day = 0; day <= DAYS; day++) {
    const began = performance.now();
    const res = await s.request('POST', '/api/sandbox/advance', { headers: bearer, body: { to: new Date(midnight + day * DAY).toISOString() } });
    const advanceMs = performance.now() - began;
    assert.equal(res.status, 200, `day ${day}: ${JSON.stringify(res.json)}`);
    const report = res.json as { from: string; to: string; queues: Queue[] };
    assert.equal(Date.parse(report.to), midnight + day * DAY, `day ${day}: the clock moved to the day's end`);
    days.push(await observeDay(day, report, advanceMs));
  }
  notifications = (await getJson<{ items: Notification[] }>('/api/notifications?limit=200')).items;
}, { timeout: YEAR_TIMEOUT_MS });

after(async () => {
  await s?.close();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
});

const noon = (k: number) => midnight + (k - 1) * DAY + 12 * HOUR; // the k-th occurrence, k = 1..DAYS
/** The day whose window (the previous midnight, this midnight] holds instant `t` (day 0 ends at the first midnight). */
const dayOf = (t: number) => Math.max(0, Math.ceil((t - midnight) / DAY));
const endsOf = (c: ListedConnection) => (ENDING.has(c.platform) ? endOf(c) : Infinity);
const delta = (d: DayRecord, field: 'posts' | 'refreshes', platform: string) => (d[field][platform] ?? 0) - (d.day === 0 ? 0 : (days[d.day - 1]![field][platform] ?? 0));
const ran = (d: DayRecord, queue: string) => d.queues[queue]?.ran ?? 0;
/** A connection's check grid (planRefresh.ts), for platforms checked at least daily; null for the others. */
const dailyCheckGrid = (platform: string) => {
  const c = connections.find((x) => x.platform === platform)!;
  const interval = verifyIntervalFor(platform, DAY);
  if (interval === null || interval > DAY) return null;
  /** The first check slot at least half an interval after `afterMs`. */
  return { firstSlotAfter: (afterMs: number) => nextCheckSlot(checkPhase(c.id, interval), afterMs + interval / 2, interval), connectedAt: Date.parse(c.connectedAt) };
};
/** Whether a daily-checked connection's first check slot (half an interval after connecting, on its grid) comes before the first midnight. */
const firstCheckOnDay0 = (platform: string) => {
  const grid = dailyCheckGrid(platform);
  return grid !== null && grid.firstSlotAfter(grid.connectedAt) < midnight;
};
/**
 * Whether a daily-checked connection is checked again on the last day, after its last pre-post
 * refresh: with no post left to refresh for, the check returns to its slot, at least half an
 * interval after that refresh, which can still come before the last midnight.
 */
const checkAfterLastPost = (platform: string) => {
  const grid = dailyCheckGrid(platform);
  return grid !== null && grid.firstSlotAfter(noon(DAYS) - PREPOST_LEAD_MS) <= midnight + DAYS * DAY;
};
/** Every occurrence of the campaign (computed once the first midnight is known). */
const occurrences = () => Array.from({ length: DAYS }, (_, i) => noon(i + 1));

describe(`a year (${DAYS} days, one day at a time) in the sandbox`, () => {
  test('every step answered with the clock at the day\'s end; the run time is reported', () => {
    assert.equal(days.length, DAYS + 1);
    for (const d of days) assert.equal(d.to, midnight + d.day * DAY);
    const total = days.reduce((n, d) => n + d.advanceMs, 0);
    const slowest = Math.max(...days.map((d) => d.advanceMs));
    console.log(`# ${days.length} advances: ${(total / 1000).toFixed(1)} s in all, ${Math.round(total / days.length)} ms on average, slowest ${Math.round(slowest)} ms`);
  });

  test('no queue failed anything on any day', () => {
    const failures = days.flatMap((d) => Object.values(d.queues).filter((q) => q.failed > 0).map((q) => `day ${d.day}: ${q.name} failed ${q.failed}`));
    assert.deepEqual(failures, []);
  });

  test('publishing ran each day exactly the targets due that day on a usable connection; the grace sweep failed the others', () => {
    for (const d of days) {
      const today = occurrences().filter((t) => dayOf(t) === d.day);
      const usable = today.reduce((n, t) => n + campaignTargets.filter((c) => t < endsOf(c)).length, 0);
      const ended = today.reduce((n, t) => n + campaignTargets.filter((c) => t >= endsOf(c)).length, 0);
      assert.equal(ran(d, 'publishing'), usable, `day ${d.day}: publishing ran`);
      assert.equal(ran(d, 'publishing-grace'), ended, `day ${d.day}: targets failed after the reconnect grace`);
    }
  });

  test('each daily post is published exactly once per target, on its day, while its connection is usable', () => {
    for (const c of campaignTargets) {
      for (const d of days) {
        const expected = occurrences().filter((t) => t <= d.to && t < endsOf(c)).length;
        assert.equal(d.posts[c.platform] ?? 0, expected, `${c.platform} on day ${d.day}: posts on the platform`);
      }
    }
    assert.equal(days.at(-1)!.posts.youtube ?? 0, 0, 'YouTube is not in the campaign');
  });

  test('connections stay active all year wherever the platform allows it; the others turn needs_reconnect at their end', () => {
    for (const c of connections) {
      const end = endsOf(c);
      for (const d of days) {
        const seen = d.states.get(c.id);
        assert.equal(seen?.state, d.to < end ? 'active' : 'needs_reconnect', `${c.platform} on day ${d.day} (ends ${Number.isFinite(end) ? new Date(end).toISOString() : 'never'}): ${JSON.stringify(seen)}`);
      }
    }
    const linkedin = connections.find((c) => c.platform === 'linkedin')!;
    assert.ok(Math.abs(endOf(linkedin) - Date.parse(linkedin.connectedAt) - 365 * DAY) < 60_000, 'LinkedIn ends 365 days after consent');
    for (const p of ['facebook', 'instagram_fb']) {
      const c = connections.find((x) => x.platform === p)!;
      assert.ok(Math.abs(endOf(c) - Date.parse(c.connectedAt) - 90 * DAY) < 60_000, `${p}: data access ends 90 days after consent`);
    }
  });

  test('refreshes per platform per day, as the platforms\' rules make them', () => {
    const refreshDays = (p: string) => days.filter((d) => delta(d, 'refreshes', p) > 0);
    for (const d of days) {
      // No refresh mechanism: Facebook and Instagram via Facebook (Page tokens), Mastodon (tokens never expire).
      for (const p of ['facebook', 'instagram_fb', 'mastodon']) assert.equal(delta(d, 'refreshes', p), 0, `${p} on day ${d.day}`);
      // Two-hour access tokens and one post a day: one refresh before each post, none on a loop.
      // The first daily check (a refresh: the token has expired by then) falls on the connection's
      // slot at least 12 hours after connecting (planRefresh.ts): on day 0 when that slot comes
      // before the first midnight, and it may need one more on day 1. After the last post the check
      // returns to its slot, which may come on the last day. TikTok is checked weekly.
      for (const p of ['bluesky', 'tiktok', 'x']) {
        const n = delta(d, 'refreshes', p);
        if (d.day === 0) assert.equal(n, firstCheckOnDay0(p) ? 1 : 0, `${p} on day 0`);
        else if (d.day === 1) assert.ok(n === 1 || n === 2, `${p} on day 1: ${n}`);
        else if (d.day === DAYS) assert.equal(n, checkAfterLastPost(p) ? 2 : 1, `${p} on day ${d.day}, the last post's`);
        else assert.equal(n, 1, `${p} on day ${d.day}`);
      }
      // Hourly Google tokens, no posts: only the daily check refreshes (its hour drifts, so a day may see two or none).
      assert.ok(delta(d, 'refreshes', 'youtube') <= 2, `youtube on day ${d.day}: ${delta(d, 'refreshes', 'youtube')}`);
      if (d.day >= 2) assert.ok(delta(d, 'refreshes', 'youtube') + delta(days[d.day - 1]!, 'refreshes', 'youtube') >= 1, `youtube: checked on day ${d.day - 1} or ${d.day}`);
    }
    // Pinterest: the 60-day refresh token dies unused, so it is exercised 10 days after the last refresh
    // (a sixth of its idle life, no jitter): 10 day windows apart, give or take the window the instant falls in.
    const pinterest = refreshDays('pinterest');
    assert.ok(pinterest.every((d) => delta(d, 'refreshes', 'pinterest') === 1), 'pinterest: one refresh a day at most');
    const gaps = pinterest.map((d, i) => d.day - (i === 0 ? dayOf(Date.parse(connections.find((c) => c.platform === 'pinterest')!.connectedAt)) : pinterest[i - 1]!.day));
    assert.ok(gaps.every((g) => g >= 9 && g <= 11), `pinterest refreshed on days ${pinterest.map((d) => d.day).join(',')}`);
    assert.ok(pinterest.length >= 39 && DAYS - pinterest.at(-1)!.day <= 11, `pinterest kept alive all year (${pinterest.length} refreshes)`);
    // 60-day tokens (Instagram, Threads, LinkedIn's access token) are refreshed 10 days before they expire,
    // up to 2 days earlier (jitter): one refresh every 48 to 50 days, never two on a day. LinkedIn's stop at its end.
    for (const p of ['instagram', 'threads', 'linkedin']) {
      const c = connections.find((x) => x.platform === p)!;
      const seen = refreshDays(p);
      assert.ok(seen.every((d) => delta(d, 'refreshes', p) === 1), `${p}: one refresh a day at most`);
      // Counted in day windows: 48 to 50 days apart is 47 to 51 windows.
      let previous = dayOf(Date.parse(c.connectedAt));
      for (const d of seen) {
        assert.ok(d.day - previous >= 47 && d.day - previous <= 51, `${p}: refresh on day ${d.day}, ${d.day - previous} days after the previous`);
        previous = d.day;
      }
      assert.ok(Math.min(DAYS, dayOf(endsOf(c))) - previous <= 51, `${p}: kept refreshing (last on day ${previous})`);
    }
    assert.equal(days.at(-1)!.reuseDetections, 0, 'a rotated refresh token was never reused');
  });

  test('7, 3 and 1 days before each unpreventable end: one warning each, on its day, by notification and email; then one needs_reconnect', () => {
    for (const c of connections.filter((x) => ENDING.has(x.platform))) {
      const end = endOf(c);
      const mine = notifications.filter((n) => n.connectionId === c.id);
      for (const t of THRESHOLDS) {
        const warnings = mine.filter((n) => n.kind === 'expiring' && n.data.thresholdDays === t);
        assert.equal(warnings.length, 1, `${c.platform}: one ${t}-day warning (got ${warnings.length})`);
        const at = Date.parse(warnings[0]!.createdAt);
        // Raised once the threshold is crossed, at the latest within the next day.
        assert.ok(at >= end - t * DAY && at < end - t * DAY + DAY, `${c.platform}: ${t}-day warning at ${warnings[0]!.createdAt}, end ${new Date(end).toISOString()}`);
      }
      const ended = mine.filter((n) => n.kind === 'needs_reconnect');
      assert.equal(ended.length, 1, `${c.platform}: one needs_reconnect notice`);
      // The end is planned work: the state changes at the end instant itself.
      assert.ok(Date.parse(ended[0]!.createdAt) >= end && Date.parse(ended[0]!.createdAt) < end + 5 * 60_000, `${c.platform}: needs_reconnect at the end`);
      assert.equal(mine.length, 4, `${c.platform}: nothing else`);
    }
    const forever = new Set(connections.filter((c) => !ENDING.has(c.platform)).map((c) => c.id));
    const noisy = notifications.filter((n) => !n.connectionId || forever.has(n.connectionId));
    assert.deepEqual(noisy.map((n) => `${n.kind}: ${JSON.stringify(n.data)}`), [], 'no notification about connections that live on');
    // Each notification's email goes out on the day it is raised: mail.send ran that many jobs that day.
    for (const d of days) {
      const raised = notifications.filter((n) => dayOf(Date.parse(n.createdAt)) === d.day).length;
      assert.equal(ran(d, 'mail.send'), raised, `day ${d.day}: emails sent`);
      assert.equal(d.mails, notifications.filter((n) => Date.parse(n.createdAt) <= d.to).length, `day ${d.day}: emails received by the SMTP server`);
    }
    for (const q of ['webhook.deliver', 'alert-digest']) assert.equal(days.reduce((n, d) => n + ran(d, q), 0), 0, `${q}: nothing to do all year`);
  });

  test('at the end: the emails, and the planner with published targets and the ones that failed after the grace', async () => {
    assert.equal(mails.length, ENDING.size * (THRESHOLDS.length + 1), 'one email per warning and per needs_reconnect');
    assert.ok(mails.every((m) => m.to.length === 1 && m.to[0] === OWNER), 'to the workspace owner');
    for (const c of connections.filter((x) => ENDING.has(x.platform))) {
      const about = mails.filter((m) => m.raw.includes(c.displayName));
      assert.ok(about.length >= THRESHOLDS.length + 1, `${c.platform}: its emails name the account (${about.length})`);
    }
    const targets: { platform: string; status: string; platformPostId: string | null; failureCode: string | null }[] = [];
    for (let offset = 0; ; offset += 500) {
      const page = await getJson<{ items: { targets: typeof targets }[]; total: number }>(`/api/workspaces/${workspaceId}/planner?limit=500&offset=${offset}`);
      targets.push(...page.items.flatMap((p) => p.targets));
      if (offset + 500 >= page.total) {
        assert.equal(page.total, DAYS, 'one post per occurrence');
        break;
      }
    }
    for (const c of campaignTargets) {
      const mine = targets.filter((t) => t.platform === c.platform);
      const published = mine.filter((t) => t.status === 'published');
      const failed = mine.filter((t) => t.status === 'failed');
      assert.equal(mine.length, DAYS);
      assert.equal(published.length, occurrences().filter((t) => t < endsOf(c)).length, `${c.platform}: published`);
      assert.equal(published.length, days.at(-1)!.posts[c.platform] ?? 0, `${c.platform}: published targets = posts on the platform`);
      assert.equal(new Set(published.map((t) => t.platformPostId)).size, published.length, `${c.platform}: no platform post twice`);
      assert.equal(failed.length, occurrences().filter((t) => t >= endsOf(c)).length, `${c.platform}: failed after the grace`);
      assert.ok(failed.every((t) => t.failureCode === 'connection_needs_reconnect'), `${c.platform}: failed because the connection needs reconnecting`);
    }
  });
});
