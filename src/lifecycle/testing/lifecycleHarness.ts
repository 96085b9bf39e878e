/**
 * Test wiring for the lifecycle against the emulator: a fresh database and frozen clock
 * (openTestContext), the emulator on the same clock, a config whose sandboxed platforms point
 * at it, a user with a workspace, and helpers to connect an account through the real OAuth flow
 * and to drive the refresh queue through time like a worker would.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { ControllableClock, SystemClock } from '../../clock.ts';
import { loadConfig } from '../../config.ts';
import type { AppContext } from '../../context.ts';
import { completeAuthorization } from '../../connections/completeAuthorization.ts';
import { connectWithPassword } from '../../connections/connectWithPassword.ts';
import { startAuthorization } from '../../connections/startAuthorization.ts';
import { storeGrant } from '../../connections/storeGrant.ts';
import { answerConsent } from '../../emulator/core/consentPages.ts';
import { startEmulator, type RunningEmulator } from '../../emulator/core/registerEmulator.ts';
import { createPkcePair } from '../../providers/oauthHelpers.ts';
import { getProvider, providerContext } from '../../providers/registry.ts';
import type { PlatformId } from '../../providers/types.ts';
import { BOSS_SCHEMA } from '../../jobs/jobQueue.ts';
import { openTestContext, type TestContext } from '../../testing/testContext.ts';
import { refreshConnection, type RefreshOutcome } from '../refreshConnection.ts';
import { nextRefreshDueAt, releaseRefreshLease } from '../refreshesRepo.ts';
import { REFRESH_LEASE_MS, refreshQueue } from '../refreshQueue.ts';

export type LifecycleHarness = {
  ctx: TestContext & AppContext;
  /** ENCRYPTION_KEYS as configured, for worker processes that must read the same vault. */
  encryptionKeys: string;
  emulator: RunningEmulator;
  userId: string;
  email: string;
  workspaceId: string;
  /**
   * Connects (or, with connectionId, reconnects) through the real OAuth flow; by default as the
   * harness's user and workspace. Bluesky goes through the app-password flow and Mastodon through
   * the per-server flow (mastodon.example) of src/connections, which need the harness's seeded user.
   */
  connect(platform: PlatformId, accountId: string, options?: { connectionId?: string; userId?: string; workspaceId?: string }): Promise<string>;
  /** A scheduled post with one target on the connection at `atMs`, in the connection's workspace; returns the target id. */
  scheduleTarget(connectionId: string, atMs: number): Promise<string>;
  /** Claims and handles everything due now, as `owner` would; returns the outcomes. */
  runDue(owner?: string): Promise<RefreshOutcome[]>;
  /** Moves the clock to each due point up to `untilMs` and runs it (like a worker on the sandbox clock). */
  runUntil(untilMs: number): Promise<RefreshOutcome[]>;
  close(): Promise<void>;
};

/**
 * `seedUser: false` leaves the users table empty, for tests that sign up through the API (the
 * first user owns the instance). `realTime: true`: the clock flows from the real time, for tests
 * with worker processes (which run on the system clock) and an emulator they all reach.
 */
/**
 * pg-boss runs on the test clock: a job still running (a mail on its way to SMTP) when the clock
 * jumps days ahead looks days old and expires into a retry, sending twice; a job still waiting
 * would go out after the next one. Like a sandbox advance, the harness lets the queues drain
 * before each jump: every job ready now when this process works the queues (`ctx.jobs.work`),
 * the running ones otherwise (queues worked by worker processes, or by nobody).
 */
async function settleJobsOf(ctx: AppContext): Promise<void> {
  const workedHere = Object.keys(ctx.jobs.stats()).length > 0;
  for (let waited = 0; waited < 30_000; waited += 20) {
    const busy = workedHere ? await ctx.jobs.pendingCount() : await activeJobCount(ctx);
    if (busy === 0) return;
    if (workedHere) ctx.jobs.nudge();
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function activeJobCount(ctx: AppContext): Promise<number> {
  const res = await ctx.db.execute(sql`select count(*)::int as n from ${sql.raw(BOSS_SCHEMA)}.job where state = 'active'`);
  return Number(res.rows[0]?.n ?? 0);
}

export async function openLifecycleHarness(options: { env?: Record<string, string>; seedUser?: boolean; realTime?: boolean } = {}): Promise<LifecycleHarness> {
  const realNow = new SystemClock().nowMs();
  const base = await openTestContext(options.realTime ? { startMs: realNow } : {});
  if (options.realTime) Object.assign(base, { clock: new ControllableClock({ flowing: true, startMs: realNow }) });
  const emulator = await startEmulator({ clock: base.clock });
  const encryptionKeys = `t1:${randomBytes(32).toString('base64')}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: '.tmp/test-data',
    EMULATOR_URL: emulator.url,
    PUBLIC_URL: 'http://perennial.test',
    ENCRYPTION_KEYS: encryptionKeys,
    ...options.env,
  });
  const ctx = Object.assign(base, { config }) as TestContext & AppContext;
  await ctx.jobs.start();
  const userId = randomUUID();
  const workspaceId = randomUUID();
  const email = `owner-${randomBytes(4).toString('hex')}@example.test`;
  const now = ctx.clock.now();
  if (options.seedUser !== false) {
    await ctx.db.execute(sql`insert into users (id, email, name, password_hash, is_instance_owner, created_at) values (${userId}, ${email}, 'Owner', 'x', true, ${now})`);
    await ctx.db.execute(sql`insert into workspaces (id, name, created_at) values (${workspaceId}, 'Client A', ${now})`);
    await ctx.db.execute(sql`insert into workspace_members (workspace_id, user_id, role, created_at) values (${workspaceId}, ${userId}, 'owner', ${now})`);
  }

  const settleJobs = () => settleJobsOf(ctx);
  const harness: LifecycleHarness = {
    ctx,
    encryptionKeys,
    emulator,
    userId,
    email,
    workspaceId,
    async scheduleTarget(connectionId, atMs) {
      const now = ctx.clock.now();
      const at = new Date(atMs);
      const connection = (await ctx.db.execute(sql`select workspace_id, platform from connections where id = ${connectionId}`)).rows[0]!;
      const post = await ctx.db.execute(sql`
        insert into posts (workspace_id, content, scheduled_at, time_zone, created_at, updated_at)
        values (${connection.workspace_id}, ${JSON.stringify({ text: 'hello' })}::jsonb, ${at}, 'UTC', ${now}, ${now}) returning id`);
      const target = await ctx.db.execute(sql`
        insert into post_targets (post_id, workspace_id, connection_id, platform, status, scheduled_at, due_at, created_at, updated_at)
        values (${post.rows[0]!.id}, ${connection.workspace_id}, ${connectionId}, ${connection.platform}, 'scheduled', ${at}, ${at}, ${now}, ${now}) returning id`);
      return String(target.rows[0]!.id);
    },
    async connect(platform, accountId, opts = {}) {
      if (platform === 'bluesky' || platform === 'mastodon') return connectThroughFlow(ctx, emulator, platform, accountId, { userId: opts.userId ?? userId, workspaceId: opts.workspaceId ?? workspaceId, connectionId: opts.connectionId });
      const provider = getProvider(platform);
      const pctx = providerContext(ctx, platform);
      const pkce = createPkcePair();
      const url = provider.authorizationUrl(pctx, { state: randomUUID(), codeChallenge: pkce.codeChallenge });
      const redirect = await answerConsent(url, { accountId });
      const code = redirect.searchParams.get('code');
      if (!code) throw new Error(`consent gave no code: ${redirect.toString()}`);
      const { tokens, accounts } = await provider.exchangeCode(pctx, { code, codeVerifier: pkce.codeVerifier });
      const account = accounts.find((a) => a.platformAccountId === accountId) ?? accounts[0]!;
      const { connection } = await ctx.db.transaction((tx) =>
        storeGrant(ctx, tx, { userId: opts.userId ?? userId, workspaceId: opts.workspaceId ?? workspaceId, facts: provider.facts, account, tokens, connectionId: opts.connectionId ?? null, appClientId: pctx.client?.clientId ?? null }),
      );
      return connection.id;
    },
    async runDue(owner = 'runner-test') {
      const outcomes: RefreshOutcome[] = [];
      for (let round = 0; ; round++) {
        if (round > 1000) throw new Error('the refresh queue keeps planning work at the same instant');
        // The queue's own claim: it also adopts connections that have no plan yet.
        const claimed = await refreshQueue.claim(ctx.db, { now: ctx.clock.now(), limit: 50, leaseMs: REFRESH_LEASE_MS, owner });
        if (claimed.length === 0) return outcomes;
        for (const item of claimed) {
          outcomes.push(await refreshConnection(ctx, item, owner));
          await releaseRefreshLease(ctx.db, item.connectionId, owner);
        }
      }
    },
    async runUntil(untilMs) {
      const outcomes: RefreshOutcome[] = [];
      outcomes.push(...(await harness.runDue()));
      for (let step = 0; ; step++) {
        if (step > 10_000) throw new Error('too many due points');
        const next = await nextRefreshDueAt(ctx.db);
        if (!next || next.getTime() > untilMs) break;
        if (next.getTime() > ctx.clock.nowMs()) {
          await settleJobs();
          ctx.clock.set(next.getTime());
        }
        outcomes.push(...(await harness.runDue()));
      }
      if (untilMs > ctx.clock.nowMs()) {
        await settleJobs();
        ctx.clock.set(untilMs);
      }
      return outcomes;
    },
    async close() {
      await emulator.close();
      await ctx.close();
    },
  };
  return harness;
}

async function connectThroughFlow(
  ctx: AppContext,
  emulator: RunningEmulator,
  platform: 'bluesky' | 'mastodon',
  accountId: string,
  input: { userId: string; workspaceId: string; connectionId: string | undefined },
): Promise<string> {
  const base = { userId: input.userId, workspaceId: input.workspaceId, ...(input.connectionId ? { connectionId: input.connectionId } : {}) };
  if (platform === 'bluesky') {
    const account = emulator.core.account('bluesky', accountId);
    if (!account?.password) throw new Error(`no Bluesky sandbox account ${accountId} with an app password`);
    const result = await connectWithPassword(ctx, { ...base, platform, identifier: account.username, password: account.password });
    if (result.result === 'select_account') throw new Error('Bluesky offered a choice of accounts');
    return result.connection.id;
  }
  const { authorizationUrl } = await startAuthorization(ctx, { ...base, platform, instanceUrl: 'https://mastodon.example' });
  const redirect = await answerConsent(new URL(authorizationUrl), { accountId });
  const result = await completeAuthorization(ctx, {
    userId: input.userId,
    platform,
    query: { state: redirect.searchParams.get('state') ?? undefined, code: redirect.searchParams.get('code') ?? undefined },
  });
  if (result.result === 'select_account') throw new Error('Mastodon offered a choice of accounts');
  return result.connection.id;
}
