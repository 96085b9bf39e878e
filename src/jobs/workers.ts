import { randomUUID } from 'node:crypto';
import type { AppContext } from '../context.ts';
import type { DueRunner } from './dueRunner.ts';
import { registeredDueQueues, startDueRunners } from './dueRunner.ts';
import { startEmbeddedVacuum } from './embeddedVacuum.ts';
import { startHeartbeat } from './heartbeat.ts';
import { BOSS_SCHEMA } from './jobQueue.ts';

export type Workers = {
  readonly workerId: string;
  /** This process's due runners (the sandbox steps time through them). */
  readonly dueRunners: readonly DueRunner<unknown, unknown>[];
  stop(): Promise<void>;
};

export type WorkerOptions = {
  /** Real-time backstop poll of the due runners (default 5 s). */
  duePollMs?: number;
};

/**
 * Starts the background side of a process: a runner for every registered due queue, pg-boss
 * workers for every registered job queue, the heartbeat `/readyz` reads, and in embedded mode the
 * periodic vacuum. `stop` stops claiming and fetching, lets running work finish (bounded by
 * SHUTDOWN_GRACE_MS) and loses nothing: unfinished due items are released at once, unfinished jobs
 * are retried. It leaves pg-boss itself running (a finishing handler may still enqueue): the
 * process closes it afterwards (`ctx.jobs.stop`).
 */
export async function startWorkers(ctx: AppContext, role: string, options: WorkerOptions = {}): Promise<Workers> {
  const workerId = `${role}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const stopHeartbeat = await startHeartbeat(ctx, workerId, role);
  await ctx.jobs.start();
  await ctx.jobs.work(ctx);
  const queues = registeredDueQueues();
  const due = await startDueRunners(ctx, { runnerId: workerId, queues, pollMs: options.duePollMs });
  const vacuum =
    ctx.database.kind === 'pglite'
      ? startEmbeddedVacuum(ctx, [...queues.flatMap((q) => q.tables ?? []), `${BOSS_SCHEMA}.job`], {
          everyMs: ctx.config.vacuumIntervalMs,
        })
      : undefined;
  ctx.log.info({ workerId, dueQueues: queues.map((q) => q.name) }, 'workers started');

  return {
    workerId,
    dueRunners: due.runners,
    async stop() {
      const grace = ctx.config.shutdownGraceMs;
      await Promise.all([
        due.stop(grace).catch((err: unknown) => ctx.log.error({ err }, 'stopping the due runners failed')),
        ctx.jobs.stopWorking(grace).catch((err: unknown) => ctx.log.error({ err }, 'stopping the job workers failed')),
        vacuum?.stop(),
      ]);
      await stopHeartbeat();
    },
  };
}
