/**
 * The composition of one Perennial process, as `perennial serve` runs it (src/main.js) and as the
 * end-to-end tests start it (src/sandbox/sandboxInstance.ts): the clock, the database, the
 * migrations, the vault's keys, pg-boss, the HTTP app with every route module and the sandbox API,
 * the publishing queues and the workers. Wired by hand, here only.
 */
import type { AddressInfo } from 'node:net';
import { ControllableClock, SystemClock, type Clock } from './clock.ts';
import { ConfigError, type Config } from './config.ts';
import type { AppContext } from './context.ts';
import { openDatabase, type DatabaseHandle } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { buildApp, type App } from './http/app.ts';
import { routeModules } from './http/routes.ts';
import { createJobs } from './jobs/jobQueue.ts';
import { startWorkers, type Workers } from './jobs/workers.ts';
import type { Logger } from './log.ts';
import { defaultPublishDeps } from './publishing/defaultPublishDeps.ts';
import { registerPublishingQueues } from './publishing/publishingQueues.ts';
import { createSandbox, type Sandbox } from './sandbox/sandbox.ts';
import { sandboxRoutes } from './sandbox/sandboxRoutes.ts';
import { getVault } from './vault/vaultKeys.ts';
// The lifecycle's due queues and the job handlers of alerts and webhooks register when imported.
import './lifecycle/refreshQueue.ts';
import './alerts/digestQueue.ts';
import './webhooks/deliverWebhook.ts';

export type Role = 'all' | 'api' | 'worker';
export const ROLES: readonly Role[] = ['all', 'api', 'worker'];

export type Instance = {
  readonly ctx: AppContext;
  readonly role: Role;
  /** The HTTP app (absent in a worker). */
  readonly app: App | undefined;
  /** Where the API listens, `http://host:port` with the real port (absent in a worker). */
  readonly url: string | undefined;
  readonly sandbox: Sandbox;
  /** How long the start took, in milliseconds. */
  readonly startMs: number;
  /**
   * Stops in order, each step bounded by SHUTDOWN_GRACE_MS: the HTTP server first (no new
   * requests; running ones finish), then the workers (no new claims or fetches; running work
   * finishes), then pg-boss, then the database (which releases the data folder's lock).
   */
  stop(): Promise<void>;
};

export type StartOptions = {
  role: Role;
  /**
   * Test seam: a database the caller opened and keeps (a fresh test database); `stop` leaves it
   * open. Default: the one the configuration names (DATA_DIR or DATABASE_URL).
   */
  database?: DatabaseHandle;
  /** The due runners' real-time backstop poll (default 5 s). */
  duePollMs?: number;
};

/** A start-up failure worth one line to the operator (the port is taken, ...). */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** Refuses role and engine combinations that cannot work, before anything is opened. */
export function checkRole(config: Config, role: Role): void {
  if (!ROLES.includes(role)) throw new ConfigError(`--role must be all, api or worker (got ${role})`);
  // Stepping time reaches only the due runners of its own process.
  if (config.timeTravel && role !== 'all') throw new ConfigError('Time travel runs the API and the workers in one process: use --role all');
  if (role !== 'all' && !config.databaseUrl) {
    throw new ConfigError(
      `--role ${role} needs a PostgreSQL server (DATABASE_URL): the embedded database in DATA_DIR belongs to one process, which must run both the API and the workers (--role all)`,
    );
  }
}

async function listen(app: App, config: Config): Promise<string> {
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new StartupError(`Port ${config.port} on ${config.host} is already in use: stop the other process or set PORT`, { cause: err });
    if (code === 'EADDRNOTAVAIL') throw new StartupError(`HOST ${config.host} is not an address of this machine`, { cause: err });
    if (code === 'EACCES') throw new StartupError(`Not allowed to listen on port ${config.port} (ports below 1024 need privileges): set PORT`, { cause: err });
    throw err;
  }
  const { address, port } = app.server.address() as AddressInfo;
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

export async function startInstance(config: Config, log: Logger, options: StartOptions): Promise<Instance> {
  const startedAt = performance.now();
  const { role } = options;
  checkRole(config, role);
  const clock: Clock = config.timeTravel ? new ControllableClock({ flowing: true }) : new SystemClock();
  if (config.timeTravel) log.warn('TIME TRAVEL: this instance runs on a sandbox clock that can be moved forward');

  const database =
    options.database ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize, log }));
  const jobs = createJobs({ database, databaseUrl: config.databaseUrl, clock, log });
  const ctx: AppContext = { config, clock, log, database, db: database.db, jobs };
  let app: App | undefined;
  let workers: Workers | undefined;
  let stopping: Promise<void> | undefined;

  const stop = () => {
    stopping ??= (async () => {
      const deadline = performance.now() + config.shutdownGraceMs;
      const left = () => Math.max(1_000, Math.round(deadline - performance.now()));
      const step = async (what: string, run: () => Promise<void> | undefined) => {
        try {
          await run();
          log.debug({ step: what }, 'stopped');
        } catch (err) {
          log.error({ err }, `stopping ${what} failed`);
        }
      };
      await step('the HTTP server', () => app?.close());
      await step('the workers', () => workers?.stop());
      await step('pg-boss', () => jobs.stop(left()));
      if (!options.database) await step('the database', () => database.close());
    })();
    return stopping;
  };

  try {
    const applied = await migrate(ctx.db, { clock });
    if (applied.length > 0) log.info({ applied }, 'migrations applied');
    // Loads the token keys now (generating the embedded default's key file on first start, with a warning).
    getVault(ctx);

    // Every role enqueues jobs (in the transaction of the write that implies them); only workers
    // work them. pg-boss starts (installs or checks its schema) while the app is built.
    const jobsStarted = jobs.start();
    // Awaited below before anything can enqueue (a failure throws there); this only keeps Node
    // from reporting the rejection as unhandled meanwhile.
    jobsStarted.catch((err: unknown) => log.debug({ err }, 'pg-boss start failed'));

    const sandbox = createSandbox(ctx, () => workers?.dueRunners ?? []);
    let url: string | undefined;
    if (role !== 'worker') {
      app = await buildApp(ctx, { routes: [...routeModules, sandboxRoutes(sandbox)] });
      await jobsStarted;
      url = await listen(app, config);
    }
    if (role !== 'api') {
      registerPublishingQueues(config, defaultPublishDeps);
      await jobsStarted;
      workers = await startWorkers(ctx, role, { duePollMs: options.duePollMs });
    }
    const startMs = Math.round(performance.now() - startedAt);
    log.info({ role, url: role === 'worker' ? undefined : config.publicUrl, engine: database.kind, startMs }, 'Perennial is running');
    return { ctx, role, app, url, sandbox, startMs, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
