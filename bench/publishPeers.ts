/**
 * The peers to beat in `npm run bench:publish`: the same burst of no-op jobs, due at the same
 * second, through graphile-worker (batched settings: local queue, batched completion) and
 * pg-boss (tuned: big batches, burst fetching, shortest poll), on the same database.
 * Lateness is measured like the publisher's: the moment a job's handler finishes, minus its due time.
 */
import { makeWorkerUtils, run } from 'graphile-worker';
import { PgBoss } from 'pg-boss';
import type { BurstResult } from './publishStats.ts';
import { summarize } from './publishStats.ts';

const CHUNK = 1_000;

export async function runGraphileBurst(connectionString: string, count: number, workers: number, leadMs: number): Promise<BurstResult> {
  const utils = await makeWorkerUtils({ connectionString });
  await utils.migrate();
  const dueAt = new Date(Date.now() + leadMs);
  for (let i = 0; i < count; i += CHUNK) {
    const specs = Array.from({ length: Math.min(CHUNK, count - i) }, (_, k) => ({ identifier: 'bench_noop', payload: { i: i + k }, runAt: dueAt }));
    await utils.addJobs(specs);
  }
  await utils.release();
  const done: number[] = [];
  const finished = Promise.withResolvers<void>();
  const runners = await Promise.all(
    Array.from({ length: workers }, () =>
      run({
        connectionString,
        concurrency: 32,
        noHandleSignals: true,
        pollInterval: 100,
        logger: quietLogger(),
        taskList: {
          bench_noop: async () => {
            done.push(Date.now());
            if (done.length === count) finished.resolve();
          },
        },
        preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
      }),
    ),
  );
  await Promise.race([finished.promise, new Promise((r) => setTimeout(r, 120_000))]);
  await Promise.all(runners.map((r) => r.stop()));
  return summarize(done.map((t) => t - dueAt.getTime()), count);
}

export async function runPgBossBurst(connectionString: string, count: number, workers: number, leadMs: number): Promise<BurstResult> {
  const queue = 'bench-noop';
  const bosses = Array.from({ length: workers }, () => new PgBoss({ connectionString, schema: 'bench_pgboss', max: 8 }));
  for (const boss of bosses) boss.on('error', (err) => console.error('pg-boss:', err));
  await bosses[0]!.start();
  await Promise.all(bosses.slice(1).map((b) => b.start()));
  await bosses[0]!.createQueue(queue).catch(() => undefined);
  const dueAt = new Date(Date.now() + leadMs);
  for (let i = 0; i < count; i += CHUNK) {
    await bosses[0]!.insert(queue, Array.from({ length: Math.min(CHUNK, count - i) }, (_, k) => ({ data: { i: i + k }, startAfter: dueAt })));
  }
  const done: number[] = [];
  const finished = Promise.withResolvers<void>();
  for (const boss of bosses) {
    await boss.work(queue, { batchSize: 200, pollingIntervalSeconds: 0.5, burstWhenBatchFull: true, localConcurrency: 4 }, async (jobs) => {
      const now = Date.now();
      for (let k = 0; k < jobs.length; k++) done.push(now);
      if (done.length >= count) finished.resolve();
    });
  }
  await Promise.race([finished.promise, new Promise((r) => setTimeout(r, 120_000))]);
  await Promise.all(bosses.map((b) => b.stop({ graceful: true, timeout: 5_000 })));
  return summarize(done.map((t) => t - dueAt.getTime()), count);
}

function quietLogger() {
  // graphile-worker logs every job at info; keep warnings and errors only.
  const noop = () => undefined;
  const scope = {
    debug: noop,
    info: noop,
    warn: (m: string) => console.warn('graphile-worker:', m),
    error: (m: string) => console.error('graphile-worker:', m),
    scope: () => scope,
  };
  return scope as never;
}
