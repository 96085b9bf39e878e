/**
 * Test support for the SIGKILL drills (publishKill.test.ts): a database that worker processes
 * can share with the test (a fresh database on the server; on the embedded engine, a PGlite data
 * folder that the test opens only while no worker holds it, as one process owns a folder), the
 * emulator on the test's clock, accounts connected through the real OAuth flow, the lifecycle's
 * refreshes run like a worker would, and worker processes started and killed.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { ControllableClock } from '../../clock.ts';
import { loadConfig } from '../../config.ts';
import { storeGrant } from '../../connections/storeGrant.ts';
import type { AppContext } from '../../context.ts';
import { openPglite, type DatabaseHandle } from '../../db/database.ts';
import { migrate } from '../../db/migrate.ts';
import { answerConsent } from '../../emulator/core/consentPages.ts';
import { startEmulator, type RunningEmulator } from '../../emulator/core/registerEmulator.ts';
import { createJobs } from '../../jobs/jobQueue.ts';
import { refreshConnection } from '../../lifecycle/refreshConnection.ts';
import { releaseRefreshLease } from '../../lifecycle/refreshesRepo.ts';
import { REFRESH_LEASE_MS, refreshQueue } from '../../lifecycle/refreshQueue.ts';
import { createLogger } from '../../log.ts';
import { createPkcePair } from '../../providers/oauthHelpers.ts';
import { getProvider, providerContext } from '../../providers/registry.ts';
import type { PlatformId } from '../../providers/types.ts';
import { TEST_START_MS } from '../../testing/testContext.ts';
import { openTestDatabase, testEngine } from '../../testing/testDatabase.ts';

const workerScript = new URL('./publishWorkerProcess.ts', import.meta.url).pathname;

export type KillDrill = {
  clock: ControllableClock;
  emulator: RunningEmulator;
  workspaceId: string;
  /** Runs `fn` with the database open in this process (on the embedded engine: only while no worker runs). */
  withDb<T>(fn: (ctx: AppContext) => Promise<T>): Promise<T>;
  connect(platform: PlatformId, accountId: string): Promise<string>;
  /** The lifecycle's due refreshes, as a worker would run them, so tokens stay fresh between runs. */
  refreshDue(ctx: AppContext): Promise<void>;
  startWorker(runnerId: string, options?: { noLookup?: PlatformId[] }): Promise<DrillWorker>;
  close(): Promise<void>;
};

export type DrillWorker = { child: ChildProcess; lines: string[]; onLine(fn: (line: string) => void): void; kill(signal: NodeJS.Signals): Promise<void>; send(line: string): void };

export async function openKillDrill(): Promise<KillDrill> {
  const clock = new ControllableClock({ startMs: TEST_START_MS });
  const emulator = await startEmulator({ clock });
  const keys = `k1:${randomBytes(32).toString('base64')}`;
  const logSink = new Writable({ write: (_c, _e, done) => done() });
  const log = createLogger({ level: 'warn', destination: logSink });
  const dataDir = testEngine === 'pglite' ? path.resolve(`.tmp/kill-drill-${randomBytes(4).toString('hex')}`) : undefined;
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir ?? '.tmp/test-data', EMULATOR_URL: emulator.url, PUBLIC_URL: 'http://perennial.test', ENCRYPTION_KEYS: keys });
  const server = testEngine === 'postgres' ? await openTestDatabase() : undefined;

  const open = async (): Promise<DatabaseHandle> => {
    if (server) return server;
    // A new folder starts like `perennial serve` starts one (the install-time template, then migrations).
    const fresh = !fs.existsSync(path.join(dataDir!, 'pgdata', 'PG_VERSION'));
    const handle = await openPglite(dataDir!, log);
    if (fresh) await migrate(handle.db);
    return handle;
  };
  const withDb = async <T>(fn: (ctx: AppContext) => Promise<T>): Promise<T> => {
    const database = await open();
    const ctx: AppContext = { config, clock, log, database, db: database.db, jobs: createJobs({ database, databaseUrl: server?.url, clock, log }) };
    try {
      return await fn(ctx);
    } finally {
      if (!server) await database.close();
    }
  };

  const userId = randomUUID();
  const workspaceId = randomUUID();
  await withDb(async (ctx) => {
    const now = clock.now();
    await ctx.db.execute(sql`insert into users (id, email, name, password_hash, is_instance_owner, created_at) values (${userId}, ${`drill-${userId}@example.test`}, 'Drill', 'x', true, ${now})`);
    await ctx.db.execute(sql`insert into workspaces (id, name, created_at) values (${workspaceId}, 'Drill', ${now})`);
    await ctx.db.execute(sql`insert into workspace_members (workspace_id, user_id, role, created_at) values (${workspaceId}, ${userId}, 'owner', ${now})`);
  });

  return {
    clock,
    emulator,
    workspaceId,
    withDb,
    connect: (platform, accountId) =>
      withDb(async (ctx) => {
        const provider = getProvider(platform);
        const pctx = providerContext(ctx, platform);
        const pkce = createPkcePair();
        const redirect = await answerConsent(provider.authorizationUrl(pctx, { state: randomUUID(), codeChallenge: pkce.codeChallenge }), { accountId });
        const code = redirect.searchParams.get('code');
        if (!code) throw new Error(`consent gave no code: ${redirect.toString()}`);
        const { tokens, accounts } = await provider.exchangeCode(pctx, { code, codeVerifier: pkce.codeVerifier });
        const account = accounts.find((a) => a.platformAccountId === accountId) ?? accounts[0]!;
        const { connection } = await ctx.db.transaction((tx) =>
          storeGrant(ctx, tx, { userId, workspaceId, facts: provider.facts, account, tokens, connectionId: null, appClientId: pctx.client?.clientId ?? null }),
        );
        return connection.id;
      }),
    async refreshDue(ctx) {
      for (let round = 0; round < 100; round++) {
        const claimed = await refreshQueue.claim(ctx.db, { now: clock.now(), limit: 50, leaseMs: REFRESH_LEASE_MS, owner: 'drill-refresh' });
        if (claimed.length === 0) return;
        for (const item of claimed) {
          await refreshConnection(ctx, item, 'drill-refresh');
          await releaseRefreshLease(ctx.db, item.connectionId, 'drill-refresh');
        }
      }
    },
    startWorker(runnerId, options = {}) {
      const args = {
        ...(server ? { databaseUrl: server.url } : { dataDir }),
        emulatorUrl: emulator.url,
        encryptionKeys: keys,
        clockMs: clock.nowMs(),
        runnerId,
        concurrency: 4,
        batchSize: 4,
        pollMs: 50,
        noLookup: options.noLookup ?? [],
      };
      const child = spawn(process.execPath, [workerScript, JSON.stringify(args)], { stdio: ['pipe', 'pipe', 'pipe'] });
      const lines: string[] = [];
      const listeners: ((line: string) => void)[] = [];
      readline.createInterface({ input: child.stdout! }).on('line', (line) => {
        lines.push(line);
        for (const l of listeners) l(line);
      });
      child.stderr!.on('data', (d) => process.stderr.write(`[${runnerId}] ${d}`));
      child.stdin!.on('error', () => undefined); // a killed worker's pipe
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const worker: DrillWorker = {
        child,
        lines,
        onLine: (fn) => listeners.push(fn),
        async kill(signal) {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          await exited;
        },
        send: (line) => void child.stdin!.write(`${line}\n`),
      };
      return new Promise((resolve, reject) => {
        worker.onLine((line) => line === 'ready' && resolve(worker));
        void exited.then(() => reject(new Error(`worker ${runnerId} exited early (${child.exitCode ?? child.signalCode})`)));
      });
    },
    async close() {
      await emulator.close();
      await server?.close();
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
