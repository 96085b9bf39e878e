/**
 * The `perennial` command line. `serve` runs the process that `startInstance` composes (the one
 * wiring of the app, also used by the end-to-end tests) and adds only process concerns: signals,
 * exit codes, one-line start-up errors.
 */
import { parseArgs } from 'node:util';
import { SystemClock, type Clock } from './clock.ts';
import { ConfigError, loadConfig, processEnvironment, type Config } from './config.ts';
import type { AppContext } from './context.ts';
import { DatabaseUnreachableError, openDatabase } from './db/database.ts';
import { DataDirLockedError } from './db/dataDirLock.ts';
import { migrate } from './db/migrate.ts';
import { createJobs } from './jobs/jobQueue.ts';
import { createLogger, type Logger } from './log.ts';
import { runSandboxCommand, SANDBOX_USAGE } from './sandbox/sandboxCli.ts';
import { IMPORT_USAGE } from './posts/importCli.ts';
import { VAULT_USAGE } from './vault/vaultCli.ts';
import { VaultError } from './vault/vault.ts';
import { EMULATOR_USAGE } from './emulator/emulatorCli.ts';
import { startInstance, StartupError, type Role } from './startInstance.ts';

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

/** For the one-shot commands (migrate, import, vault): the database and pg-boss, no workers. */
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
  const instance = await startInstance(config, log, { role });
  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal }, 'shutting down');
    // Each step of the stop is bounded by the grace; this only catches a step that hangs anyway.
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 2 * config.shutdownGraceMs + 5_000);
    force.unref();
    void instance.stop().then(() => {
      log.info('stopped');
      process.exit(0);
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
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

  const env = processEnvironment();
  if (values['time-travel']) env.TIME_TRAVEL = 'true';
  const config = loadConfig(env);
  const log = createLogger({ level: config.logLevel });

  switch (command) {
    case 'serve': {
      await serve(config, log, values.role as Role);
      return;
    }
    case 'migrate': {
      const ctx = await openContext(config, log, new SystemClock());
      try {
        const applied = await migrate(ctx.db, { clock: ctx.clock });
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
        const { runImportCommand } = await import('./posts/importCli.ts');
        process.exitCode = await runImportCommand(ctx, positionals.slice(1), { dryRun: values['dry-run'] });
      } finally {
        await ctx.database.close();
      }
      return;
    }
    case 'vault': {
      const ctx = await openContext(config, log, new SystemClock());
      try {
        const { runVaultCommand } = await import('./vault/vaultCli.ts');
        process.exitCode = await runVaultCommand(ctx, positionals.slice(1));
      } finally {
        await ctx.database.close();
      }
      return;
    }
    case 'emulator': {
      const port = Number(values.port ?? 4010);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port must be a port number (got ${values.port})`);
      const { runEmulatorCommand } = await import('./emulator/emulatorCli.ts');
      await runEmulatorCommand({ port, host: config.host, log });
      return;
    }
    default:
      console.error(`Unknown command "${command}".\n\n${USAGE}`);
      process.exitCode = 2;
  }
}

/** Errors whose message says all an operator needs, in a line or a short list naming the variable. */
const EXPECTED = [ConfigError, DataDirLockedError, StartupError, DatabaseUnreachableError, VaultError];

main(process.argv.slice(2)).catch((err: unknown) => {
  const error = err instanceof Error ? err : new Error(String(err));
  if (EXPECTED.some((type) => error instanceof type)) {
    console.error(error.message);
  } else {
    // Anything else is unexpected: one line, and the stack only when asked for.
    const debug = /^(debug|trace)$/.test(processEnvironment().LOG_LEVEL ?? '');
    console.error(`Perennial stopped: ${error.message.split('\n')[0]}${debug ? '' : ' (LOG_LEVEL=debug shows the stack)'}`);
    if (debug) console.error(error.stack);
  }
  process.exit(1);
});
