/**
 * `npm run bench:refresh [-- --connections 100000 --seconds 20 --latency 20 --workers 1,2 --due 500 --skip-pglite --skip-pg]`
 *
 * The refresh engine at scale, connections of all eleven platforms in turn, tokens minted by the
 * platform emulator running in its own process and answering every call after `--latency` ms:
 * - time to plan the next due batch (claim of the refresh queue's batch, the next-due query and
 *   planNext of one connection) at 1k, 10k and N connections with the SAME number of due rows
 *   (`--due`): it must not grow with the number of connections; a verdict line says whether it does;
 * - refreshes per second of the real due runner in 1 and 2 worker processes on the PostgreSQL
 *   server (PERENNIAL_TEST_PG_URL or the local server; a fresh database, dropped after), and in
 *   one process on PGlite (which belongs to one process), with every connection due;
 * - RSS of each worker process while it works (peak and steady), and of the emulator's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { SystemClock } from '../src/clock.ts';
import { loadConfig } from '../src/config.ts';
import type { AppContext } from '../src/context.ts';
import { createJobs } from '../src/jobs/jobQueue.ts';
import { refreshQueue } from '../src/lifecycle/refreshQueue.ts';
import { createLogger } from '../src/log.ts';
import { makeDue, planningTiming, seedConnections, type PlanningTiming } from './refreshBenchSeed.ts';

const { values: args } = parseArgs({
  options: {
    connections: { type: 'string', default: '100000' },
    seconds: { type: 'string', default: '20' },
    latency: { type: 'string', default: '20' },
    workers: { type: 'string', default: '1,2' },
    due: { type: 'string', default: '500' },
    'skip-pglite': { type: 'boolean', default: false },
    'skip-pg': { type: 'boolean', default: false },
  },
});
const TOTAL = Number(args.connections);
const SIZES = [1_000, 10_000, TOTAL].filter((n, i, all) => n <= TOTAL && all.indexOf(n) === i);
const NODE = process.execPath;
const KEYS = `b1:${randomBytes(32).toString('base64')}`;
process.env.PERENNIAL_TEST_PG_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
const { openTestDatabase } = await import('../src/testing/testDatabase.ts');

type Child = { child: ChildProcess; lines: string[]; next(match: (line: string) => boolean, what: string): Promise<string> };

function start(script: string, argv: string[]): Child {
  const child = spawn(NODE, [path.resolve(script), ...argv], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiting: { match: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of waiting.splice(0)) {
      if (w.match(line)) w.resolve(line);
      else waiting.push(w);
    }
  });
  return {
    child,
    lines,
    next: (match, what) =>
      new Promise((resolve, reject) => {
        const seen = lines.find(match);
        if (seen) return resolve(seen);
        waiting.push({ match, resolve });
        child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before ${what}`)));
      }),
  };
}

const stopChild = (c: Child) =>
  new Promise<void>((resolve) => {
    if (c.child.exitCode !== null) return resolve();
    c.child.once('exit', () => resolve());
    c.child.kill('SIGTERM');
  });

const emulator = start('bench/refreshBenchEmulator.ts', ['--latency', args.latency]);
const { url: emulatorUrl } = JSON.parse(await emulator.next((l) => l.startsWith('{'), 'listening')) as { url: string };
const emulatorRss = async () => ((await (await fetch(`${emulatorUrl}/_bench/memory`)).json()) as { rssBytes: number }).rssBytes;

type WorkerResult = { name: string; engine: string; seconds: number; handled: number; failed: number; handledPerSecond: number; refreshed?: number; rss: { peakMb: number; steadyMb: number }; planning?: Record<string, PlanningTiming> };
const report: Record<string, unknown> = { connections: TOTAL, dueRowsWhilePlanning: Number(args.due), emulatorLatencyMs: Number(args.latency), concurrencyPerProcess: refreshQueue.concurrency, batchSize: refreshQueue.batchSize, seconds: Number(args.seconds) };
const verdicts: string[] = [];

function verdict(engine: string, planning: Record<string, PlanningTiming>): void {
  const small = planning[SIZES[0]!]!.totalMs;
  const large = planning[SIZES.at(-1)!]!.totalMs;
  const ratio = large / Math.max(small, 0.01);
  verdicts.push(`${engine}: planning the next due batch takes ${small.toFixed(2)} ms at ${SIZES[0]} connections and ${large.toFixed(2)} ms at ${SIZES.at(-1)} (x${ratio.toFixed(2)}): ${ratio < 2 ? 'FLAT, it does not grow with the number of connections' : 'GROWS with the number of connections'}`);
}

try {
  if (!args['skip-pg']) {
    const database = await openTestDatabase();
    const clock = new SystemClock();
    const log = createLogger({ level: 'error' });
    const config = loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'error', DATA_DIR: '.tmp/bench-data', EMULATOR_URL: emulatorUrl, ENCRYPTION_KEYS: KEYS, PUBLIC_URL: 'http://perennial.bench' });
    const ctx: AppContext = { config, clock, log, database, db: database.db, jobs: createJobs({ database, databaseUrl: database.url, clock, log }) };
    try {
      const workspaceId = randomUUID();
      await ctx.db.execute(sql`insert into workspaces (id, name, created_at) values (${workspaceId}, 'Bench', ${clock.now()})`);
      const planning: Record<string, PlanningTiming> = {};
      let inserted = 0;
      const seedStart = performance.now();
      for (const size of SIZES) {
        await seedConnections(ctx, { emulatorUrl, workspaceId, from: inserted, count: size - inserted });
        inserted = size;
        await makeDue(ctx.db, { now: clock.now(), count: Number(args.due) });
        await ctx.db.execute(sql`vacuum analyze connection_refreshes`);
        planning[size] = await planningTiming(ctx, { batchSize: refreshQueue.batchSize, samples: 15 });
        console.error(`server ${size} connections: planning ${planning[size]!.totalMs.toFixed(2)} ms`);
      }
      report.seedSeconds = Number(((performance.now() - seedStart) / 1000).toFixed(1));
      report.serverPlanning = planning;
      verdict('server', planning);
      const runs: Record<string, unknown> = {};
      for (const n of args.workers.split(',').map(Number).filter((x) => x > 0)) {
        await makeDue(ctx.db, { now: clock.now(), count: 'all' });
        await ctx.db.execute(sql`vacuum analyze connection_refreshes`);
        const workers = Array.from({ length: n }, (_, i) =>
          start('bench/refreshBenchWorker.ts', ['--engine', 'pg', '--database-url', database.url!, '--emulator', emulatorUrl, '--keys', KEYS, '--seconds', args.seconds, '--name', `pg${n}-${i + 1}`]),
        );
        await Promise.all(workers.map((w) => w.next((l) => l === 'ready', 'ready')));
        const since = clock.now();
        for (const w of workers) w.child.stdin!.write('go\n');
        const results = await Promise.all(workers.map(async (w) => JSON.parse(await w.next((l) => l.startsWith('{'), 'its result')) as WorkerResult));
        const refreshed = Number((await ctx.db.execute(sql`select count(*)::int as n from access_log where action = 'refreshed' and at >= ${since}`)).rows[0]!.n);
        const seconds = Math.max(...results.map((r) => r.seconds));
        runs[`${n} process${n > 1 ? 'es' : ''}`] = {
          handledPerSecondPerProcess: results.map((r) => r.handledPerSecond),
          refreshedPerSecondTotal: Number((refreshed / seconds).toFixed(1)),
          failed: results.reduce((a, r) => a + r.failed, 0),
          rssMbPerProcess: results.map((r) => r.rss),
        };
        console.error(`server, ${n} worker process(es): ${JSON.stringify(runs[`${n} process${n > 1 ? 'es' : ''}`])}`);
      }
      report.server = runs;
    } finally {
      await database.close();
    }
  }

  if (!args['skip-pglite']) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'perennial-bench-pglite-'));
    try {
      const worker = start('bench/refreshBenchWorker.ts', ['--engine', 'pglite', '--data-dir', dataDir, '--emulator', emulatorUrl, '--keys', KEYS, '--seconds', args.seconds, '--connections', String(TOTAL), '--sizes', SIZES.join(','), '--due', args.due, '--name', 'pglite']);
      const result = JSON.parse(await worker.next((l) => l.startsWith('{'), 'its result')) as WorkerResult;
      report.pglitePlanning = result.planning;
      verdict('PGlite', result.planning!);
      report.pglite = { handledPerSecond: result.handledPerSecond, refreshedPerSecond: Number(((result.refreshed ?? 0) / result.seconds).toFixed(1)), failed: result.failed, rssMb: result.rss };
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
  report.emulatorRssMb = Math.round((await emulatorRss()) / 1e6);
  console.log(JSON.stringify(report, null, 2));
  for (const v of verdicts) console.log(v);
} finally {
  await stopChild(emulator);
}
