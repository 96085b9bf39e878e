import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { SystemClock, type Clock } from '../clock.ts';
import type { Database } from './database.ts';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

/** Any fixed number: the advisory lock that serialises migrations across processes. */
const MIGRATION_LOCK = 7_315_001;

export type Migration = { tag: string; statements: string[] };

/** The migrations drizzle-kit generated, in order (from its journal). */
export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const journalFile = path.join(dir, 'meta', '_journal.json');
  if (!fs.existsSync(journalFile)) return [];
  const journal = JSON.parse(fs.readFileSync(journalFile, 'utf8')) as { entries: { idx: number; tag: string }[] };
  return [...journal.entries]
    .sort((a, b) => a.idx - b.idx)
    .map(({ tag }) => ({
      tag,
      statements: fs
        .readFileSync(path.join(dir, `${tag}.sql`), 'utf8')
        .split('--> statement-breakpoint')
        .map((s) => s.trim())
        .filter(Boolean),
    }));
}

/** A digest of the migrations' names and SQL: the embedded template made from them is keyed on it. */
export function migrationsHash(migrations = readMigrations()): string {
  const hash = createHash('sha256');
  for (const m of migrations) hash.update(`${m.tag}\n${m.statements.join('\n')}\n`);
  return hash.digest('hex').slice(0, 16);
}

async function ensureTable(db: Database) {
  // applied_at comes from the caller's clock (no SQL now(): see CONTRIBUTING.md).
  await db.execute(sql`create table if not exists perennial_migrations (
    tag text primary key,
    applied_at timestamptz not null
  )`);
}

/**
 * Applies pending migrations, each in its own transaction and recorded in `perennial_migrations`.
 * Safe to run from several processes at once: an advisory lock serialises them, and each
 * migration is re-checked under the lock. Returns the tags it applied.
 */
export async function migrate(
  db: Database,
  options: { clock?: Pick<Clock, 'now'>; migrations?: Migration[] } = {},
): Promise<string[]> {
  const clock = options.clock ?? new SystemClock();
  const migrations = options.migrations ?? readMigrations();
  await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await ensureTable(tx);
  });
  const applied: string[] = [];
  for (const migration of migrations) {
    const done = await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      const existing = await tx.execute(sql`select 1 from perennial_migrations where tag = ${migration.tag}`);
      if (existing.rows.length > 0) return false;
      for (const statement of migration.statements) await tx.execute(sql.raw(statement));
      await tx.execute(sql`insert into perennial_migrations (tag, applied_at) values (${migration.tag}, ${clock.now()})`);
      return true;
    });
    if (done) applied.push(migration.tag);
  }
  return applied;
}

/** The migrations not yet applied (for `/readyz`). */
export async function pendingMigrations(db: Database, migrations = readMigrations()): Promise<string[]> {
  const exists = await db.execute(sql`select to_regclass('perennial_migrations') is not null as ok`);
  if (!(exists.rows[0] as { ok: boolean } | undefined)?.ok) return migrations.map((m) => m.tag);
  const rows = await db.execute(sql`select tag from perennial_migrations`);
  const done = new Set((rows.rows as { tag: string }[]).map((r) => r.tag));
  return migrations.map((m) => m.tag).filter((t) => !done.has(t));
}
