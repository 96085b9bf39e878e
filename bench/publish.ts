/**
 * `npm run bench:publish`: 10,000 targets due at the same second, published against the
 * emulator (no latency, then 50 ms per platform call), on PGlite in one process and on the
 * PostgreSQL server (BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres) with 1,
 * 2 and 4 worker processes; then the same burst of no-op jobs through graphile-worker and
 * pg-boss worker processes on the same server database, as peers. Prints, per run, how many
 * finished, publishes per second, the p50, p99 and max lateness after the due time (ms; a target
 * unfinished at the cutoff counts as late as the cutoff) and, for our server runs, statements
 * and worker CPU per published target.
 *   npm run bench:publish [-- --targets 10000 --accounts 200 --workers 1,2,4 --latencies 0,50
 *     --concurrency 64 --batch 64 --timeout 120 --peer-workers 1,2 --skip-pglite --skip-server
 *     --skip-peers --cpu-prof <dir>]
 * The machine should be quiet: wall-clock figures measure it as much as the engine.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import inspector from 'node:inspector/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { SystemClock } from '../src/clock.ts';
import { openPglite, openPostgres } from '../src/db/database.ts';
import { startEmulator, type RunningEmulator } from '../src/emulator/core/registerEmulator.ts';
import { DueRunner } from '../src/jobs/dueRunner.ts';
import { createLogger } from '../src/log.ts';
import { defaultPublishDeps } from '../src/publishing/defaultPublishDeps.ts';
import { publishingQueue } from '../src/publishing/publishingQueues.ts';
import { startBenchProcess, type BenchChild } from './benchProcess.ts';
import { runPeerBurst, type PeerKind } from './publishPeers.ts';
import { ENCRYPTION_KEYS, measureBurst, prepareDatabase, scheduleBurst } from './publishSetup.ts';
import { formatTable, type BurstResult } from './publishStats.ts';

const { values } = parseArgs({
  options: {
    targets: { type: 'string', default: '10000' },
    accounts: { type: 'string', default: '200' },
    workers: { type: 'string', default: '1,2,4' },
    latencies: { type: 'string', default: '0,50' },
    concurrency: { type: 'string', default: '64' },
    batch: { type: 'string', default: '64' },
    timeout: { type: 'string', default: '120' },
    'peer-workers': { type: 'string', default: '1,2' },
    'skip-pglite': { type: 'boolean', default: false },
    'skip-server': { type: 'boolean', default: false },
    'skip-peers': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
  },
});
const TARGETS = Number(values.targets);
const ACCOUNTS = Number(values.accounts);
const WORKERS = values.workers.split(',').map(Number);
const LATENCIES = values.latencies.split(',').map(Number);
const CONCURRENCY = Number(values.concurrency);
const BATCH = Number(values.batch);
const TIMEOUT_MS = Number(values.timeout) * 1000;
const PEER_WORKERS = values['peer-workers'].split(',').map(Number);
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Due this long after the burst is written and the workers are idle: the wake-up is part of the measure. */
const LEAD_MS = 2_000;
const rows: { name: string; result: BurstResult }[] = [];
const log = createLogger({ level: 'warn' });
const workerScript = new URL('../src/publishing/testing/publishWorkerProcess.ts', import.meta.url).pathname;

/** The emulator answers each X post after `ms`, and starts each burst with no posts (its costs stay flat). */
function resetEmulator(emulator: RunningEmulator, ms: number) {
  emulator.core.faults.clear();
  emulator.core.posts.clear();
  emulator.core.requests.clear();
  if (ms > 0) emulator.core.faults.add({ platform: 'x', endpoint: '/2/tweets', method: 'POST', kind: 'slow', delayMs: ms, times: 1e9 });
}

function record(name: string, result: BurstResult & { statuses?: Record<string, number> }) {
  rows.push({ name, result });
  const extra = result.statuses ? ` statuses=${JSON.stringify(result.statuses)}` : '';
  console.log(`${name}: ${result.done}/${result.expected}, p99 ${result.p99.toFixed(0)} ms, max ${result.max.toFixed(0)} ms${extra}`);
}

async function benchPglite(emulator: RunningEmulator) {
  const database = await openPglite(null, log);
  const bench = await prepareDatabase(database, emulator, ACCOUNTS);
  const runner = new DueRunner(bench.ctx, publishingQueue(defaultPublishDeps, { concurrency: CONCURRENCY, batchSize: BATCH }), { runnerId: 'pglite' });
  await runner.start();
  try {
    for (const latency of LATENCIES) {
      resetEmulator(emulator, latency);
      const dueAt = new Date(Date.now() + LEAD_MS);
      await scheduleBurst(bench, TARGETS, dueAt, `pglite-${latency}-${randomBytes(3).toString('hex')}`);
      runner.wake();
      const profiling = values['cpu-prof'] ? await startProfile() : undefined;
      const cpuAtStart = process.cpuUsage();
      const result = await measureBurst(bench, dueAt, TARGETS, TIMEOUT_MS);
      const cpu = process.cpuUsage(cpuAtStart);
      await profiling?.(`${values['cpu-prof']}/pglite-${latency}ms.cpuprofile`);
      // One process does everything here (engine, emulator, measuring): its CPU is the whole cost.
      record(`PGlite, 1 process, ${latency} ms`, { ...result, cpuMsPerTarget: (cpu.user + cpu.system) / 1000 / Math.max(1, result.statuses.published ?? 0) });
    }
  } finally {
    await runner.stop(5_000);
    await bench.ctx.jobs.stop(0);
    await database.close();
  }
}

/** A CPU profile of this process from now; the returned function writes it to a file. */
async function startProfile(): Promise<(file: string) => Promise<void>> {
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async (file) => {
    const { profile } = await session.post('Profiler.stop');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

function startWorker(databaseUrl: string, emulator: RunningEmulator, runnerId: string): Promise<BenchChild> {
  const args = { databaseUrl, emulatorUrl: emulator.url, encryptionKeys: ENCRYPTION_KEYS, runnerId, concurrency: CONCURRENCY, batchSize: BATCH, pollMs: 1_000 };
  return startBenchProcess(workerScript, args, { name: `worker ${runnerId}`, cpuProfileDir: values['cpu-prof'] });
}

/** Stops our workers and sums what they report: statements sent and CPU used. */
async function stopWorkers(children: BenchChild[]): Promise<{ statements: number; cpuMs: number }> {
  await Promise.all(children.map((c) => c.stop()));
  let statements = 0;
  let cpuMs = 0;
  for (const c of children) {
    const line = c.lines.find((l) => l.startsWith('stopped '));
    if (!line) continue;
    const stats = JSON.parse(line.slice('stopped '.length)) as { cpuMs: number; statements: Record<string, { n: number }> };
    cpuMs += stats.cpuMs;
    statements += Object.values(stats.statements).reduce((sum, s) => sum + s.n, 0);
  }
  return { statements, cpuMs };
}

async function benchServer(emulator: RunningEmulator) {
  const name = `perennial_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  let database: Awaited<ReturnType<typeof openPostgres>> | undefined;
  try {
    database = await openPostgres(databaseUrl, 10, log);
    const bench = await prepareDatabase(database, emulator, ACCOUNTS);
    for (const workers of WORKERS) {
      for (const latency of LATENCIES) {
        // Fresh workers per burst, so their statement and CPU counts are this burst's.
        const children = await Promise.all(Array.from({ length: workers }, (_, i) => startWorker(databaseUrl, emulator, `w${workers}-${latency}-${i}`)));
        resetEmulator(emulator, latency);
        const dueAt = new Date(Date.now() + LEAD_MS);
        await scheduleBurst(bench, TARGETS, dueAt, `server-${workers}-${latency}-${randomBytes(3).toString('hex')}`);
        const benchCpu = process.cpuUsage();
        const result = await measureBurst(bench, dueAt, TARGETS, TIMEOUT_MS);
        const emulatorCpu = process.cpuUsage(benchCpu);
        const used = await stopWorkers(children);
        // This process serves the emulator (and measures): when it is saturated, the platform is the bottleneck.
        console.log(`  emulator process: ${((emulatorCpu.user + emulatorCpu.system) / 1000 / TARGETS).toFixed(2)} ms CPU per target`);
        const published = result.statuses.published ?? 0;
        record(`server, ${workers} worker${workers > 1 ? 's' : ''}, ${latency} ms`, {
          ...result,
          statementsPerTarget: used.statements / Math.max(1, published),
          cpuMsPerTarget: used.cpuMs / Math.max(1, published),
        });
      }
    }
    resetEmulator(emulator, 0);
    await bench.ctx.jobs.stop(0);
    if (!values['skip-peers']) {
      for (const kind of ['graphile', 'pgboss'] as PeerKind[]) {
        for (const workers of PEER_WORKERS) {
          const label = kind === 'graphile' ? 'graphile-worker no-op' : 'pg-boss no-op';
          record(`${label}, ${workers} worker${workers > 1 ? 's' : ''}`, await runPeerBurst(kind, databaseUrl, { count: TARGETS, workers, leadMs: LEAD_MS, timeoutMs: TIMEOUT_MS }));
        }
      }
    }
  } finally {
    // Every pool on the database is closed before it is dropped (a forced drop kills live connections).
    await database?.close();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

const emulator = await startEmulator({ clock: new SystemClock() });
try {
  if (!values['skip-pglite']) await benchPglite(emulator);
  if (!values['skip-server']) await benchServer(emulator);
} finally {
  await emulator.close();
}
console.log(`\n${TARGETS} targets due at the same second, ${ACCOUNTS} X accounts, emulator in the bench process; lateness = done - due; cutoff ${TIMEOUT_MS / 1000} s\n`);
console.log(formatTable(rows));
const target = rows.find((r) => r.name === 'server, 2 workers, 0 ms');
if (target) console.log(`\nTarget (server, 2 workers, no latency: p99 < 1000 ms): ${target.result.p99 < 1000 ? 'met' : 'NOT met'} (p99 ${target.result.p99.toFixed(0)} ms)`);
process.exit(0);
