/**
 * Runs the test suite with Node's test runner.
 *   npm test              every *.test.ts under src/ on the embedded engine (PGlite)
 *   npm run test:pg       the same files on the PostgreSQL server (PERENNIAL_TEST_PG_URL or
 *                         postgres://postgres@127.0.0.1:5432/postgres), a fresh database per file
 *   npm run test:browser  the *.browser.test.ts files, in headless Chromium
 * Extra arguments are file paths or globs to run instead of the whole suite.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { migrate } from '../src/db/migrate.ts';
import { openPglite } from '../src/db/database.ts';
import { createLogger } from '../src/log.ts';

const args = process.argv.slice(2);
const pgMode = args.includes('--pg');
const browserMode = args.includes('--browser');
const explicit = args.filter((a) => !a.startsWith('--'));

const files = explicit.length
  ? explicit
  : fs
      .globSync(browserMode ? 'src/**/*.browser.test.ts' : 'src/**/*.test.ts')
      .filter((f) => browserMode || !f.endsWith('.browser.test.ts'))
      .sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

const env: Record<string, string | undefined> = { ...process.env, NODE_ENV: 'test' };
if (pgMode) {
  env.PERENNIAL_TEST_PG_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
} else {
  delete env.PERENNIAL_TEST_PG_URL;
  // One migrated PGlite image for the whole run; each test file loads a copy of it.
  fs.mkdirSync('.tmp', { recursive: true });
  // Named per run and written whole, so runs side by side never read each other's half-written file.
  const template = path.resolve(`.tmp/pglite-template-${process.pid}.tar`);
  process.on('exit', () => fs.rmSync(template, { force: true }));
  const handle = await openPglite(null, createLogger({ level: 'silent' }));
  await migrate(handle.db);
  const dump = await handle.pglite?.dumpDataDir('none');
  await handle.close();
  if (dump) {
    fs.writeFileSync(template, Buffer.from(await dump.arrayBuffer()));
    env.PERENNIAL_TEST_PGLITE_TEMPLATE = template;
  }
}

const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000', ...files],
  { stdio: 'inherit', env },
);
process.exit(result.status ?? 1);
