/**
 * The composition root and the `perennial` command line. Everything is wired here by hand;
 * `buildApp` and `startWorkers` stay free of `listen()` and process concerns so tests use them
 * directly.
 */
import { parseArgs } from 'node:util';
import { ControllableClock, SystemClock, type Clock } from './clock.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import type { AppContext } from './context.ts';
import { openDatabase } from './db/database.ts';
import { DataDirLockedError } from './db/dataDirLock.ts';
import { migrate } from './db/migrate.ts';
import { buildApp } from './http/app.ts';
import { routeModules } from './http/routes.ts';
import { startWorkers, type Workers } from './jobs/workers.ts';
import { createJobs } from './jobs/jobQueue.ts';
import { createSandbox } from './sandbox/sandbox.ts';
import { runSandboxCommand, SANDBOX_USAGE } from './sandbox/sandboxCli.ts';
import { sandboxRoutes } from './sandbox/sandboxRoutes.ts';
import { createLogger, type Logger } from './log.ts';
import { defaultPublishDeps } from './publishing/defaultPublishDeps.ts';
import { registerPublishingQueues } from './publishing/publishingQueues.ts';
import { IMPORT_USAGE, runImportCommand } from './posts/importCli.ts';
import { runVaultCommand, VAULT_USAGE } from './vault/vaultCli.ts';
import { getVault } from './vault/vaultKeys.ts';
import { EMULATOR_USAGE, runEmulatorCommand } from './emulator/emulatorCli.ts';
// Lifecycle: register the refresh and digest due queues and the webhook delivery job in every process.
import './lifecycle/refreshQueue.ts';
import './alerts/digestQueue.ts';
import './webhooks/deliverWebhook.ts';

const USAGE = `Usage: perennial <command> [options]

Commands:
  serve [--role all|api|worker] [--time-travel]
                 Run Perennial (default role "all": API and workers in one process)
  migrate        Apply pending database migrations and exit
${SANDBOX_USAGE}
${IMPORT_USAGE}
${VAULT_USAGE}
${EMULATOR_USAGE}
  help           Show this text

Configuration comes from the environment; see README.md.`;

type Role = 'all' | 'api' | 'worker';

async function openContext(config: Config, log: Logger, clock: Clock): Promise<AppContext> {
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.databasePoolSize,
    log,
  });
  const jobs = createJobs({ database, databaseUrl: config.databaseUrl, clock, log });
  return { config, clock, log, database, db: database.db, jobs };
}

async function serve(config: Config, log: Logger, role: Role): Promise<void> {
  const startedAt = performance.now();
  const clock: Clock = config.timeTravel ? new ControllableClock({ flowing: true }) : new SystemClock();
  if (config.timeTravel) log.warn('TIME TRAVEL: this instance runs on a sandbox clock that can be moved forward');
  // Stepping time reaches only the due runners of its own process.
  if (config.timeTravel && role !== 'all') throw new ConfigError('Time travel runs the API and the workers in one process: use --role all');
  const ctx = await openContext(config, log, clock);
  const stops: (() => Promise<void>)[] = [async () => ctx.database.close()];

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownGraceMs + 5_000);
    force.unref();
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        log.error({ err }, 'error while shutting down');
      }
    }
    log.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  const applied = await migrate(ctx.db);
  if (applied.length > 0) log.info({ applied }, 'migrations applied');
  // Loads the token keys now (generating the embedded default's key file on first start, with a warning).
  getVault(ctx);

  // Every role enqueues jobs (in the transaction of the write that implies them); only workers work
  // them. pg-boss starts (installs or checks its schema) while the app is built.
  const jobsStarted = ctx.jobs.start();
  // Awaited below, before anything can enqueue (a failure throws there); this only keeps Node from
  // reporting the rejection as unhandled while the app is being built.
  jobsStarted.catch((err: unknown) => log.debug({ err }, 'pg-boss start failed'));
  stops.push(async () => ctx.jobs.stop(config.shutdownGraceMs));

  let workers: Workers | undefined;
  const sandbox = createSandbox(ctx, () => workers?.dueRunners ?? []);
  if (role !== 'worker') {
    const app = await buildApp(ctx, { routes: [...routeModules, sandboxRoutes(sandbox)] });
    await jobsStarted;
    await app.listen({ port: config.port, host: config.host });
    stops.push(async () => app.close());
  }
  if (role !== 'api') {
    registerPublishingQueues(config, defaultPublishDeps);
    await jobsStarted;
    const started = await startWorkers(ctx, role);
    workers = started;
    stops.push(async () => started.stop());
  }
  log.info(
    { role, url: role === 'worker' ? undefined : config.publicUrl, engine: ctx.database.kind, startMs: Math.round(performance.now() - startedAt) },
    'Perennial is running',
  );
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string', default: 'all' },
      url: { type: 'string' },
      token: { type: 'string' },
      'time-travel': { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      port: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals[0] ?? 'help';
  if (values.help || command === 'help') {
    console.log(USAGE);
    return;
  }

  const env = { ...process.env };
  if (values['time-travel']) env.TIME_TRAVEL = 'true';
  const config = loadConfig(env);
  const log = createLogger({ level: config.logLevel });

  switch (command) {
    case 'serve': {
      const role = values.role as Role;
      if (!['all', 'api', 'worker'].includes(role)) throw new ConfigError(`--role must be all, api or worker (got ${role})`);
      await serve(config, log, role);
      return;
    }
    case 'migrate': {
      const ctx = await openContext(config, log, new SystemClock());
      try {
        const applied = await migrate(ctx.db);
        console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Nothing to apply: the database is up to date.');
      } finally {
        await ctx.database.close();
      }
      return;
    }
    case 'sandbox': {
      process.exitCode = await runSandboxCommand(positionals.slice(1), {
        url: values.url ?? config.sandboxApiUrl ?? config.publicUrl,
        token: values.token ?? config.sandboxApiToken,
      });
      return;
    }
    case 'import': {
      const ctx = await openContext(config, log, new SystemClock());
      try {
        process.exitCode = await runImportCommand(ctx, positionals.slice(1), { dryRun: values['dry-run'] });
      } finally {
        await ctx.database.close();
      }
      return;
    }
    case 'vault': {
      const ctx = await openContext(config, log, new SystemClock());
      try {
        process.exitCode = await runVaultCommand(ctx, positionals.slice(1));
      } finally {
        await ctx.database.close();
      }
      return;
    }
    case 'emulator': {
      const port = Number(values.port ?? 4010);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port must be a port number (got ${values.port})`);
      await runEmulatorCommand({ port, host: config.host, log });
      return;
    }
    default:
      console.error(`Unknown command "${command}".\n\n${USAGE}`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof DataDirLockedError) {
    console.error(err.message);
  } else {
    console.error(err);
  }
  process.exit(1);
});
