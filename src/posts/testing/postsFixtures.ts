import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import type { PlatformId } from '../../providers/types.ts';
import type { ConnectionState } from '../connectionsLookup.ts';

/**
 * Rows the posts tests need from other domains, written straight into their tables with the
 * contract's columns. Columns of `connections` beyond the contract (the vault's ciphertext, ...)
 * that are NOT NULL without a default get a neutral placeholder of their type, so these fixtures
 * keep working as the platform engineer's table grows.
 */
export async function insertTestWorkspace(db: Database, options: { timeZone?: string; name?: string; now?: Date } = {}): Promise<string> {
  const id = randomUUID();
  await db.execute(sql`
    insert into workspaces (id, name, time_zone, created_at)
    values (${id}, ${options.name ?? 'Test workspace'}, ${options.timeZone ?? 'UTC'}, ${options.now ?? new Date('2026-01-01T00:00:00Z')})`);
  return id;
}

export type TestConnectionOptions = {
  platform: PlatformId;
  handle?: string;
  state?: ConnectionState;
  hardEndAt?: Date | null;
  refreshExpiresAt?: Date | null;
  accessExpiresAt?: Date | null;
};

export async function insertTestConnection(db: Database, workspaceId: string, options: TestConnectionOptions): Promise<string> {
  const id = randomUUID();
  const handle = options.handle ?? `${options.platform}-${id.slice(0, 6)}`;
  const now = new Date('2026-01-01T00:00:00Z');
  const known: Record<string, unknown> = {
    id,
    workspace_id: workspaceId,
    platform: options.platform,
    platform_account_id: `acct-${id}`,
    display_name: `Account ${handle}`,
    handle,
    kind: 'user',
    state: options.state ?? 'active',
    state_changed_at: now,
    hard_end_at: options.hardEndAt ?? null,
    refresh_expires_at: options.refreshExpiresAt ?? null,
    access_expires_at: options.accessExpiresAt ?? null,
    issued_at: now,
    connected_at: now,
  };
  const required = await db.execute(sql`
    select column_name, data_type, udt_name from information_schema.columns
    where table_schema = current_schema() and table_name = 'connections' and is_nullable = 'NO' and column_default is null`);
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(known)) values[name] = value;
  const columns = await db.execute(sql`
    select column_name from information_schema.columns where table_schema = current_schema() and table_name = 'connections'`);
  const present = new Set(columns.rows.map((r) => String(r.column_name)));
  for (const name of Object.keys(values)) if (!present.has(name)) delete values[name];
  for (const row of required.rows as { column_name: string; data_type: string; udt_name: string }[]) {
    if (!(row.column_name in values)) values[row.column_name] = placeholder(row.data_type, row.udt_name);
  }
  const names = Object.keys(values);
  await db.execute(
    sql`insert into connections (${sql.raw(names.map((n) => `"${n}"`).join(', '))}) values (${sql.join(
      names.map((n) => sql`${values[n]}`),
      sql`, `,
    )})`,
  );
  return id;
}

function placeholder(dataType: string, udt: string): unknown {
  if (dataType === 'ARRAY') return '{}';
  if (udt === 'bytea') return Buffer.from([0]);
  if (udt === 'jsonb' || udt === 'json') return '{}';
  if (udt.startsWith('int') || udt === 'numeric' || udt.startsWith('float')) return 0;
  if (udt === 'bool') return false;
  if (udt === 'timestamptz' || udt === 'timestamp') return new Date('2026-01-01T00:00:00Z');
  if (udt === 'uuid') return randomUUID();
  return 'x';
}
