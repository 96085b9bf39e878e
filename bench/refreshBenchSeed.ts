/**
 * Shared parts of `npm run bench:refresh`: connections of all eleven platforms seeded with tokens
 * minted by the emulator process (stored through the vault, as a connect would), a fixed number
 * of them made due, the planning measurements, and an RSS sampler.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { encryptTokens } from '../src/connections/credentials.ts';
import type { AppContext } from '../src/context.ts';
import type { Database } from '../src/db/database.ts';
import { getLifecycleConnection } from '../src/lifecycle/connectionLifecycleRow.ts';
import { planNext } from '../src/lifecycle/planNext.ts';
import { REFRESH_LEASE_MS } from '../src/lifecycle/refreshQueue.ts';
import { claimDueRefreshes, nextRefreshDueAt, releaseRefreshLease } from '../src/lifecycle/refreshesRepo.ts';
import { sandboxClient } from '../src/providers/registry.ts';
import type { PlatformId } from '../src/providers/types.ts';

const DAY = 86_400_000;

export type MintedGrant = { accountId: string; accessToken: string; accessExpiresAtMs: number | null; refreshToken: string | null; refreshExpiresAtMs: number | null };

type BenchPlatform = {
  id: PlatformId;
  /** Scopes as stored on the connection. */
  scopes: string[];
  /** Scopes of the emulator's grant (Google remembers the offline consent among them). */
  grantScopes: string[];
  /** Page tokens (Facebook) never expire, whatever the user token does. */
  pageToken?: boolean;
  minAgeDays?: number;
  meta?: (accountId: string) => Record<string, unknown>;
};

const YOUTUBE_UPLOAD = 'https://www.googleapis.com/auth/youtube.upload';

export const BENCH_PLATFORMS: BenchPlatform[] = [
  { id: 'x', scopes: ['tweet.read', 'tweet.write', 'users.read', 'offline.access'], grantScopes: ['tweet.read', 'tweet.write', 'users.read', 'offline.access'] },
  { id: 'tiktok', scopes: ['user.info.basic', 'video.publish'], grantScopes: ['user.info.basic', 'video.publish'] },
  { id: 'youtube', scopes: [YOUTUBE_UPLOAD], grantScopes: [YOUTUBE_UPLOAD, 'offline (access_type=offline)'] },
  { id: 'bluesky', scopes: ['com.atproto.access'], grantScopes: ['com.atproto.access'], meta: (id) => ({ did: id, handle: `${id.slice(8)}.bsky.social` }) },
  { id: 'pinterest', scopes: ['boards:read', 'pins:write', 'user_accounts:read'], grantScopes: ['boards:read', 'pins:write', 'user_accounts:read'] },
  { id: 'linkedin', scopes: ['openid', 'profile', 'w_member_social'], grantScopes: ['openid', 'profile', 'w_member_social'] },
  { id: 'instagram', scopes: ['instagram_business_basic', 'instagram_business_content_publish'], grantScopes: ['instagram_business_basic', 'instagram_business_content_publish'], minAgeDays: 2 },
  { id: 'threads', scopes: ['threads_basic', 'threads_content_publish'], grantScopes: ['threads_basic', 'threads_content_publish'], minAgeDays: 2 },
  { id: 'facebook', scopes: ['pages_show_list', 'pages_manage_posts'], grantScopes: ['pages_show_list', 'pages_manage_posts'], pageToken: true, meta: (id) => ({ userId: id }) },
  { id: 'instagram_fb', scopes: ['instagram_basic', 'instagram_content_publish'], grantScopes: ['instagram_basic', 'instagram_content_publish'], pageToken: true, meta: (id) => ({ userId: id }) },
  { id: 'mastodon', scopes: ['read', 'write'], grantScopes: ['read', 'write'], meta: () => ({ instanceUrl: 'https://mastodon.example' }) },
];

export function benchAccountId(platform: PlatformId, i: number): string {
  return platform === 'bluesky' ? `did:plc:bench${String(i).padStart(12, '0')}` : `bench-${platform}-${i}`;
}

/** The connection's platform account id (Mastodon's are `id@server`). */
function storedAccountId(platform: PlatformId, accountId: string): string {
  return platform === 'mastodon' ? `${accountId}@mastodon.example` : accountId;
}

/**
 * Inserts connections number `from` to `from + count - 1`, platforms in turn, each with a grant
 * minted by the emulator and its refresh plan due between an hour and 30 days from now.
 */
export async function seedConnections(ctx: AppContext, input: { emulatorUrl: string; workspaceId: string; from: number; count: number }): Promise<void> {
  const now = ctx.clock.now();
  const CHUNK = 1_000;
  for (let start = input.from; start < input.from + input.count; start += CHUNK) {
    const end = Math.min(input.from + input.count, start + CHUNK);
    const byPlatform = new Map<PlatformId, number[]>();
    for (let i = start; i < end; i++) {
      const p = BENCH_PLATFORMS[i % BENCH_PLATFORMS.length]!.id;
      byPlatform.set(p, [...(byPlatform.get(p) ?? []), i]);
    }
    const rows = [];
    const plans = [];
    for (const [platform, numbers] of byPlatform) {
      const spec = BENCH_PLATFORMS.find((p) => p.id === platform)!;
      // Accounts are numbered per platform, so each gets its own grant and its own account.
      const res = await fetch(`${input.emulatorUrl}/_bench/grants`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ platform, from: numbers[0], count: numbers.length }),
      });
      if (!res.ok) throw new Error(`minting ${platform} grants failed: ${res.status} ${await res.text()}`);
      const { grants } = (await res.json()) as { grants: MintedGrant[] };
      const issuedAt = new Date(now.getTime() - (spec.minAgeDays ?? 0) * DAY);
      for (const g of grants) {
        const id = randomUUID();
        const enc = encryptTokens(ctx, id, { accessToken: g.accessToken, refreshToken: g.refreshToken ?? undefined });
        const accessExp = spec.pageToken || g.accessExpiresAtMs === null ? null : new Date(g.accessExpiresAtMs);
        const refreshExp = g.refreshExpiresAtMs === null ? null : new Date(g.refreshExpiresAtMs);
        const app = platform === 'mastodon' ? 'bench-mastodon' : sandboxClient(platform).clientId;
        rows.push(sql`(${id}, ${input.workspaceId}, ${platform}, ${storedAccountId(platform, g.accountId)}, ${`Bench ${g.accountId}`}, 'user', 'active', ${now},
          ${accessExp}, ${refreshExp}, ${issuedAt}, ${`{${spec.scopes.map((s) => `"${s}"`).join(',')}}`}::text[], ${app}, ${now}, ${now},
          ${enc.accessTokenEnc}, ${enc.refreshTokenEnc ?? null}, ${JSON.stringify(spec.meta?.(g.accountId) ?? {})}::jsonb, ${now})`);
        plans.push(sql`(${id}, ${platform}, ${new Date(now.getTime() + 3_600_000 + Math.floor(Math.random() * 30 * DAY))}, 'refresh', ${now}, ${now})`);
      }
    }
    await ctx.db.execute(sql`insert into connections (id, workspace_id, platform, platform_account_id, display_name, kind, state, state_changed_at,
      access_expires_at, refresh_expires_at, issued_at, scopes, app_client_id, connected_at, last_verified_at, access_token_enc, refresh_token_enc, meta, updated_at)
      values ${sql.join(rows, sql`, `)}`);
    await ctx.db.execute(sql`insert into connection_refreshes (connection_id, platform, due_at, purpose, granted_at, updated_at) values ${sql.join(plans, sql`, `)}`);
  }
}

/** Exactly `count` rows (random ones) due now, every other one later: what the planning queries face. */
export async function makeDue(db: Database, input: { now: Date; count: number | 'all' }): Promise<void> {
  const later = sql`${input.now}::timestamptz + make_interval(secs => 3600 + floor(random() * 30 * 86400)::int)`;
  await db.execute(sql`update connection_refreshes set due_at = ${later}, purpose = 'refresh', lease_owner = null, lease_until = null,
    attempts = 0, retry_at = null, retry_purpose = null, in_flight_token_version = null`);
  const pick = input.count === 'all' ? sql`` : sql`order by random() limit ${input.count}`;
  await db.execute(sql`update connection_refreshes set due_at = ${input.now}::timestamptz - make_interval(secs => floor(random() * 60)::int)
    where connection_id in (select connection_id from connection_refreshes ${pick})`);
}

export type PlanningTiming = { claimMs: number; nextDueMs: number; planNextMs: number; totalMs: number };

/**
 * Median over `samples` of: claiming the next batch (the refresh queue's batch size, leases
 * released after), the next-due query, and planning one connection (planNext, its write included).
 */
export async function planningTiming(ctx: AppContext, input: { batchSize: number; samples: number }): Promise<PlanningTiming> {
  const claims: number[] = [];
  const nexts: number[] = [];
  const plans: number[] = [];
  const someIds = (await ctx.db.execute(sql`select connection_id from connection_refreshes order by random() limit ${input.samples}`)).rows.map((r) => String(r.connection_id));
  for (let i = 0; i < input.samples; i++) {
    const t0 = performance.now();
    const got = await claimDueRefreshes(ctx.db, { now: ctx.clock.now(), limit: input.batchSize, leaseMs: REFRESH_LEASE_MS, owner: 'plan-probe' });
    claims.push(performance.now() - t0);
    for (const item of got) await releaseRefreshLease(ctx.db, item.connectionId, 'plan-probe');
    const t1 = performance.now();
    await nextRefreshDueAt(ctx.db);
    nexts.push(performance.now() - t1);
    const c = await getLifecycleConnection(ctx.db, someIds[i % someIds.length]!);
    if (!c) continue;
    const t2 = performance.now();
    const due = (await ctx.db.execute(sql`select due_at from connection_refreshes where connection_id = ${c.id}`)).rows[0]?.due_at;
    await planNext(ctx, c, null, ctx.clock.now());
    plans.push(performance.now() - t2);
    // Put the row back where it was, so the number of due rows stays fixed.
    await ctx.db.execute(sql`update connection_refreshes set due_at = ${due as Date} where connection_id = ${c.id}`);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const timing = { claimMs: median(claims), nextDueMs: median(nexts), planNextMs: median(plans) };
  return { ...timing, totalMs: timing.claimMs + timing.nextDueMs + timing.planNextMs };
}

/** RSS every `everyMs` while running: peak, and steady (the median of the second half of the samples). */
export function sampleRss(everyMs = 250): { stop(): { peakMb: number; steadyMb: number } } {
  const samples: number[] = [];
  const timer = setInterval(() => samples.push(process.memoryUsage().rss), everyMs);
  samples.push(process.memoryUsage().rss);
  return {
    stop() {
      clearInterval(timer);
      samples.push(process.memoryUsage().rss);
      const half = samples.slice(Math.floor(samples.length / 2)).sort((a, b) => a - b);
      return { peakMb: Math.round(Math.max(...samples) / 1e6), steadyMb: Math.round(half[Math.floor(half.length / 2)]! / 1e6) };
    },
  };
}
