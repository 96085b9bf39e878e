/**
 * The peers to beat in `npm run bench:publish`: the same burst of no-op jobs, due at the same
 * second, through graphile-worker and pg-boss, each run by worker processes of its own
 * (`publishPeerWorker.ts`) on the same database, like ours. Lateness is measured like the
 * publisher's: the moment a job's handler finished, minus its due time; jobs unfinished at the
 * cutoff count as late as the cutoff.
 */
import { makeWorkerUtils } from 'graphile-worker';
import { PgBoss } from 'pg-boss';
import { startBenchProcess, type BenchChild } from './benchProcess.ts';
import type { BurstResult } from './publishStats.ts';
import { summarize } from './publishStats.ts';

const CHUNK = 1_000;
const QUEUE = 'bench-noop';
const BOSS_SCHEMA = 'bench_pgboss';
const script = new URL('./publishPeerWorker.ts', import.meta.url).pathname;

export type PeerKind = 'graphile' | 'pgboss';

export async function runPeerBurst(
  kind: PeerKind,
  connectionString: string,
  input: { count: number; workers: number; leadMs: number; timeoutMs: number },
): Promise<BurstResult> {
  // Schemas first (a worker must find its queue), then the idle workers, then the burst.
  if (kind === 'graphile') {
    const utils = await makeWorkerUtils({ connectionString });
    await utils.migrate();
    await utils.release();
  } else {
    const boss = new PgBoss({ connectionString, schema: BOSS_SCHEMA, max: 2 });
    boss.on('error', (err) => console.error('pg-boss:', err));
    await boss.start();
    await boss.createQueue(QUEUE).catch(() => undefined);
    await boss.stop({ graceful: false, close: true });
  }
  const children = await Promise.all(
    Array.from({ length: input.workers }, (_, i) => startBenchProcess(script, { kind, connectionString }, { name: `${kind} worker ${i}` })),
  );
  try {
    const dueAt = Date.now() + input.leadMs;
    await insertBurst(kind, connectionString, input.count, new Date(dueAt));
    await waitForDone(children, input.count, dueAt + input.timeoutMs);
    await Promise.all(children.map((c) => c.stop()));
    const times = children.flatMap((c) => {
      const line = c.lines.find((l) => l.startsWith('times '));
      return line ? (JSON.parse(line.slice('times '.length)) as number[]) : [];
    });
    return summarize(times.map((t) => t - dueAt), input.count, input.timeoutMs);
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}

async function insertBurst(kind: PeerKind, connectionString: string, count: number, dueAt: Date): Promise<void> {
  if (kind === 'graphile') {
    const utils = await makeWorkerUtils({ connectionString });
    try {
      for (let i = 0; i < count; i += CHUNK) {
        await utils.addJobs(Array.from({ length: Math.min(CHUNK, count - i) }, (_, k) => ({ identifier: 'bench_noop', payload: { i: i + k }, runAt: dueAt })));
      }
    } finally {
      await utils.release();
    }
    return;
  }
  const boss = new PgBoss({ connectionString, schema: BOSS_SCHEMA, max: 2 });
  boss.on('error', (err) => console.error('pg-boss:', err));
  await boss.start();
  try {
    for (let i = 0; i < count; i += CHUNK) {
      await boss.insert(QUEUE, Array.from({ length: Math.min(CHUNK, count - i) }, (_, k) => ({ data: { i: i + k }, startAfter: dueAt })));
    }
  } finally {
    await boss.stop({ graceful: false, close: true });
  }
}

async function waitForDone(children: BenchChild[], count: number, deadline: number): Promise<void> {
  const doneBy = new Map<BenchChild, number>();
  for (const c of children) doneBy.set(c, 0);
  await new Promise<void>((resolve) => {
    const check = () => {
      const total = [...doneBy.values()].reduce((a, b) => a + b, 0);
      if (total >= count || Date.now() > deadline) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(check, 50);
    for (const c of children) {
      c.onLine((line) => {
        if (!line.startsWith('done ')) return;
        doneBy.set(c, Number(line.slice('done '.length)));
        check();
      });
    }
  });
}
