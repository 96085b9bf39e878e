/**
 * A worker process for the refresh engine's multi-process tests: the real due runner on the
 * refresh queue, on the PostgreSQL server at argv[2], against the emulator at argv[3], with the
 * vault keys of the test. On stdin, `burst <count> <validForMs> <id,id,...>` fires `count`
 * on-demand refreshes (ensureFreshAccess, as publishing does) per connection at once and prints
 * `burst-done <json>`. Prints `ready` once its runner started; SIGTERM stops it.
 *   node src/lifecycle/testing/refreshWorkerProcess.ts <databaseUrl> <emulatorUrl> <encryptionKeys> <runnerId> [leaseMs]
 */
import readline from 'node:readline';
import { SystemClock } from '../../clock.ts';
import { loadConfig } from '../../config.ts';
import type { AppContext } from '../../context.ts';
import { openPostgres } from '../../db/database.ts';
import { DueRunner } from '../../jobs/dueRunner.ts';
import { createJobs } from '../../jobs/jobQueue.ts';
import { createLogger } from '../../log.ts';
import { ensureFreshAccess } from '../ensureFreshAccess.ts';
import { refreshQueue } from '../refreshQueue.ts';

const [databaseUrl, emulatorUrl, encryptionKeys, runnerId, leaseMs] = process.argv.slice(2);
if (!databaseUrl || !emulatorUrl || !encryptionKeys || !runnerId) {
  console.error('usage: refreshWorkerProcess.ts <databaseUrl> <emulatorUrl> <encryptionKeys> <runnerId> [leaseMs]');
  process.exit(2);
}
const log = createLogger({ level: 'warn', destination: process.stderr as never });
const clock = new SystemClock();
const database = await openPostgres(databaseUrl, refreshQueue.concurrency + 8, log);
const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: '.tmp/test-data', EMULATOR_URL: emulatorUrl, ENCRYPTION_KEYS: encryptionKeys, PUBLIC_URL: 'http://perennial.test' });
const ctx: AppContext = { config, clock, log, database, db: database.db, jobs: createJobs({ database, databaseUrl, clock, log }) };
await ctx.jobs.start();
const queue = leaseMs ? { ...refreshQueue, leaseMs: Number(leaseMs) } : refreshQueue;
const runner = new DueRunner(ctx, queue, { runnerId, pollMs: 100 });
await runner.start();
process.stdout.write('ready\n');

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, count, validForMs, ids] = line.trim().split(' ');
  if (command !== 'burst' || !count || !validForMs || !ids) return;
  const calls = ids.split(',').flatMap((id) => Array.from({ length: Number(count) }, () => id));
  void Promise.allSettled(calls.map((id) => ensureFreshAccess(ctx, id, { validForMs: Number(validForMs) }))).then((results) => {
    const summary = results.map((r) => (r.status === 'fulfilled' ? 'ok' : `error:${(r.reason as Error).message}`));
    process.stdout.write(`burst-done ${JSON.stringify(summary)}\n`);
  });
});

process.once('SIGTERM', () => {
  void (async () => {
    await runner.stop(2_000);
    await ctx.jobs.stop(1_000);
    await database.close();
    process.stdout.write(`stopped ${JSON.stringify(runner.stats)}\n`);
    process.exit(0);
  })();
});
