import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import type { DueQueueDefinition } from '../dueQueue.ts';

/**
 * A due table for the runner's own tests and benchmark, created inside them (never migrated):
 * items due at `due_at`, each run recorded in `test_due_runs` so a test can count them.
 */
export const TEST_DUE_TABLES_SQL = [
  `create table if not exists test_due_items (
    id bigserial primary key,
    due_at timestamptz not null,
    work_ms int not null default 0,
    fail boolean not null default false,
    lease_owner text,
    lease_until timestamptz,
    done_at timestamptz,
    done_by text
  )`,
  `create index if not exists test_due_items_due on test_due_items (due_at) where done_at is null`,
  `create table if not exists test_due_runs (
    item_id bigint not null,
    owner text not null,
    clock_at timestamptz not null,
    started_at timestamptz not null default clock_timestamp()
  )`,
];

export async function createTestDueTables(db: Database): Promise<void> {
  for (const statement of TEST_DUE_TABLES_SQL) await db.execute(sql.raw(statement));
}

export async function insertTestDueItems(db: Database, dueAts: Date[], options: { workMs?: number; fail?: boolean } = {}) {
  if (dueAts.length === 0) return;
  await db.execute(sql`
    insert into test_due_items (due_at, work_ms, fail)
    select d, ${options.workMs ?? 0}, ${options.fail ?? false} from unnest(${sql.param(dueAts.map((d) => d.toISOString()))}::timestamptz[]) as d`);
}

export type TestDueItem = { id: string; dueAt: Date; workMs: number; fail: boolean };

/** The test queue: `handle` records a run, works `work_ms` of real time (cut short by a stop), and throws when `fail`. */
export function testDueQueue(
  options: Partial<Pick<DueQueueDefinition<TestDueItem>, 'concurrency' | 'batchSize' | 'leaseMs'>> & { name?: string } = {},
): DueQueueDefinition<TestDueItem, void> {
  return {
    name: options.name ?? 'test.due',
    concurrency: options.concurrency ?? 4,
    batchSize: options.batchSize ?? 10,
    leaseMs: options.leaseMs ?? 30_000,
    notifyChannel: 'test_due',
    tables: ['test_due_items'],
    async claim(db, { now, limit, leaseMs, owner }) {
      const until = new Date(now.getTime() + leaseMs);
      const { rows } = await db.execute(sql`
        update test_due_items set lease_owner = ${owner}, lease_until = ${until}
        where id in (
          select id from test_due_items
          where done_at is null and due_at <= ${now} and (lease_until is null or lease_until <= ${now})
          order by due_at, id limit ${limit} for update skip locked)
        returning id, due_at, work_ms, fail`);
      return rows
        .map((r) => ({ id: String(r.id), dueAt: new Date(r.due_at as string | Date), workMs: Number(r.work_ms), fail: Boolean(r.fail) }))
        .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || Number(a.id) - Number(b.id));
    },
    async nextDueAt(db) {
      const { rows } = await db.execute(sql`
        select min(greatest(due_at, coalesce(lease_until, due_at))) as at from test_due_items where done_at is null`);
      const at = rows[0]?.at;
      return at ? new Date(at as string | Date) : null;
    },
    async handle(ctx, item, lease) {
      await ctx.db.execute(sql`insert into test_due_runs (item_id, owner, clock_at) values (${item.id}, ${lease.owner}, ${ctx.clock.now()})`);
      // A stop that aborts the lease interrupts the work: the sleep rejects and the item stays
      // undone (the runner releases it). Swallowing the abort would report unfinished work as done.
      if (item.workMs > 0) await sleep(item.workMs, undefined, { signal: lease.signal });
      if (item.fail) throw new Error(`test item ${item.id} fails`);
    },
    async completeBatch(db, done) {
      const now = done[0]?.lease.claimedAt ?? new Date(0);
      await db.execute(sql`
        update test_due_items t set done_at = ${now}, done_by = d.owner, lease_owner = null, lease_until = null
        from unnest(${sql.param(done.map((d) => d.item.id))}::bigint[], ${sql.param(done.map((d) => d.lease.owner))}::text[]) as d(id, owner)
        where t.id = d.id and t.lease_owner = d.owner`);
    },
    async release(db, owners) {
      await db.execute(sql`
        update test_due_items set lease_owner = null, lease_until = null
        where done_at is null and lease_owner = any(${sql.param(owners)}::text[])`);
    },
  };
}
