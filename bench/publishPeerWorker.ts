/**
 * One peer worker process for `npm run bench:publish`: graphile-worker (batched settings: local
 * queue, batched completion) or pg-boss (tuned: big batches, burst fetching, shortest poll),
 * running a no-op task until SIGTERM, like one of our worker processes. It prints "ready" once
 * started, "done <n>" as jobs finish, and at SIGTERM one line "times [...]": the real-time
 * instant each job's handler finished (the parent computes lateness from them).
 * The queue names match publishPeers.ts.
 *   node bench/publishPeerWorker.ts '{"kind":"graphile"|"pgboss","connectionString":"postgres://..."}'
 */
import { run } from 'graphile-worker';
import { PgBoss } from 'pg-boss';

type Args = { kind: 'graphile' | 'pgboss'; connectionString: string };
const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const PEER_QUEUE = 'bench-noop';
const PEER_BOSS_SCHEMA = 'bench_pgboss';
const done: number[] = [];
let reported = 0;
const progress = setInterval(() => {
  if (done.length !== reported) process.stdout.write(`done ${(reported = done.length)}\n`);
}, 50);

let stop: () => Promise<void>;
if (args.kind === 'graphile') {
  const runner = await run({
    connectionString: args.connectionString,
    concurrency: 32,
    maxPoolSize: 34,
    noHandleSignals: true,
    pollInterval: 100,
    logger: quietLogger(),
    taskList: {
      bench_noop: async () => {
        done.push(Date.now());
      },
    },
    preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
  });
  stop = () => runner.stop();
} else {
  const boss = new PgBoss({ connectionString: args.connectionString, schema: PEER_BOSS_SCHEMA, max: 8 });
  boss.on('error', (err) => console.error('pg-boss:', err));
  await boss.start();
  await boss.work(PEER_QUEUE, { batchSize: 200, pollingIntervalSeconds: 0.5, burstWhenBatchFull: true, localConcurrency: 4 }, async (jobs) => {
    const now = Date.now();
    for (let k = 0; k < jobs.length; k++) done.push(now);
  });
  stop = () => boss.stop({ graceful: true, timeout: 5_000 });
}
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void (async () => {
    clearInterval(progress);
    await stop();
    process.stdout.write(`times ${JSON.stringify(done)}\n`);
    process.exit(0);
  })();
});

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
