import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrationsHash } from './migrate.ts';

/**
 * Templates for a new embedded data folder, made once at `npm install` (scripts/prepare.ts), so
 * the first start neither runs initdb (~4 s of WebAssembly) nor the migrations:
 *
 * - the migrated template: a closed PGlite data folder with every migration and pg-boss's schema
 *   applied, keyed on the PGlite and pg-boss versions and the migrations' hash; a new data folder
 *   is a plain file copy of it;
 * - the initdb template: an empty cluster (a tarball), keyed on the PGlite version; used when the
 *   migrations changed since the install (the start then migrates).
 *
 * Without either, the first start runs initdb and migrates, as PGlite would by itself.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TEMPLATE_CACHE_DIR = path.join(ROOT, 'node_modules', '.cache', 'perennial');

function versionOf(pkg: string): string {
  const manifest = path.join(ROOT, 'node_modules', ...pkg.split('/'), 'package.json');
  return (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string }).version;
}

export function initdbTemplatePath(): string {
  return path.join(TEMPLATE_CACHE_DIR, `pglite-${versionOf('@electric-sql/pglite')}-initdb.tar.gz`);
}

export function migratedTemplateDir(): string {
  return path.join(TEMPLATE_CACHE_DIR, `pglite-${versionOf('@electric-sql/pglite')}-pgboss-${versionOf('pg-boss')}-migrations-${migrationsHash()}`);
}

export type Seed = { kind: 'migrated' } | { kind: 'initdb'; tarball: Blob } | { kind: 'none' };

/**
 * Prepares the new data folder `pgdata` (which must not exist yet): copies the migrated template
 * into it when there is one for this code, else hands back the initdb tarball for PGlite to load.
 * The copy goes to a temporary sibling first and is renamed into place, so a crash mid-copy
 * never leaves a half data folder that would look like an existing database.
 */
export function seedDataDir(pgdata: string): Seed {
  const migrated = migratedTemplateDir();
  if (fs.existsSync(path.join(migrated, 'PG_VERSION'))) {
    const tmp = `${pgdata}.seeding-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.cpSync(migrated, tmp, { recursive: true });
    fs.renameSync(tmp, pgdata);
    return { kind: 'migrated' };
  }
  const initdb = initdbTemplatePath();
  if (fs.existsSync(initdb)) return { kind: 'initdb', tarball: new Blob([fs.readFileSync(initdb)]) };
  return { kind: 'none' };
}
