/**
 * `npm run bench:refresh [-- --connections 100000 --seconds 20 --latency 20 --pg]`
 *
 * The refresh engine at scale: N connections of mixed platforms (tokens minted by the emulator,
 * stored through the vault), the emulator answering every request after `latency` ms. Reports:
 * - time to claim the next due batch (the planning query) at several table sizes: it must stay
 *   flat, since the claim walks the partial due_at index, not the table;
 * - refreshes per second of one worker process (claim + platform call + fenced write + re-plan),
 *   with the refresh queue's concurrency;
 * - memory (RSS, heap) of the process.
 * Engine: embedded PGlite by default; `--pg` uses PERENNIAL_TEST_PG_URL or the local server.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { SystemClock } from '../src/clock.ts';
import { loadConfig } from '../src/config.ts';
import { encryptTokens } from '../src/connections/credentials.ts';
import type { AppContext } from '../src/context.ts';
import { startEmulator } from '../src/emulator/core/registerEmulator.ts';
import { createJobs } from '../src/jobs/jobQueue.ts';
import { refreshConnection } from '../src/lifecycle/refreshConnection.ts';
import { claimDueRefreshes, nextRefreshDueAt, releaseRefreshLease } from '../src/lifecycle/refreshesRepo.ts';
import { REFRESH_LEASE_MS, refreshQueue } from '../src/lifecycle/refreshQueue.ts';
import { createLogger } from '../src/log.ts';
import { sandboxClient } from '../src/providers/registry.ts';
import type { PlatformId } from '../src/providers/types.ts';

const { values: args } = parseArgs({
  options: {
    connections: { type: 'string', default: '100000' },
    seconds: { type: 'string', default: '20' },
    latency: { type: 'string', default: '20' },
    pg: { type: 'boolean', default: false },
  },
});
if (args.pg) process.env.PERENNIAL_TEST_PG_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
const { openTestDatabase } = await import('../src/testing/testDatabase.ts');

const TOTAL = Number(args.connections);
const SECONDS = Number(args.seconds);
const LATENCY_MS = Number(args.latency);
const PLATFORMS: { id: PlatformId; scopes: string[] }[] = [
  { id: 'x', scopes: ['tweet.read', 'tweet.write', 'users.read', 'offline.access'] },
  { id: 'linkedin', scopes: ['openid', 'profile', 'w_member_social'] },
  { id: 'pinterest', scopes: ['boards:read', 'pins:write'] },
  { id: 'tiktok', scopes: ['user.info.basic', 'video.publish'] },
  { id: 'youtube', scopes: ['https://www.googleapis.com/auth/youtube.upload'] },
];

const clock = new SystemClock();
const emulator = await startEmulator({ clock });
for (const p of PLATFORMS) emulator.core.faults.add({ platform: p.id, kind: 'slow', delayMs: LATENCY_MS, times: 1e9 });
const database = await openTestDatabase();
const log = createLogger({ level: 'warn' });
const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: '.tmp/bench-data', EMULATOR_URL: emulator.url, ENCRYPTION_KEYS: `r1:${randomBytes(32).toString('base64')}`, LOG_LEVEL: 'warn' });
const ctx: AppContext = { config, clock, log, database, db: database.db, jobs: createJobs({ database, databaseUrl: database.url, clock, log }) };
await ctx.jobs.start();
const workspaceId = randomUUID();
await ctx.db.execute(sql`insert into workspaces (id, name, created_at) values (${workspaceId}, 'Bench', ${clock.now()})`);

/** Inserts `count` connections (numbered from `from`) (10% due now, the rest planned over the next 30 days). */
async function insertConnections(from: number, count: number): Promise<void> {
  const now = clock.now();
  for (let done = from; done < from + count; done += 500) {
    const rows = [];
    const plans = [];
    for (let i = done; i < Math.min(from + count, done + 500); i++) {
      const p = PLATFORMS[i % PLATFORMS.length]!;
      const issued = emulator.core.grants.createGrant({ platform: p.id, clientId: sandboxClient(p.id).clientId, accountId: `acct-${p.id}-${i}`, scopes: p.scopes });
      const id = randomUUID();
      const enc = encryptTokens(ctx, id, { accessToken: issued.access.token, refreshToken: issued.refresh?.token ?? undefined });
      const accessExp = issued.access.expiresAtMs === null ? null : new Date(issued.access.expiresAtMs);
      const refreshExp = issued.refresh?.expiresAtMs ? new Date(issued.refresh.expiresAtMs) : null;
      rows.push(sql`(${id}, ${workspaceId}, ${p.id}, ${`acct-${p.id}-${i}`}, ${`Bench ${i}`}, 'user', 'active', ${now}, ${accessExp}, ${refreshExp},
        ${now}, ${`{${p.scopes.map((s) => `"${s}"`).join(',')}}`}::text[], ${sandboxClient(p.id).clientId}, ${now}, ${enc.accessTokenEnc}, ${enc.refreshTokenEnc ?? null}, ${now})`);
      const due = i % 10 === 0 ? now : new Date(now.getTime() + 60_000 + Math.floor(Math.random() * 30 * 86_400_000));
      plans.push(sql`(${id}, ${p.id}, ${due}, 'refresh', ${now})`);
    }
    await ctx.db.execute(sql`insert into connections (id, workspace_id, platform, platform_account_id, display_name, kind, state, state_changed_at,
      access_expires_at, refresh_expires_at, issued_at, scopes, app_client_id, connected_at, access_token_enc, refresh_token_enc, updated_at)
      values ${sql.join(rows, sql`, `)}`);
    await ctx.db.execute(sql`insert into connection_refreshes (connection_id, platform, due_at, purpose, updated_at) values ${sql.join(plans, sql`, `)}`);
  }
}

/** Median time of the claim of the next batch of 32 (leases released after each try) and of nextDueAt. */
async function planTiming(): Promise<{ claimMs: number; nextDueMs: number }> {
  const claims: number[] = [];
  const nexts: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    const got = await claimDueRefreshes(ctx.db, { now: clock.now(), limit: 32, leaseMs: REFRESH_LEASE_MS, owner: 'plan-probe' });
    claims.push(performance.now() - t0);
    for (const item of got) await releaseRefreshLease(ctx.db, item.connectionId, 'plan-probe');
    const t1 = performance.now();
    await nextRefreshDueAt(ctx.db);
    nexts.push(performance.now() - t1);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { claimMs: median(claims), nextDueMs: median(nexts) };
}

const sizes = [1_000, 10_000, TOTAL].filter((n, i, all) => n <= TOTAL && all.indexOf(n) === i);
const planning: Record<string, { claimMs: number; nextDueMs: number }> = {};
let inserted = 0;
const insertStart = performance.now();
for (const size of sizes) {
  await insertConnections(inserted, size - inserted);
  inserted = size;
  planning[size] = await planTiming();
  console.log(`${size} connections: claim of the next batch ${planning[size]!.claimMs.toFixed(2)} ms, nextDueAt ${planning[size]!.nextDueMs.toFixed(2)} ms`);
}
console.log(`inserted ${inserted} connections in ${((performance.now() - insertStart) / 1000).toFixed(1)} s`);

// One worker process: the refresh queue's concurrency, claims of its batch size, for SECONDS.
const outcomes: Record<string, number> = {};
const stopAt = performance.now() + SECONDS * 1000;
const owner = `bench-${process.pid}`;
async function lane(): Promise<void> {
  while (performance.now() < stopAt) {
    const items = await refreshQueue.claim(ctx.db, { now: clock.now(), limit: 1, leaseMs: REFRESH_LEASE_MS, owner });
    if (items.length === 0) return;
    for (const item of items) {
      const outcome = await refreshConnection(ctx, item, owner).catch((err: Error) => `error:${err.message.slice(0, 60)}`);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      await releaseRefreshLease(ctx.db, item.connectionId, owner);
    }
  }
}
const t0 = performance.now();
await Promise.all(Array.from({ length: refreshQueue.concurrency }, () => lane()));
const elapsed = (performance.now() - t0) / 1000;
const done = Object.values(outcomes).reduce((a, b) => a + b, 0);
const mem = process.memoryUsage();
console.log(JSON.stringify({
  engine: database.kind,
  connections: inserted,
  emulatorLatencyMs: LATENCY_MS,
  concurrency: refreshQueue.concurrency,
  seconds: Number(elapsed.toFixed(1)),
  handledPerSecond: Number((done / elapsed).toFixed(1)),
  refreshedPerSecond: Number(((outcomes.refreshed ?? 0) / elapsed).toFixed(1)),
  outcomes,
  planning,
  rssMb: Math.round(mem.rss / 1e6),
  heapUsedMb: Math.round(mem.heapUsed / 1e6),
}, null, 2));
await ctx.jobs.stop(1000);
await database.close();
await emulator.close();
