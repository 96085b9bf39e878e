/**
 * Setup for `npm run bench:publish`: a migrated database with a workspace and many X
 * connections made through the real OAuth flow against the emulator, and bursts of targets all
 * due at the same instant, inserted in bulk.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { SystemClock } from '../src/clock.ts';
import { loadConfig } from '../src/config.ts';
import { storeGrant } from '../src/connections/storeGrant.ts';
import type { AppContext } from '../src/context.ts';
import type { DatabaseHandle } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { answerConsent } from '../src/emulator/core/consentPages.ts';
import type { RunningEmulator } from '../src/emulator/core/registerEmulator.ts';
import { createJobs } from '../src/jobs/jobQueue.ts';
import { createLogger } from '../src/log.ts';
import { createPkcePair } from '../src/providers/oauthHelpers.ts';
import { getProvider, providerContext } from '../src/providers/registry.ts';
import type { BurstResult } from './publishStats.ts';
import { summarize } from './publishStats.ts';

export const ENCRYPTION_KEYS = `b1:${randomBytes(32).toString('base64')}`;

export type BenchDatabase = { ctx: AppContext; workspaceId: string; connectionIds: string[] };

export async function prepareDatabase(database: DatabaseHandle, emulator: RunningEmulator, accounts: number): Promise<BenchDatabase> {
  const log = createLogger({ level: 'warn' });
  const clock = new SystemClock();
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: '.tmp/bench-data',
    EMULATOR_URL: emulator.url,
    PUBLIC_URL: 'http://perennial.test',
    ENCRYPTION_KEYS,
    LOG_LEVEL: 'warn',
  });
  const ctx: AppContext = { config, clock, log, database, db: database.db, jobs: createJobs({ database, databaseUrl: undefined, clock, log }) };
  await migrate(ctx.db);
  await ctx.jobs.start();
  const userId = randomUUID();
  const workspaceId = randomUUID();
  const now = clock.now();
  await ctx.db.execute(sql`insert into users (id, email, name, password_hash, is_instance_owner, created_at) values (${userId}, ${`bench-${userId}@example.test`}, 'Bench', 'x', true, ${now})`);
  await ctx.db.execute(sql`insert into workspaces (id, name, created_at) values (${workspaceId}, 'Bench', ${now})`);
  await ctx.db.execute(sql`insert into workspace_members (workspace_id, user_id, role, created_at) values (${workspaceId}, ${userId}, 'owner', ${now})`);

  const provider = getProvider('x');
  const pctx = providerContext(ctx, 'x');
  const connectionIds: string[] = [];
  for (let i = 0; i < accounts; i++) {
    const accountId = `bench${workspaceId.slice(0, 8)}${String(i).padStart(5, '0')}`;
    emulator.core.addAccount('x', { id: accountId, username: `bench_${i}`, displayName: `Bench ${i}` });
    const pkce = createPkcePair();
    const redirect = await answerConsent(provider.authorizationUrl(pctx, { state: randomUUID(), codeChallenge: pkce.codeChallenge }), { accountId });
    const code = redirect.searchParams.get('code');
    if (!code) throw new Error('the emulator gave no code');
    const { tokens, accounts: choices } = await provider.exchangeCode(pctx, { code, codeVerifier: pkce.codeVerifier });
    const account = choices.find((a) => a.platformAccountId === accountId) ?? choices[0]!;
    const { connection } = await ctx.db.transaction((tx) =>
      storeGrant(ctx, tx, { userId, workspaceId, facts: provider.facts, account, tokens, connectionId: null, appClientId: pctx.client?.clientId ?? null }),
    );
    connectionIds.push(connection.id);
  }
  return { ctx, workspaceId, connectionIds };
}

/**
 * `count` posts with one X target each, spread over the connections (so no account's rate limit
 * binds), all due at `dueAt`. Rate-limit buckets are emptied first: each burst starts fresh.
 */
export async function scheduleBurst(bench: BenchDatabase, count: number, dueAt: Date, tag: string): Promise<void> {
  const { ctx, workspaceId, connectionIds } = bench;
  await ctx.db.execute(sql`delete from publish_rate_buckets`);
  const now = ctx.clock.now();
  const ids = `{${connectionIds.join(',')}}`;
  await ctx.db.execute(sql`
    with p as (
      insert into posts (workspace_id, content, scheduled_at, time_zone, created_at, updated_at)
      select ${workspaceId}, jsonb_build_object('text', ${tag} || ' #' || g, 'mediaIds', '[]'::jsonb, 'n', g), ${dueAt}, 'UTC', ${now}, ${now}
      from generate_series(1, ${count}) g
      returning id, (content->>'n')::int as n
    )
    insert into post_targets (post_id, workspace_id, connection_id, platform, status, scheduled_at, due_at, created_at, updated_at)
    select p.id, ${workspaceId}, (${ids}::uuid[])[1 + p.n % ${connectionIds.length}], 'x', 'scheduled', ${dueAt}, ${dueAt}, ${now}, ${now}
    from p`);
  // Fresh statistics, as a long-running database would have: the claim's plan depends on them.
  await ctx.db.execute(sql`analyze post_targets`);
  await ctx.db.execute(sql`analyze posts`);
}

/**
 * Waits until every target of the burst (the targets due at `dueAt`: each burst has its own
 * instant) is settled, or `timeoutMs` after the due time, then measures it. Unfinished targets
 * count as `timeoutMs` late; they are cancelled so the next burst starts clean.
 */
export async function measureBurst(bench: BenchDatabase, dueAt: Date, count: number, timeoutMs: number): Promise<BurstResult & { statuses: Record<string, number> }> {
  const { ctx, workspaceId } = bench;
  const deadline = dueAt.getTime() + timeoutMs;
  // The (workspace_id, scheduled_at) index finds the burst without scanning earlier ones.
  const burst = sql`t.workspace_id = ${workspaceId} and t.scheduled_at = ${dueAt}`;
  for (;;) {
    const res = await ctx.db.execute(sql`
      select count(*) filter (where t.status in ('published', 'failed', 'unknown'))::int as settled from post_targets t where ${burst}`);
    const settled = Number((res.rows[0] as { settled: number }).settled);
    if (settled >= count || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const rows = await ctx.db.execute(sql`
    select t.status, extract(epoch from (t.published_at - t.scheduled_at)) * 1000 as lateness_ms from post_targets t where ${burst}`);
  const statuses: Record<string, number> = {};
  const lateness: number[] = [];
  for (const r of rows.rows as { status: string; lateness_ms: number | string | null }[]) {
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.status === 'published' && r.lateness_ms !== null) lateness.push(Number(r.lateness_ms));
  }
  await ctx.db.execute(sql`update post_targets t set status = 'cancelled', due_at = null where ${burst} and t.status in ('scheduled', 'publishing')`);
  return { ...summarize(lateness, count, timeoutMs), statuses };
}
