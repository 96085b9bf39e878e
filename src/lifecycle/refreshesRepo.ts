/**
 * Data functions of the refresh engine's due table (connection_refreshes). Each takes the
 * database or transaction first. Times always come from the caller's clock.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import type { RefreshPurpose } from './planRefresh.ts';

/** 'plan': only compute the plan (a new or reconnected grant), no platform call. */
export type PlannedPurpose = RefreshPurpose | 'plan';

/**
 * A failure streak: consecutive failures, the last reason, when the backoff allows the next try
 * and what that try repeats (the purpose of the work that failed).
 */
export type FailureStreak = { attempts: number; lastError: string | null; retryAt: Date | null; retryPurpose: RefreshPurpose | null };

export const NO_STREAK: FailureStreak = { attempts: 0, lastError: null, retryAt: null, retryPurpose: null };

export type ClaimedRefresh = {
  connectionId: string;
  platform: string;
  purpose: PlannedPurpose;
  dueAt: Date;
  attempts: number;
  lastError: string | null;
  retryAt: Date | null;
  retryPurpose: RefreshPurpose | null;
  inFlightTokenVersion: number | null;
  leaseUntil: Date;
};

export function streakOf(item: Pick<ClaimedRefresh, 'attempts' | 'lastError' | 'retryAt' | 'retryPurpose'>): FailureStreak {
  return { attempts: item.attempts, lastError: item.lastError, retryAt: item.retryAt, retryPurpose: item.retryPurpose };
}

/**
 * Claims up to `limit` due rows with a lease (FOR UPDATE SKIP LOCKED only inside this one
 * statement; nothing stays locked while the platform is called). Rows of a platform paused for
 * an app-level error wait until the pause's retry time.
 */
export async function claimDueRefreshes(
  db: Database,
  input: { now: Date; limit: number; leaseMs: number; owner: string; connectionId?: string },
): Promise<ClaimedRefresh[]> {
  const leaseUntil = new Date(input.now.getTime() + input.leaseMs);
  const only = input.connectionId ? sql`and r.connection_id = ${input.connectionId}` : sql``;
  // An on-demand claim (connectionId given) takes the row whatever its due time.
  const due = input.connectionId ? sql`true` : sql`r.due_at is not null and r.due_at <= ${input.now}`;
  const res = await db.execute(sql`
    update connection_refreshes c
       set lease_owner = ${input.owner}, lease_until = ${leaseUntil}, updated_at = ${input.now}
     where c.connection_id in (
       select r.connection_id from connection_refreshes r
        where ${due} ${only}
          and (r.lease_until is null or r.lease_until < ${input.now})
          and not exists (select 1 from platform_pauses p where p.platform = r.platform and p.retry_at > ${input.now})
        order by r.due_at nulls last
        limit ${input.limit}
        for update skip locked)
    returning c.connection_id, c.platform, c.purpose, c.due_at, c.attempts, c.last_error, c.retry_at, c.retry_purpose, c.in_flight_token_version, c.lease_until`);
  return res.rows.map((r) => ({
    connectionId: String(r.connection_id),
    platform: String(r.platform),
    purpose: r.purpose as ClaimedRefresh['purpose'],
    dueAt: toDate(r.due_at) ?? input.now,
    attempts: Number(r.attempts),
    lastError: r.last_error === null || r.last_error === undefined ? null : String(r.last_error),
    retryAt: toDate(r.retry_at),
    retryPurpose: r.retry_purpose === null || r.retry_purpose === undefined ? null : (String(r.retry_purpose) as RefreshPurpose),
    inFlightTokenVersion: r.in_flight_token_version === null ? null : Number(r.in_flight_token_version),
    leaseUntil: toDate(r.lease_until)!,
  }));
}

/**
 * The earliest instant a row becomes claimable: the latest of its due time, its lease's end and its
 * platform's pause, minimised over every row. Three index-bound parts instead of one scan:
 * unleased rows of unpaused platforms (the due_at index, skipping only leased and paused rows),
 * leased rows (their own small partial index), and per paused platform its earliest unleased row.
 */
export async function nextRefreshDueAt(db: Database): Promise<Date | null> {
  const res = await db.execute(sql`
    select least(
      (select min(r.due_at) from connection_refreshes r
        where r.due_at is not null and r.lease_until is null
          and r.platform not in (select platform from platform_pauses)),
      (select min(greatest(r.due_at, r.lease_until, p.retry_at)) from connection_refreshes r
         left join platform_pauses p on p.platform = r.platform
        where r.lease_until is not null and r.due_at is not null),
      (select min(greatest(p.retry_at, f.due_at)) from platform_pauses p
         cross join lateral (select min(r.due_at) as due_at from connection_refreshes r
                              where r.platform = p.platform and r.due_at is not null and r.lease_until is null) f
        where f.due_at is not null)
    ) as at`);
  return toDate(res.rows[0]?.at);
}

/**
 * Creates or replaces a connection's plan (on connect, reconnect, after every outcome). It never
 * touches the lease: a worker mid-refresh keeps it, so a re-plan from elsewhere cannot start a
 * second refresh of the same grant. The lease holder frees it with releaseRefreshLease.
 * `streak`: the failure streak to store ('keep' leaves the stored one; default: none, after a
 * success or a new grant). `grantedAt`: set when a grant starts (kept otherwise).
 */
export async function planConnectionRefresh(
  db: Database,
  input: { connectionId: string; platform: string; dueAt: Date | null; purpose: PlannedPurpose; now: Date; streak?: FailureStreak | 'keep'; grantedAt?: Date },
): Promise<void> {
  const keep = input.streak === 'keep';
  const streak = input.streak === undefined || input.streak === 'keep' ? NO_STREAK : input.streak;
  await db.execute(sql`
    insert into connection_refreshes (connection_id, platform, due_at, purpose, attempts, last_error, retry_at, retry_purpose, granted_at, updated_at)
    values (${input.connectionId}, ${input.platform}, ${input.dueAt}, ${input.purpose}, ${streak.attempts}, ${streak.lastError}, ${streak.retryAt}, ${streak.retryPurpose},
            ${input.grantedAt ?? null}, ${input.now})
    on conflict (connection_id) do update
       set due_at = excluded.due_at, purpose = excluded.purpose,
           attempts = case when ${keep} then connection_refreshes.attempts else excluded.attempts end,
           last_error = case when ${keep} then connection_refreshes.last_error else excluded.last_error end,
           retry_at = case when ${keep} then connection_refreshes.retry_at else excluded.retry_at end,
           retry_purpose = case when ${keep} then connection_refreshes.retry_purpose else excluded.retry_purpose end,
           granted_at = coalesce(excluded.granted_at, connection_refreshes.granted_at),
           updated_at = excluded.updated_at`);
}

/**
 * Gives a plan (due now, purpose 'plan') to live connections that have none: connections created
 * by a flow that did not call onConnected, or before the engine existed. Bounded by `limit`.
 */
export async function adoptUnplannedConnections(db: Database, input: { now: Date; limit: number }): Promise<number> {
  const res = await db.execute(sql`
    insert into connection_refreshes (connection_id, platform, due_at, purpose, updated_at)
    select c.id, c.platform, ${input.now}, 'plan', ${input.now} from connections c
     where c.state in ('active', 'degraded')
       and not exists (select 1 from connection_refreshes r where r.connection_id = c.id)
     limit ${input.limit}
    on conflict (connection_id) do nothing
    returning connection_id`);
  return res.rows.length;
}

/** Frees the lease if `owner` still holds it (a lapsed holder cannot free its successor's lease). */
export async function releaseRefreshLease(db: Database, connectionId: string, owner: string): Promise<void> {
  await db.execute(sql`update connection_refreshes set lease_owner = null, lease_until = null
    where connection_id = ${connectionId} and lease_owner = ${owner}`);
}

/**
 * Marks a refresh call as started against `tokenVersion`, only while `owner` still holds the
 * lease and the stored tokens are still that version. False: the lease was lost (expired and
 * taken by another worker) or newer tokens were written since they were read (a sibling's
 * refresh, a reconnect); do not call the platform with what was read.
 */
export async function markRefreshInFlight(
  db: Database,
  input: { connectionId: string; owner: string; tokenVersion: number; now: Date },
): Promise<boolean> {
  const res = await db.execute(sql`
    update connection_refreshes set in_flight_token_version = ${input.tokenVersion}, last_attempt_at = ${input.now}, updated_at = ${input.now}
     where connection_id = ${input.connectionId} and lease_owner = ${input.owner} and lease_until > ${input.now}
       and exists (select 1 from connections c where c.id = ${input.connectionId} and c.token_version = ${input.tokenVersion})
    returning connection_id`);
  return res.rows.length === 1;
}

/** Clears the in-flight marker once the outcome of the call is written. */
export async function clearRefreshInFlight(db: Database, connectionId: string): Promise<void> {
  await db.execute(sql`update connection_refreshes set in_flight_token_version = null where connection_id = ${connectionId}`);
}

export async function getRefreshRow(db: Database, connectionId: string) {
  const res = await db.execute(sql`
    select connection_id, platform, due_at, purpose, lease_owner, lease_until, attempts, last_error, retry_at, retry_purpose, granted_at, last_attempt_at, in_flight_token_version
      from connection_refreshes where connection_id = ${connectionId}`);
  const r = res.rows[0];
  if (!r) return null;
  return {
    connectionId: String(r.connection_id),
    platform: String(r.platform),
    dueAt: toDate(r.due_at),
    purpose: String(r.purpose),
    leaseOwner: r.lease_owner === null ? null : String(r.lease_owner),
    leaseUntil: toDate(r.lease_until),
    attempts: Number(r.attempts),
    lastError: r.last_error === null ? null : String(r.last_error),
    retryAt: toDate(r.retry_at),
    grantedAt: toDate(r.granted_at),
    lastAttemptAt: toDate(r.last_attempt_at),
    inFlightTokenVersion: r.in_flight_token_version === null ? null : Number(r.in_flight_token_version),
  };
}

/** Timestamps come back as Date (pg) or string (PGlite raw rows) depending on the engine. */
export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(String(value));
}
