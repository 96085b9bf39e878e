/**
 * Runs after `npm install`: prepares the embedded database templates (see src/db/embeddedTemplate.ts):
 * the initdb tarball, then the migrated data folder (migrations and pg-boss's schema applied).
 * Old templates of other versions are removed. A failure here only makes the first start slower.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { SystemClock } from '../src/clock.ts';
import { openPglite } from '../src/db/database.ts';
import { initdbTemplatePath, migratedTemplateDir, TEMPLATE_CACHE_DIR } from '../src/db/embeddedTemplate.ts';
import { migrate } from '../src/db/migrate.ts';
import { createJobs } from '../src/jobs/jobQueue.ts';
import { createLogger } from '../src/log.ts';

const started = performance.now();
const log = createLogger({ level: 'warn' });

async function writeInitdbTemplate(file: string): Promise<void> {
  if (fs.existsSync(file)) return;
  const client = await PGlite.create();
  try {
    const dump = await client.dumpDataDir('gzip');
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(tmp, file);
  } finally {
    await client.close();
  }
}

async function writeMigratedTemplate(dir: string): Promise<void> {
  if (fs.existsSync(path.join(dir, 'PG_VERSION'))) return;
  // Built in a scratch folder (its own lock file beside it) and renamed into place when closed.
  const scratch = `${dir}.${process.pid}.tmp`;
  fs.rmSync(scratch, { recursive: true, force: true });
  const database = await openPglite(scratch, log);
  try {
    const clock = new SystemClock();
    await migrate(database.db, { clock });
    const jobs = createJobs({ database, databaseUrl: undefined, clock, log });
    await jobs.start();
    await jobs.stop(1000);
  } finally {
    await database.close();
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(path.join(scratch, 'pgdata'), dir);
  fs.rmSync(scratch, { recursive: true, force: true });
}

fs.mkdirSync(TEMPLATE_CACHE_DIR, { recursive: true });
const keep = new Set([initdbTemplatePath(), migratedTemplateDir()].map((f) => path.basename(f)));
for (const entry of fs.readdirSync(TEMPLATE_CACHE_DIR)) {
  if (entry.startsWith('pglite-') && !keep.has(entry)) fs.rmSync(path.join(TEMPLATE_CACHE_DIR, entry), { recursive: true, force: true });
}
await writeInitdbTemplate(initdbTemplatePath());
await writeMigratedTemplate(migratedTemplateDir());
console.log(`perennial: embedded database templates ready (${Math.round(performance.now() - started)} ms) in ${TEMPLATE_CACHE_DIR}`);
