/**
 * Throughput of the due-work runner itself (no real work in the handler), on PGlite and on the
 * PostgreSQL server (BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres; skipped
 * when unreachable). Prints items per second for a few runner shapes.
 *   npm run bench:runner [-- --items 5000]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ControllableClock } from '../src/clock.ts';
import { loadConfig } from '../src/config.ts';
import type { AppContext } from '../src/context.ts';
import { openPglite, openPostgres, type DatabaseHandle } from '../src/db/database.ts';
import { DueRunner } from '../src/jobs/dueRunner.ts';
import { createJobs } from '../src/jobs/jobQueue.ts';
import { createTestDueTables, insertTestDueItems, testDueQueue } from '../src/jobs/testing/testDueQueue.ts';
import { createLogger } from '../src/log.ts';

const { values } = parseArgs({ options: { items: { type: 'string', default: '5000' } } });
const ITEMS = Number(values.items);
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const log = createLogger({ level: 'silent' });

const shapes = [
  { runners: 1, concurrency: 1, batchSize: 1 },
  { runners: 1, concurrency: 20, batchSize: 20 },
  { runners: 3, concurrency: 20, batchSize: 20 },
  { runners: 1, concurrency: 100, batchSize: 100 },
];

async function bench(engine: string, database: DatabaseHandle): Promise<void> {
  const clock = new ControllableClock({ startMs: Date.UTC(2026, 0, 1) });
  const ctx: AppContext = {
    config: loadConfig({ NODE_ENV: 'test' }),
    clock,
    log,
    database,
    db: database.db,
    jobs: createJobs({ database, databaseUrl: undefined, clock, log }),
  };
  await createTestDueTables(ctx.db);
  for (const shape of shapes) {
    await database.query('truncate test_due_items, test_due_runs');
    await insertTestDueItems(ctx.db, Array.from({ length: ITEMS }, (_, i) => new Date(clock.nowMs() - i)));
    const queue = testDueQueue(shape);
    const runners = Array.from({ length: shape.runners }, (_, i) => new DueRunner(ctx, queue, { runnerId: `b${i}`, pollMs: 60_000 }));
    const started = performance.now();
    await Promise.all(runners.map((r) => r.start()));
    await Promise.all(runners.map((r) => r.runUntilIdle()));
    const seconds = (performance.now() - started) / 1000;
    await Promise.all(runners.map((r) => r.stop(0)));
    const { rows } = await database.query<{ n: number }>('select count(*)::int as n from test_due_items where done_at is not null');
    const done = rows[0]?.n ?? 0;
    console.log(
      `${engine.padEnd(8)} runners=${shape.runners} concurrency=${String(shape.concurrency).padEnd(3)} batch=${String(shape.batchSize).padEnd(3)} ` +
        `${done}/${ITEMS} items in ${seconds.toFixed(2)} s = ${Math.round(done / seconds)} items/s (claim + handle + batched completion)`,
    );
  }
}

const pglite = await openPglite(null, log);
await bench('pglite', pglite);
await pglite.close();

const admin = new pg.Client({ connectionString: PG_URL });
try {
  await admin.connect();
} catch (err) {
  console.log(`postgres skipped: ${(err as Error).message}`);
  process.exit(0);
}
const name = `perennial_bench_${randomBytes(4).toString('hex')}`;
await admin.query(`create database ${name}`);
try {
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  const server = await openPostgres(url.toString(), 20, log);
  await bench('postgres', server);
  await server.close();
} finally {
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
}
