/**
 * A publishing worker process for the crash tests and the benchmark: runs the publishing due
 * queue (the real runner, the real adapters against the emulator) on the PostgreSQL server
 * (`databaseUrl`) or on an embedded data folder it owns (`dataDir`), until SIGTERM or until it is
 * killed. Configuration comes as one JSON argument (no environment reads outside config.ts):
 *   node src/publishing/testing/publishWorkerProcess.ts '{"databaseUrl":...|"dataDir":...,
 *     "emulatorUrl":...,"encryptionKeys":"k1:...","clockMs":1767603600000,"runnerId":"w1",
 *     "concurrency":32,"batchSize":64,"noLookup":["linkedin"]}'
 * - `clockMs`: a controllable clock frozen at that instant, moved by "clock <ms>" lines on stdin
 *   (the parent moves the emulator's with it); absent: real time.
 * - `noLookup`: platforms whose adapter is used without its lookup of recent posts (a platform
 *   that cannot be checked).
 * Prints "ready" once its runner started; with a controllable clock, "idle <ms>" whenever nothing
 * runs and the next claimable instant is ahead ("idle none": nothing is left to do); at SIGTERM,
 * "stopped {...}" with the runner's counts, the CPU used and, on the server, the statements sent.
 */
import pg from 'pg';
import { ControllableClock, SystemClock, type Clock } from '../../clock.ts';
import { loadConfig } from '../../config.ts';
import { openPglite, openPostgres } from '../../db/database.ts';
import { DueRunner } from '../../jobs/dueRunner.ts';
import { createJobs } from '../../jobs/jobQueue.ts';
import { createLogger } from '../../log.ts';
import type { PlatformId, Provider } from '../../providers/types.ts';
import { defaultPublishDeps } from '../defaultPublishDeps.ts';
import type { PublishDeps } from '../publishDeps.ts';
import { publishingQueue } from '../publishingQueues.ts';

type Args = {
  databaseUrl?: string;
  dataDir?: string;
  emulatorUrl: string;
  encryptionKeys: string;
  clockMs?: number;
  runnerId: string;
  concurrency?: number;
  batchSize?: number;
  pollMs?: number;
  noLookup?: PlatformId[];
};

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const statements = countStatements();
const log = createLogger({ level: 'warn', destination: process.stderr as never });
const clock: Clock = args.clockMs === undefined ? new SystemClock() : new ControllableClock({ startMs: args.clockMs });
const config = loadConfig({
  NODE_ENV: 'test',
  DATA_DIR: args.dataDir ?? '.tmp/test-data',
  ...(args.databaseUrl ? { DATABASE_URL: args.databaseUrl } : {}),
  EMULATOR_URL: args.emulatorUrl,
  PUBLIC_URL: 'http://perennial.test',
  ENCRYPTION_KEYS: args.encryptionKeys,
});
const concurrency = args.concurrency ?? 16;
// Handlers wait on the platform most of the time: a pool far smaller than the concurrency suffices.
const database = args.databaseUrl ? await openPostgres(args.databaseUrl, Math.min(concurrency, 12) + 2, log) : await openPglite(args.dataDir!, log);
const ctx = { config, clock, log, database, db: database.db, jobs: createJobs({ database, databaseUrl: args.databaseUrl, clock, log }) };
const runner = new DueRunner(ctx, publishingQueue(depsWithoutLookup(args.noLookup ?? []), { concurrency, batchSize: args.batchSize ?? 32 }), {
  runnerId: args.runnerId,
  pollMs: args.pollMs ?? 200,
});
await runner.start();
const cpuAtStart = process.cpuUsage();
process.stdout.write('ready\n');
if (clock instanceof ControllableClock) followParentClock(clock);

process.once('SIGTERM', () => {
  void (async () => {
    await runner.stop(2_000);
    await database.close();
    const cpu = process.cpuUsage(cpuAtStart);
    process.stdout.write(`stopped ${JSON.stringify({ ...runner.stats, cpuMs: Math.round((cpu.user + cpu.system) / 1000), statements })}\n`);
    process.exit(0);
  })();
});

/** "clock <ms>" on stdin moves this process's clock; "idle <ms>|none" tells the parent where to move it. */
function followParentClock(controllable: ControllableClock): void {
  let buffered = '';
  let lastIdle = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const [word, value] = buffered.slice(0, nl).split(' ');
      buffered = buffered.slice(nl + 1);
      if (word === 'clock' && Number(value) > controllable.nowMs()) {
        controllable.set(Number(value));
        lastIdle = '';
        runner.wake();
      }
    }
  });
  const report = setInterval(() => {
    if (runner.busy > 0) return;
    void runner.nextDueAt().then((next) => {
      if (runner.busy > 0 || (next && next.getTime() <= controllable.nowMs())) return;
      const line = `idle ${next ? next.getTime() : 'none'}`;
      if (line !== lastIdle) process.stdout.write(`${(lastIdle = line)}\n`);
    });
  }, 50);
  report.unref();
}

/** The real adapters; those of `platforms` without their lookup of recent posts. */
function depsWithoutLookup(platforms: PlatformId[]): PublishDeps {
  if (platforms.length === 0) return defaultPublishDeps;
  return {
    ...defaultPublishDeps,
    provider(platform) {
      const real = defaultPublishDeps.provider(platform);
      if (!platforms.includes(platform)) return real;
      const blind = Object.create(real) as Provider & { findRecentPost?: unknown };
      blind.findRecentPost = undefined;
      return blind;
    },
  };
}

/** Statements sent to the server by this process, by kind (the benchmark reports them per published target). */
function countStatements(): Record<string, { n: number; ms: number }> {
  const counts: Record<string, { n: number; ms: number }> = {};
  const originalQuery = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...rest: unknown[]) {
    const first = rest[0] as string | { text?: string };
    const text = typeof first === 'string' ? first : (first?.text ?? '');
    const entry = (counts[text.replace(/\s+/g, ' ').trim().slice(0, 48)] ??= { n: 0, ms: 0 });
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
  return counts;
}
