import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import pg from 'pg';
import { loadTestSettings } from '../config.ts';
import { openPglite, openPostgres, type DatabaseHandle } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { createLogger } from '../log.ts';

/**
 * A fresh, migrated database for one test file: an in-memory PGlite by default, or a new
 * database on the server named by PERENNIAL_TEST_PG_URL (`npm run test:pg`), dropped on close.
 * The one environment switch that moves the whole suite between the two engines.
 */
const settings = loadTestSettings();

export const TEST_PG_URL = settings.pgUrl;

export const testEngine = TEST_PG_URL ? 'postgres' : 'pglite';

export async function openTestDatabase(options: { migrate?: boolean } = {}): Promise<DatabaseHandle & { url?: string }> {
  const log = createLogger({ level: 'silent' });
  let handle: DatabaseHandle & { url?: string };
  if (TEST_PG_URL) {
    const name = `perennial_t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    try {
      await admin.query(`create database ${name}`);
    } finally {
      await admin.end();
    }
    const url = new URL(TEST_PG_URL);
    url.pathname = `/${name}`;
    const inner = await openPostgres(url.toString(), 8, log);
    handle = {
      ...inner,
      url: url.toString(),
      async close() {
        await inner.close();
        const drop = new pg.Client({ connectionString: TEST_PG_URL });
        await drop.connect();
        try {
          await drop.query(`drop database if exists ${name} with (force)`);
        } finally {
          await drop.end();
        }
      },
    };
  } else {
    // A migrated template made once per test run (scripts/test.ts) loads in ~0.4 s instead of
    // the ~2.5 s an initdb takes.
    const template = options.migrate !== false ? settings.pgliteTemplate : undefined;
    handle = await openPglite(null, log, template ? { loadDataDir: new Blob([fs.readFileSync(template)]) } : {});
  }
  if (options.migrate ?? true) await migrate(handle.db);
  return handle;
}
