/**
 * A worker process of `npm run bench:refresh`: the real due runner on the refresh queue
 * (src/lifecycle/refreshQueue.ts, its concurrency and batch size), timed for `--seconds`, with
 * its RSS sampled. Prints one JSON line with the result.
 * - `--engine pg --database-url <url>`: prints `ready`, starts on a `go` line on stdin.
 * - `--engine pglite --data-dir <dir> --connections N --sizes a,b,c --due D`: PGlite belongs to
 *   one process, so this one seeds it and measures the planning itself first, then runs.
 */
import { randomUUID } from 'node:crypto';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { SystemClock } from '../src/clock.ts';
import { loadConfig } from '../src/config.ts';
import type { AppContext } from '../src/context.ts';
import { openPglite, openPostgres } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { DueRunner } from '../src/jobs/dueRunner.ts';
import { createJobs } from '../src/jobs/jobQueue.ts';
import { refreshQueue } from '../src/lifecycle/refreshQueue.ts';
import { createLogger } from '../src/log.ts';
import { makeDue, planningTiming, sampleRss, seedConnections, type PlanningTiming } from './refreshBenchSeed.ts';

const { values: args } = parseArgs({
  options: {
    engine: { type: 'string' },
    'database-url': { type: 'string' },
    'data-dir': { type: 'string' },
    emulator: { type: 'string' },
    keys: { type: 'string' },
    seconds: { type: 'string', default: '20' },
    connections: { type: 'string', default: '0' },
    sizes: { type: 'string', default: '' },
    due: { type: 'string', default: '500' },
    name: { type: 'string', default: 'worker' },
  },
});

const log = createLogger({ level: 'error', destination: process.stderr as never });
const clock = new SystemClock();
const database = args.engine === 'pglite' ? await openPglite(args['data-dir']!, log) : await openPostgres(args['database-url']!, refreshQueue.concurrency + 4, log);
const config = loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'error', DATA_DIR: '.tmp/bench-data', EMULATOR_URL: args.emulator, ENCRYPTION_KEYS: args.keys, PUBLIC_URL: 'http://perennial.bench' });
const ctx: AppContext = { config, clock, log, database, db: database.db, jobs: createJobs({ database, databaseUrl: args['database-url'], clock, log }) };

let planning: Record<string, PlanningTiming> | undefined;
if (args.engine === 'pglite') {
  await migrate(ctx.db);
  const workspaceId = randomUUID();
  await ctx.db.execute(sql`insert into workspaces (id, name, created_at) values (${workspaceId}, 'Bench', ${clock.now()})`);
  planning = {};
  let inserted = 0;
  for (const size of args.sizes.split(',').map(Number).filter((n) => n > 0)) {
    await seedConnections(ctx, { emulatorUrl: args.emulator!, workspaceId, from: inserted, count: size - inserted });
    inserted = size;
    await makeDue(ctx.db, { now: clock.now(), count: Number(args.due) });
    await ctx.db.execute(sql`vacuum analyze connection_refreshes`);
    planning[size] = await planningTiming(ctx, { batchSize: refreshQueue.batchSize, samples: 15 });
    process.stderr.write(`pglite ${size} connections: planning ${planning[size]!.totalMs.toFixed(2)} ms\n`);
  }
  await makeDue(ctx.db, { now: clock.now(), count: 'all' });
} else {
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => readline.createInterface({ input: process.stdin }).on('line', (line) => line.trim() === 'go' && resolve()));
}

await ctx.jobs.start();
const runner = new DueRunner(ctx, refreshQueue, { runnerId: `${args.name}-${process.pid}` });
const rss = sampleRss();
const started = performance.now();
const startedAt = clock.now();
await runner.start();
await new Promise((r) => setTimeout(r, Number(args.seconds) * 1000));
await runner.stop(5_000);
const seconds = (performance.now() - started) / 1000;
const memory = rss.stop();
const refreshed =
  args.engine === 'pglite'
    ? Number((await ctx.db.execute(sql`select count(*)::int as n from access_log where action = 'refreshed' and at >= ${startedAt}`)).rows[0]!.n)
    : undefined;
const stats = runner.stats;
process.stdout.write(
  `${JSON.stringify({ name: args.name, engine: args.engine, seconds: Number(seconds.toFixed(1)), handled: stats.handled, failed: stats.failed, handledPerSecond: Number((stats.handled / seconds).toFixed(1)), refreshed, rss: memory, planning })}\n`,
);
await ctx.jobs.stop(1_000);
await database.close();
process.exit(0);
