/**
 * A worker process for the runner's multi-process tests and benchmark: works the test due queue
 * on the server at DATABASE URL argv[2] until SIGTERM. Prints "ready" once its runner started.
 *   node src/jobs/testing/dueWorkerProcess.ts <databaseUrl> <runnerId> [leaseMs] [concurrency] [batchSize]
 */
import { SystemClock } from '../../clock.ts';
import { loadConfig } from '../../config.ts';
import { openPostgres } from '../../db/database.ts';
import { createLogger } from '../../log.ts';
import { DueRunner } from '../dueRunner.ts';
import { createJobs } from '../jobQueue.ts';
import { testDueQueue } from './testDueQueue.ts';

const [databaseUrl, runnerId, leaseMs = '30000', concurrency = '4', batchSize = '10'] = process.argv.slice(2);
if (!databaseUrl || !runnerId) {
  console.error('usage: dueWorkerProcess.ts <databaseUrl> <runnerId> [leaseMs] [concurrency] [batchSize]');
  process.exit(2);
}
const log = createLogger({ level: 'warn', destination: process.stderr as never });
const clock = new SystemClock();
const database = await openPostgres(databaseUrl, Number(concurrency) + 2, log);
const config = loadConfig({ NODE_ENV: 'test' });
const ctx = { config, clock, log, database, db: database.db, jobs: createJobs({ database, databaseUrl, clock, log }) };
const queue = testDueQueue({ leaseMs: Number(leaseMs), concurrency: Number(concurrency), batchSize: Number(batchSize) });
const runner = new DueRunner(ctx, queue, { runnerId, pollMs: 100 });
await runner.start();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void (async () => {
    await runner.stop(2_000);
    await database.close();
    process.stdout.write(`stopped ${JSON.stringify(runner.stats)}\n`);
    process.exit(0);
  })();
});
