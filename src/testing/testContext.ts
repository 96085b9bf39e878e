import { Writable } from 'node:stream';
import { ControllableClock } from '../clock.ts';
import { loadConfig, type Config } from '../config.ts';
import type { AppContext } from '../context.ts';
import { createLogger } from '../log.ts';
import { createJobs } from '../jobs/jobQueue.ts';
import { openTestDatabase } from './testDatabase.ts';

/** Everything a test needs: a fresh database, a frozen clock it moves by hand, captured logs. */
export type TestContext = AppContext & {
  clock: ControllableClock;
  /** Every log line written so far, as raw JSON text (to assert that no secret was logged). */
  logText(): string;
  close(): Promise<void>;
};

export const TEST_START_MS = Date.UTC(2026, 0, 5, 9, 0, 0); // a Monday, 09:00 UTC

export async function openTestContext(
  options: { env?: Record<string, string>; startMs?: number } = {},
): Promise<TestContext> {
  const database = await openTestDatabase();
  const config: Config = loadConfig({ NODE_ENV: 'test', DATA_DIR: '.tmp/test-data', ...options.env });
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const log = createLogger({ level: 'debug', destination: sink });
  const clock = new ControllableClock({ startMs: options.startMs ?? TEST_START_MS });
  // pg-boss, not started: a test that enqueues or works jobs calls `await ctx.jobs.start()` first.
  const jobs = createJobs({ database, databaseUrl: database.url, clock, log, pollingIntervalSeconds: 0.5 });
  return {
    config,
    clock,
    log,
    database,
    db: database.db,
    jobs,
    logText: () => chunks.join(''),
    close: async () => {
      await jobs.stop(1000);
      await database.close();
    },
  };
}
