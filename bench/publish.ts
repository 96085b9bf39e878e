/**
 * `npm run bench:publish`: 10,000 targets due at the same second, published against the
 * emulator (no latency, then 50 ms per platform call), on PGlite in one process and on the
 * PostgreSQL server (BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres) with 1,
 * 2 and 4 worker processes; then the same burst of no-op jobs through graphile-worker and
 * pg-boss on the same server database, as peers. Prints publishes per second and the p50, p99
 * and max lateness after the due time (ms).
 *   npm run bench:publish [-- --targets 10000 --accounts 200 --workers 1,2,4 --latencies 0,50 --skip-pglite]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { SystemClock } from '../src/clock.ts';
import { openPglite, openPostgres } from '../src/db/database.ts';
import { startEmulator, type RunningEmulator } from '../src/emulator/core/registerEmulator.ts';
import { DueRunner } from '../src/jobs/dueRunner.ts';
import { createLogger } from '../src/log.ts';
import { defaultPublishDeps } from '../src/publishing/defaultPublishDeps.ts';
import { publishingQueue } from '../src/publishing/publishingQueues.ts';
import { runGraphileBurst, runPgBossBurst } from './publishPeers.ts';
import { ENCRYPTION_KEYS, measureBurst, prepareDatabase, scheduleBurst, type BenchDatabase } from './publishSetup.ts';
import { formatTable, type BurstResult } from './publishStats.ts';

const { values } = parseArgs({
  options: {
    targets: { type: 'string', default: '10000' },
    accounts: { type: 'string', default: '200' },
    workers: { type: 'string', default: '1,2,4' },
    latencies: { type: 'string', default: '0,50' },
    concurrency: { type: 'string', default: '64' },
    batch: { type: 'string', default: '128' },
    'skip-pglite': { type: 'boolean', default: false },
    'skip-peers': { type: 'boolean', default: false },
  },
});
const TARGETS = Number(values.targets);
const ACCOUNTS = Number(values.accounts);
const WORKERS = values.workers.split(',').map(Number);
const LATENCIES = values.latencies.split(',').map(Number);
const CONCURRENCY = Number(values.concurrency);
const BATCH = Number(values.batch);
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Due this long after the burst is written and the workers are idle: the wake-up is part of the measure. */
const LEAD_MS = 2_000;
const rows: { name: string; result: BurstResult }[] = [];
const log = createLogger({ level: 'warn' });

function setLatency(emulator: RunningEmulator, ms: number) {
  emulator.core.faults.clear();
  if (ms > 0) emulator.core.faults.add({ platform: 'x', endpoint: '/2/tweets', method: 'POST', kind: 'slow', delayMs: ms, times: 1e9 });
}

function record(name: string, result: BurstResult & { statuses?: Record<string, number> }) {
  rows.push({ name, result });
  const extra = result.statuses ? ` statuses=${JSON.stringify(result.statuses)}` : '';
  console.log(`${name}: ${result.done}/${result.expected} in ${(result.max / 1000).toFixed(2)} s, p99 ${result.p99.toFixed(0)} ms${extra}`);
}

async function benchPglite(emulator: RunningEmulator) {
  const database = await openPglite(null, log);
  const bench = await prepareDatabase(database, emulator, ACCOUNTS);
  const runner = new DueRunner(bench.ctx, publishingQueue(defaultPublishDeps, { concurrency: CONCURRENCY, batchSize: BATCH }), { runnerId: 'pglite' });
  await runner.start();
  for (const latency of LATENCIES) {
    setLatency(emulator, latency);
    const tag = `pglite-${latency}-${randomBytes(3).toString('hex')}`;
    await scheduleBurst(bench, TARGETS, new Date(Date.now() + LEAD_MS), tag);
    runner.wake();
    record(`PGlite, 1 process, ${latency} ms`, await measureBurst(bench, tag, TARGETS));
  }
  await runner.stop(5_000);
  await bench.ctx.jobs.stop(0);
  await database.close();
}

function startWorker(databaseUrl: string, emulator: RunningEmulator, runnerId: string): Promise<ChildProcess> {
  const script = new URL('../src/publishing/testing/publishWorkerProcess.ts', import.meta.url).pathname;
  const args = { databaseUrl, emulatorUrl: emulator.url, encryptionKeys: ENCRYPTION_KEYS, runnerId, concurrency: CONCURRENCY, batchSize: BATCH, pollMs: 1_000 };
  const child = spawn(process.execPath, [script, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => String(d).includes('ready') && resolve(child));
    child.once('exit', (code) => reject(new Error(`worker ${runnerId} exited (${code})`)));
  });
}

async function stopWorkers(children: ChildProcess[]) {
  await Promise.all(children.map((c) => new Promise((resolve) => {
    c.once('exit', resolve);
    c.kill('SIGTERM');
  })));
}

async function benchServer(emulator: RunningEmulator) {
  const name = `perennial_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const database = await openPostgres(databaseUrl, 10, log);
  try {
    const bench: BenchDatabase = await prepareDatabase(database, emulator, ACCOUNTS);
    for (const workers of WORKERS) {
      const children = await Promise.all(Array.from({ length: workers }, (_, i) => startWorker(databaseUrl, emulator, `w${workers}-${i}`)));
      for (const latency of LATENCIES) {
        setLatency(emulator, latency);
        const tag = `server-${workers}-${latency}-${randomBytes(3).toString('hex')}`;
        await scheduleBurst(bench, TARGETS, new Date(Date.now() + LEAD_MS), tag);
        record(`server, ${workers} worker${workers > 1 ? 's' : ''}, ${latency} ms`, await measureBurst(bench, tag, TARGETS));
      }
      await stopWorkers(children);
    }
    setLatency(emulator, 0);
    if (!values['skip-peers']) {
      await bench.ctx.jobs.stop(0);
      for (const workers of [1, 2]) {
        record(`graphile-worker no-op, ${workers} runner${workers > 1 ? 's' : ''}`, await runGraphileBurst(databaseUrl, TARGETS, workers, LEAD_MS));
        record(`pg-boss no-op, ${workers} worker${workers > 1 ? 's' : ''}`, await runPgBossBurst(databaseUrl, TARGETS, workers, LEAD_MS));
      }
    } else {
      await bench.ctx.jobs.stop(0);
    }
  } finally {
    await database.close();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

const emulator = await startEmulator({ clock: new SystemClock() });
try {
  if (!values['skip-pglite']) await benchPglite(emulator);
  await benchServer(emulator);
} finally {
  await emulator.close();
}
console.log(`\n${TARGETS} targets due at the same second, ${ACCOUNTS} X accounts, emulator in the bench process; lateness = done - due\n`);
console.log(formatTable(rows));
const target = rows.find((r) => r.name === 'server, 2 workers, 0 ms');
if (target) console.log(`\nTarget (server, 2 workers, no latency: p99 < 1000 ms): ${target.result.p99 < 1000 ? 'met' : 'NOT met'} (p99 ${target.result.p99.toFixed(0)} ms)`);
process.exit(0);
