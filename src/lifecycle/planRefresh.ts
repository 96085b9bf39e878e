/**
 * When a connection next needs the refresh engine, from its platform's rules (PlatformFacts.refresh)
 * and its stored expiries. Pure: no I/O, time and randomness come in as arguments.
 *
 * Candidates, the earliest wins:
 * - refresh: long-lived access tokens are refreshed ahead of their expiry (margin + jitter);
 * - prepost: short-lived tokens (X, TikTok, Bluesky, Google) are refreshed just before a scheduled
 *   post needs them, never on a loop that follows their 1-2 h lifetime;
 * - keepalive: refresh tokens that die unused (Google 6 months, Pinterest 60 days) or that expire
 *   on their own (rotating tokens) are exercised well before that;
 * - verify: a periodic check of platforms that can revoke silently (verificationPolicy.ts), on a
 *   slot grid of its own per connection so a herd connected together is spread over the interval;
 * - retry: during a failure streak, the backoff's next try replaces the four above;
 * - warn / hard_end: the 7/3/1-day warnings and the planned state change at an end no refresh passes.
 */
import { createHash } from 'node:crypto';
import type { PlatformFacts } from '../providers/types.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** An access token living less than this is "short-lived": refreshed on demand, not kept fresh in the background. */
export const SHORT_LIVED_ACCESS_MS = DAY;
/** Refresh long-lived tokens when a quarter of their life is left: room for days of retries during an outage. */
const REFRESH_MARGIN_FRACTION = 0.25;
/** ...but at least 1 h ahead (a retry or two) and never more than 10 days (platforms.md 11.2: IG/Threads 7-10 d). */
const REFRESH_MARGIN_MIN_MS = HOUR;
const REFRESH_MARGIN_MAX_MS = 10 * DAY;
/** Jitter spreads a herd of connections granted together; up to 20% of the margin, at most 6 h, always earlier. */
const JITTER_FRACTION = 0.2;
const JITTER_MAX_MS = 6 * HOUR;
/** IG/Threads refuse refreshing a token younger than minAgeMs; one more minute absorbs clock skew. */
const MIN_AGE_SLACK_MS = 60_000;
/** A short-lived token is refreshed this long before a scheduled post (the publish run claims it a little early). */
export const PREPOST_LEAD_MS = 15 * 60_000;
/** Use an idle-dying refresh token at a sixth of its idle life (Google: monthly), so one failed month cannot kill it. */
const IDLE_KEEPALIVE_FRACTION = 1 / 6;
/** Rotating refresh tokens with their own expiry are refreshed a week before it (several daily retries fit). */
const REFRESH_EXPIRY_MARGIN_MS = 7 * DAY;
/** A keep-alive driven by the refresh token's expiry runs at most once a day. */
const KEEPALIVE_MIN_GAP_MS = DAY;
/** Work other than an end is never planned sooner than this: a plan that stays in the past cannot spin a worker. */
const MIN_REPLAN_GAP_MS = 60_000;

export type RefreshPurpose = 'refresh' | 'prepost' | 'keepalive' | 'verify' | 'retry' | 'warn' | 'hard_end';

export type PlanInput = {
  facts: Pick<PlatformFacts, 'refresh' | 'canVerify'>;
  accessExpiresAt: Date | null;
  refreshExpiresAt: Date | null;
  /** The earliest end no refresh can pass (see unpreventableEnd), or null. */
  endAt: Date | null;
  issuedAt: Date;
  /** The last successful refresh, or the grant when there was none. */
  lastRefreshedAt: Date | null;
  /** The last successful verification (or refresh, which verifies as well). */
  lastCheckedAt: Date | null;
  /** The earliest scheduled post of this connection, if any. */
  nextPostAt: Date | null;
  hasRefreshToken: boolean;
  /** Days before `endAt` that warn the user (7, 3, 1 by default). */
  warnDays: readonly number[];
  /** How often the connection is checked at the platform; null: never (not silently revocable). */
  verifyIntervalMs: number | null;
  /** The connection's place on the check grid, 0 <= phase < verifyIntervalMs (see checkPhase). */
  checkPhaseMs: number;
  /** During a failure streak: when the backoff allows the next try and what it repeats (null: no streak). */
  retry: { at: Date; purpose: RefreshPurpose } | null;
  now: Date;
  /** 0 <= random() < 1; Math.random in production, fixed in tests. */
  random: () => number;
};

export type Plan = { dueAt: Date | null; purpose: RefreshPurpose };

type Candidate = { at: number; purpose: RefreshPurpose; streak?: boolean };

export function planRefresh(input: PlanInput): Plan {
  const candidates: Candidate[] = [];
  const now = input.now.getTime();
  const refreshable = input.facts.refresh.kind !== 'none' && (input.hasRefreshToken || input.facts.refresh.kind === 'extend_same_token');

  if (input.retry) {
    // A failure streak: the backoff decides the next try; only warnings and the end may come first.
    candidates.push({ at: input.retry.at.getTime(), purpose: input.retry.purpose, streak: true });
  } else {
    candidates.push(...maintenance(input, refreshable));
  }
  if (input.endAt) {
    const end = input.endAt.getTime();
    for (const days of input.warnDays) {
      const at = end - days * DAY;
      if (at > now) candidates.push({ at, purpose: 'warn' }); // a passed threshold is raised by the next run anyway
    }
    candidates.push({ at: end, purpose: 'hard_end' });
  }
  if (candidates.length === 0) return { dueAt: null, purpose: 'verify' };
  // A planned point already behind us is due now; an end beats every other purpose on a tie.
  candidates.sort((a, b) => a.at - b.at || rank(b.purpose) - rank(a.purpose));
  const first = candidates[0]!;
  // The backoff's own delay already spaces retries; an end is never postponed.
  const floor = first.purpose === 'hard_end' || first.streak ? now : now + MIN_REPLAN_GAP_MS;
  return { dueAt: new Date(Math.max(first.at, floor)), purpose: first.purpose };
}

/** Refreshes, keep-alives and checks: what keeps a healthy connection alive. */
function maintenance(input: PlanInput, refreshable: boolean): Candidate[] {
  const candidates: Candidate[] = [];
  const accessExpires = input.accessExpiresAt?.getTime() ?? null;
  const issued = input.issuedAt.getTime();
  const lastRefresh = (input.lastRefreshedAt ?? input.issuedAt).getTime();
  if (refreshable && accessExpires !== null) {
    const lifetime = Math.max(accessExpires - lastRefresh, 0);
    if (lifetime >= SHORT_LIVED_ACCESS_MS) {
      const margin = clamp(lifetime * REFRESH_MARGIN_FRACTION, REFRESH_MARGIN_MIN_MS, REFRESH_MARGIN_MAX_MS);
      const jitter = Math.min(margin * JITTER_FRACTION, JITTER_MAX_MS) * input.random();
      let at = accessExpires - margin - jitter;
      const minAge = input.facts.refresh.minAgeMs;
      if (minAge) at = Math.max(at, issued + minAge + MIN_AGE_SLACK_MS);
      candidates.push({ at, purpose: 'refresh' });
    } else if (input.nextPostAt && accessExpires < input.nextPostAt.getTime() + PREPOST_LEAD_MS) {
      candidates.push({ at: input.nextPostAt.getTime() - PREPOST_LEAD_MS, purpose: 'prepost' });
    }
  }
  if (refreshable && input.facts.refresh.idleDeathMs) {
    candidates.push({ at: lastRefresh + input.facts.refresh.idleDeathMs * IDLE_KEEPALIVE_FRACTION, purpose: 'keepalive' });
  }
  if (refreshable && input.refreshExpiresAt && !input.facts.refresh.fixedRefreshEnd) {
    // At most daily: a refresh that does not move the refresh token's expiry must not loop.
    const at = Math.max(input.refreshExpiresAt.getTime() - REFRESH_EXPIRY_MARGIN_MS, lastRefresh + KEEPALIVE_MIN_GAP_MS);
    candidates.push({ at, purpose: 'keepalive' });
  }
  if (input.verifyIntervalMs !== null && (input.facts.canVerify || refreshable)) {
    // The first slot at least half an interval after the last check: an idle connection is checked
    // exactly once per interval, and a refresh (which proves the grant too) pushes the check back.
    // A check of a short-lived token that has expired is made by refreshing it (refreshConnection).
    // A pre-post refresh within the interval is that check already: a daily post is one refresh a day.
    const lastChecked = (input.lastCheckedAt ?? input.lastRefreshedAt ?? input.issuedAt).getTime();
    const prepost = candidates.find((c) => c.purpose === 'prepost');
    if (!prepost || prepost.at > lastChecked + input.verifyIntervalMs) {
      candidates.push({ at: nextCheckSlot(input.checkPhaseMs, lastChecked + input.verifyIntervalMs / 2, input.verifyIntervalMs), purpose: 'verify' });
    }
  }
  return candidates;
}

/** The first instant at or after `afterMs` on the grid `phaseMs + k * intervalMs`. */
export function nextCheckSlot(phaseMs: number, afterMs: number, intervalMs: number): number {
  return phaseMs + Math.ceil((afterMs - phaseMs) / intervalMs) * intervalMs;
}

/**
 * A connection's fixed place on its check grid, from a hash of its id: connections connected
 * together (an agency's batch, an import) are checked spread evenly over the interval, and each
 * one at the same time of the interval every time (a deterministic jitter: no drift, no herd).
 */
export function checkPhase(connectionId: string, intervalMs: number): number {
  const h = createHash('sha256').update(connectionId).digest().readUInt32BE(0);
  return Math.floor((h / 0x1_0000_0000) * intervalMs);
}

/**
 * The earliest end no refresh can pass: a fixed refresh-token end (LinkedIn), Facebook's
 * data-access expiry, the stored hard end (Google testing mode, set by the adapter), an access
 * token that cannot be refreshed, and the instance's inactivity re-authentication policy.
 */
export function unpreventableEnd(input: {
  facts: Pick<PlatformFacts, 'refresh'>;
  accessExpiresAt: Date | null;
  refreshExpiresAt: Date | null;
  dataAccessExpiresAt: Date | null;
  hardEndAt: Date | null;
  /** Why the stored hard end exists, when the caller knows (Google testing mode). */
  hardEndReason?: string;
  hasRefreshToken: boolean;
  /** The last use of the connection: its grant or reconnect, or its last published post. */
  lastUsedAt: Date | null;
  connectedAt: Date;
  reauthAfterMs: number | null;
}): { at: Date; reason: string } | null {
  const ends: { at: Date; reason: string }[] = [];
  // On fixed-end platforms (LinkedIn) the stored hard end is the refresh token's end.
  if (input.hardEndAt) {
    ends.push({ at: input.hardEndAt, reason: input.hardEndReason ?? (input.facts.refresh.fixedRefreshEnd ? 'refresh_token_end' : 'grant_end') });
  }
  if (input.dataAccessExpiresAt) ends.push({ at: input.dataAccessExpiresAt, reason: 'data_access_expired' });
  if (input.refreshExpiresAt && input.facts.refresh.fixedRefreshEnd) ends.push({ at: input.refreshExpiresAt, reason: 'refresh_token_end' });
  const refreshable = input.facts.refresh.kind !== 'none' && (input.hasRefreshToken || input.facts.refresh.kind === 'extend_same_token');
  if (input.accessExpiresAt && !refreshable) ends.push({ at: input.accessExpiresAt, reason: 'access_token_end' });
  if (input.reauthAfterMs) {
    ends.push({ at: new Date((input.lastUsedAt ?? input.connectedAt).getTime() + input.reauthAfterMs), reason: 'inactivity_reauth' });
  }
  ends.sort((a, b) => a.at.getTime() - b.at.getTime());
  return ends[0] ?? null;
}

function rank(purpose: RefreshPurpose): number {
  return purpose === 'hard_end' ? 2 : purpose === 'warn' ? 1 : 0;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}
