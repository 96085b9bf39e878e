/**
 * A publishing worker process for the crash tests and the benchmark: runs the publishing due
 * queue (the real runner, the real adapters against the emulator) on the server until SIGTERM,
 * or until it is killed. Prints "ready" once its runner started and "idle" whenever nothing is
 * running. Configuration comes as one JSON argument (no environment reads outside config.ts):
 *   node src/publishing/testing/publishWorkerProcess.ts '{"databaseUrl":...,"emulatorUrl":...,
 *     "encryptionKeys":"k1:...","clockMs":1767603600000,"runnerId":"w1","concurrency":32,"batchSize":64}'
 * `clockMs`: a frozen clock at that instant (the parent moves the emulator's); absent: real time.
 */
import pg from 'pg';
import { ControllableClock, SystemClock, type Clock } from '../../clock.ts';
import { loadConfig } from '../../config.ts';
import { openPostgres } from '../../db/database.ts';
import { DueRunner } from '../../jobs/dueRunner.ts';
import { createJobs } from '../../jobs/jobQueue.ts';
import { createLogger } from '../../log.ts';
import { defaultPublishDeps } from '../defaultPublishDeps.ts';
import { publishingQueue } from '../publishingQueues.ts';

type Args = {
  databaseUrl: string;
  emulatorUrl: string;
  encryptionKeys: string;
  clockMs?: number;
  runnerId: string;
  concurrency?: number;
  batchSize?: number;
  pollMs?: number;
};

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
// Statements sent to the server by this process, by kind (the benchmark reports them per published target).
const statements: Record<string, { n: number; ms: number }> = {};
const originalQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...rest: unknown[]) {
  const first = rest[0] as string | { text?: string };
  const text = typeof first === 'string' ? first : (first?.text ?? '');
  const kind = text.replace(/\s+/g, ' ').trim().slice(0, 48);
  const entry = (statements[kind] ??= { n: 0, ms: 0 });
  entry.n += 1;
  const started = performance.now();
  const last = rest.at(-1);
  if (typeof last === 'function') {
    rest[rest.length - 1] = (...cb: unknown[]) => {
      entry.ms += performance.now() - started;
      return (last as (...a: unknown[]) => unknown)(...cb);
    };
  }
  const result = (originalQuery as (...a: unknown[]) => unknown).apply(this, rest);
  if (result instanceof Promise) void result.finally(() => (entry.ms += performance.now() - started)).catch(() => undefined);
  return result;
} as typeof originalQuery;
const log = createLogger({ level: 'warn', destination: process.stderr as never });
const clock: Clock = args.clockMs === undefined ? new SystemClock() : new ControllableClock({ startMs: args.clockMs });
const config = loadConfig({
  NODE_ENV: 'test',
  DATA_DIR: '.tmp/test-data',
  DATABASE_URL: args.databaseUrl,
  EMULATOR_URL: args.emulatorUrl,
  PUBLIC_URL: 'http://perennial.test',
  ENCRYPTION_KEYS: args.encryptionKeys,
});
const concurrency = args.concurrency ?? 16;
// Handlers wait on the platform most of the time: a pool far smaller than the concurrency suffices.
const database = await openPostgres(args.databaseUrl, Math.min(concurrency, 12) + 2, log);
const ctx = { config, clock, log, database, db: database.db, jobs: createJobs({ database, databaseUrl: args.databaseUrl, clock, log }) };
const runner = new DueRunner(ctx, publishingQueue(defaultPublishDeps, { concurrency, batchSize: args.batchSize ?? 32 }), {
  runnerId: args.runnerId,
  pollMs: args.pollMs ?? 200,
});
await runner.start();
const cpuAtStart = process.cpuUsage();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void (async () => {
    await runner.stop(2_000);
    await database.close();
    const cpu = process.cpuUsage(cpuAtStart);
    process.stdout.write(`stopped ${JSON.stringify({ ...runner.stats, cpuMs: Math.round((cpu.user + cpu.system) / 1000), statements })}\n`);
    process.exit(0);
  })();
});
