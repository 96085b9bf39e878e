import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { fromDrizzle, fromPglite, type Db as BossDb } from 'pg-boss';
import type { Logger } from '../log.ts';
import { acquireDataDirLock, type DataDirLock } from './dataDirLock.ts';
import { seedDataDir, type Seed } from './embeddedTemplate.ts';
import * as schema from './schema.ts';

export { schema };
export type Schema = typeof schema;

/** What `db.execute(sql...)` resolves to on both engines. */
export interface QueryResultHKT extends PgQueryResultHKT {
  type: { rows: Record<string, unknown>[] };
}

/** A drizzle database or transaction; data functions take it first (`insertPost(db, ...)`). */
export type Database = PgDatabase<QueryResultHKT, Schema>;

export type EngineKind = 'pglite' | 'postgres';

export interface DatabaseHandle {
  readonly kind: EngineKind;
  readonly db: Database;
  /** Raw parameterised SQL for hand-written hot paths ($1, $2 ... placeholders). */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
  /** Subscribes to NOTIFY on `channel`; resolves to an unsubscribe function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  /** pg-boss's database port, outside any transaction. */
  readonly boss: BossDb;
  /** The embedded engine itself (absent on a server), for dumps and maintenance. */
  readonly pglite?: PGlite;
  close(): Promise<void>;
}

/** The server named by DATABASE_URL did not answer (start-up reports it in one line). */
export class DatabaseUnreachableError extends Error {
  override name = 'DatabaseUnreachableError';
}

/** pg-boss's database port bound to a drizzle transaction: a job enqueued with it commits with the write. */
export function bossDbFor(tx: Database): BossDb {
  return fromDrizzle(tx, sql);
}

export async function openDatabase(options: {
  databaseUrl: string | undefined;
  dataDir: string;
  poolSize?: number;
  log: Logger;
}): Promise<DatabaseHandle> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.poolSize ?? 10, options.log);
  return openPglite(options.dataDir, options.log);
}

/**
 * The embedded engine. Only one process may open a data folder (PGlite does not stop a second
 * one, which hangs or corrupts it), so a lock file guards it.
 */
export async function openPglite(
  dataDir: string | null,
  log: Logger,
  options: { loadDataDir?: Blob } = {},
): Promise<DatabaseHandle> {
  let lock: DataDirLock | undefined;
  let pgdata: string | undefined;
  if (dataDir) {
    fs.mkdirSync(dataDir, { recursive: true });
    lock = acquireDataDirLock(dataDir);
    pgdata = path.join(dataDir, 'pgdata');
  }
  let client: PGlite;
  let seed: Seed = { kind: 'none' };
  try {
    // A new data folder starts from an install-time template when there is one (see embeddedTemplate.ts).
    if (pgdata && !fs.existsSync(pgdata) && !options.loadDataDir) seed = seedDataDir(pgdata);
    client = await PGlite.create({
      ...(pgdata ? { dataDir: pgdata } : {}),
      ...(seed.kind === 'initdb' ? { loadDataDir: seed.tarball } : {}),
      // A single-user embedded database: small buffers keep the idle footprint down.
      postgresqlconf: ['shared_buffers=16MB'],
      ...options,
    });
  } catch (err) {
    lock?.release();
    throw err;
  }
  if (pgdata) log.info({ dataDir: pgdata, createdFrom: seed.kind === 'none' ? undefined : `${seed.kind} template` }, 'embedded database opened');
  const db = drizzlePglite({ client, schema }) as unknown as Database;
  let closed = false;
  return {
    kind: 'pglite',
    db,
    query: async <T>(text: string, params?: unknown[]) => {
      const res = await client.query<T>(text, params);
      return { rows: res.rows };
    },
    listen: (channel, onPayload) => client.listen(channel, onPayload),
    boss: fromPglite(client),
    pglite: client,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await client.close();
      } finally {
        lock?.release();
      }
    },
  };
}

export async function openPostgres(databaseUrl: string, poolSize: number, log: Logger): Promise<DatabaseHandle> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize, application_name: 'perennial' });
  pool.on('error', (err) => log.error({ err }, 'idle database connection failed'));
  const db = drizzlePg({ client: pool, schema }) as unknown as Database;
  const listeners: pg.Client[] = [];
  let closed = false;
  // A listen connection that fails to end cleanly (the server went away) is closed anyway: log why.
  const endListener = (client: pg.Client, channel?: string) =>
    client.end().catch((err: unknown) => log.warn({ err, channel }, 'closing a listen connection failed'));
  const handle: DatabaseHandle = {
    kind: 'postgres',
    db,
    query: async <T>(text: string, params?: unknown[]) => {
      const res = await pool.query(text, params as unknown[]);
      return { rows: res.rows as T[] };
    },
    async listen(channel, onPayload) {
      if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name ${channel}`);
      const client = new pg.Client({ connectionString: databaseUrl, application_name: 'perennial-listen' });
      client.on('error', (err) => log.warn({ err, channel }, 'listen connection failed'));
      await client.connect();
      client.on('notification', (msg) => {
        if (msg.channel === channel) onPayload(msg.payload ?? '');
      });
      await client.query(`LISTEN ${channel}`);
      listeners.push(client);
      return async () => {
        listeners.splice(listeners.indexOf(client), 1);
        await endListener(client, channel);
      };
    },
    boss: {
      executeSql: async (text, values) => pool.query(text, values as unknown[]),
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(listeners.map((c) => endListener(c)));
      await pool.end();
    },
  };
  // Fail fast with a clear message rather than on the first request.
  try {
    await pool.query('select 1');
  } catch (err) {
    await pool.end().catch((endErr: unknown) => log.warn({ err: endErr }, 'closing the pool after a failed connect failed'));
    throw new DatabaseUnreachableError(`cannot reach the database at DATABASE_URL: ${(err as Error).message}`, { cause: err });
  }
  return handle;
}
