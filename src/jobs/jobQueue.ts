import { PgBoss, type SendOptions } from 'pg-boss';
import type { Clock } from '../clock.ts';
import type { AppContext } from '../context.ts';
import { bossDbFor, type Database, type DatabaseHandle } from '../db/database.ts';
import type { Logger } from '../log.ts';
import { bossClockFor, type SandboxBossClock } from './bossClock.ts';
import { DEFAULT_RETRY, jobDefinition, registeredJobs, type JobDefinition } from './jobRegistry.ts';

/** pg-boss's schema; its job table is vacuumed in embedded mode (`embeddedVacuum.ts`). */
export const BOSS_SCHEMA = 'pgboss';

export type JobSendOptions = Omit<SendOptions, 'db'>;

/** `ctx.jobs`: pg-boss for the whole process. */
export interface Jobs {
  readonly boss: PgBoss;
  /**
   * Enqueues a job of a registered queue. With a transaction, the job commits or rolls back with
   * it (pg-boss runs its insert through `bossDbFor(tx)`); with `null`, it is enqueued on its own.
   * The payload is checked against the queue's schema first (an invalid one throws, nothing is
   * enqueued). `startAfter` is measured on our clock (default: its now), like everything else.
   */
  send(tx: Database | null, queue: string, data: object, options?: JobSendOptions): Promise<void>;
  /** Starts pg-boss (installs or migrates its schema, creates the registered queues). Idempotent. */
  start(): Promise<void>;
  /** Starts working every registered queue in this process (worker roles only). */
  work(ctx: AppContext): Promise<void>;
  /**
   * Stops this process's workers (no new fetches); resolves when their running handlers have
   * finished, or after `graceMs`. pg-boss itself stays up: sending still works (`stop` closes it).
   */
  stopWorking(graceMs: number): Promise<void>;
  /** Stops; running handlers get up to `graceMs` to finish (an unfinished job is retried after it expires). */
  stop(graceMs: number): Promise<void>;
  /** Jobs of the registered queues that are ready to run now or running (the sandbox waits for 0). */
  pendingCount(): Promise<number>;
  /** When the earliest waiting job of the registered queues (a retry, a delayed job) may start. */
  nextRunAt(): Promise<Date | null>;
  /** Asks this process's workers to fetch now instead of at their next poll. */
  nudge(): void;
  /** Jobs handled by this process, by queue. */
  stats(): Record<string, { handled: number; failed: number }>;
}

export type CreateJobsOptions = {
  database: DatabaseHandle;
  /** The server's URL: pg-boss then opens its own small pool. Absent on the embedded engine. */
  databaseUrl: string | undefined;
  clock: Clock;
  log: Logger;
  /** How often idle workers poll pg-boss (seconds, >= 0.5). */
  pollingIntervalSeconds?: number;
};

export function createJobs(options: CreateJobsOptions): Jobs {
  const { database, clock } = options;
  const log = options.log.child({ component: 'jobs' });
  const bossClock: SandboxBossClock | undefined = bossClockFor(clock, log);
  const common = { schema: BOSS_SCHEMA, ...(bossClock ? { clock: bossClock } : {}) };
  const boss =
    database.kind === 'postgres' && options.databaseUrl
      ? new PgBoss({ ...common, connectionString: options.databaseUrl, max: 4, application_name: 'perennial-jobs' })
      : new PgBoss({ ...common, db: database.boss, ...(database.kind === 'pglite' ? { backend: 'pglite' as const } : {}) });
  boss.on('error', (err) => log.error({ err }, 'pg-boss error'));
  boss.on('warning', (warning) => log.warn({ warning }, 'pg-boss warning'));

  const polling = options.pollingIntervalSeconds ?? 2;
  const workerIds: string[] = [];
  const workedQueues = new Set<string>();
  const counters: Record<string, { handled: number; failed: number }> = {};
  let starting: Promise<void> | undefined;
  let stopped = false;
  const created = new Set<string>();

  /** Creates (or updates) the queues registered since the last call. */
  const ensureQueues = async () => {
    for (const def of registeredJobs()) {
      if (created.has(def.queue)) continue;
      await createQueue(boss, def);
      created.add(def.queue);
    }
  };

  const start = () => {
    starting ??= (async () => {
      await boss.start();
      await ensureQueues();
    })();
    return starting;
  };

  return {
    boss,
    start,

    async send(tx, queue, data, sendOptions = {}) {
      const def = jobDefinition(queue);
      if (!def) throw new Error(`no job queue ${queue} is registered (registerJob)`);
      const parsed = def.schema.safeParse(data);
      if (!parsed.success) throw new Error(`invalid payload for job ${queue}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`);
      // Starting runs statements outside the transaction: on PGlite (one connection) that waits for
      // the transaction and would deadlock inside it, so processes start jobs at boot; this is the
      // safety net for a `null` transaction only.
      if (tx) {
        if (!starting) throw new Error('jobs are not started: call ctx.jobs.start() at boot');
        await starting;
        if (!created.has(queue)) throw new Error(`job queue ${queue} was registered after jobs started: register it at module load`);
      } else {
        await start();
        await ensureQueues();
      }
      // Always an explicit instant on our clock: a caller's transaction runs on a session that
      // reads real time in job_now(), which differs from the sandbox clock.
      const { startAfter } = sendOptions;
      await boss.send(queue, parsed.data as object, {
        ...sendOptions,
        startAfter: typeof startAfter === 'number' ? new Date(clock.nowMs() + startAfter * 1000) : (startAfter ?? clock.now()),
        ...(tx ? { db: bossDbFor(tx) } : {}),
      });
    },

    async work(ctx) {
      await start();
      await ensureQueues();
      for (const def of registeredJobs()) {
        const counter = (counters[def.queue] = { handled: 0, failed: 0 });
        const id = await boss.work<unknown>(
          def.queue,
          { localConcurrency: def.concurrency ?? 2, batchSize: 1, pollingIntervalSeconds: polling },
          async (jobs) => {
            for (const job of jobs) {
              const context = { queue: def.queue, jobId: job.id, retryCount: job.retryCount };
              try {
                const data = def.schema.parse(job.data);
                await def.handle(ctx, data, { id: job.id, retryCount: job.retryCount });
                counter.handled += 1;
              } catch (err) {
                counter.failed += 1;
                log.error({ err, ...context }, 'job failed; pg-boss retries it with backoff until its retry limit');
                throw err;
              }
            }
          },
        );
        workerIds.push(id);
        workedQueues.add(def.queue);
      }
    },

    async stopWorking(graceMs) {
      if (workedQueues.size === 0) return;
      const queues = [...workedQueues];
      workedQueues.clear();
      workerIds.length = 0;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), graceMs);
      });
      const drained = Promise.allSettled(queues.map((q) => boss.offWork(q, { wait: true }))).then(() => 'drained' as const);
      const result = await Promise.race([drained, timeout]);
      clearTimeout(timer);
      if (result === 'timeout') log.warn({ graceMs }, 'job handlers still running after the grace; pg-boss retries them once they expire');
    },

    async stop(graceMs) {
      if (stopped || !starting) return;
      stopped = true;
      await starting.catch((err: unknown) => log.warn({ err }, 'pg-boss never started'));
      await boss.stop({ graceful: true, timeout: Math.max(graceMs, 1000), close: true });
    },

    async pendingCount() {
      const queues = registeredJobs().map((d) => d.queue);
      if (queues.length === 0 || !starting) return 0;
      await bossClock?.synced();
      const { rows } = await database.query<{ n: number }>(
        `select count(*)::int as n from ${BOSS_SCHEMA}.job
         where name = any($1::text[]) and (state = 'active' or (state in ('created', 'retry') and start_after <= $2))`,
        [queues, clock.now()],
      );
      return rows[0]?.n ?? 0;
    },

    async nextRunAt() {
      const queues = registeredJobs().map((d) => d.queue);
      if (queues.length === 0 || !starting) return null;
      const { rows } = await database.query<{ at: Date | string | null }>(
        `select min(start_after) as at from ${BOSS_SCHEMA}.job where name = any($1::text[]) and state in ('created', 'retry')`,
        [queues],
      );
      const at = rows[0]?.at;
      return at ? new Date(at) : null;
    },

    nudge() {
      for (const id of workerIds) boss.notifyWorker(id);
    },

    stats() {
      return Object.fromEntries(Object.entries(counters).map(([q, c]) => [q, { ...c }]));
    },
  };
}

async function createQueue(boss: PgBoss, def: JobDefinition): Promise<void> {
  const retry = { ...DEFAULT_RETRY, ...def.retry };
  const options = {
    retryLimit: retry.limit,
    retryDelay: retry.delaySeconds,
    retryBackoff: true,
    retryDelayMax: retry.maxDelaySeconds,
    expireInSeconds: def.expireInSeconds ?? 300,
  };
  const existing = await boss.getQueue(def.queue);
  if (existing) await boss.updateQueue(def.queue, options);
  else await boss.createQueue(def.queue, options);
  // Loads the queue into pg-boss's queue cache now: a send inside a PGlite transaction must not
  // need a statement outside it (one connection: it would wait for the transaction forever).
  await boss.findJobs(def.queue, { id: '00000000-0000-0000-0000-000000000000' });
}
