import { sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';

/**
 * Due work: rows of a domain table that become runnable at an instant (a post target to publish,
 * a connection to refresh). The row's state is the truth; the runner (`dueRunner.ts`) claims rows
 * with the queue's own SQL and calls `handle` for each one.
 *
 * The claim SQL follows one pattern (with a partial index on the due predicate):
 *
 *   update t set lease_owner = $owner, lease_until = $now + $leaseMs
 *   where id in (select id from t where <due predicate> and due_at <= $now
 *                  and (lease_until is null or lease_until <= $now)
 *                order by due_at limit $limit for update skip locked)
 *   returning ...
 */

/** What a handler holds while it works on one claimed item. */
export type Lease = {
  /**
   * The claim's owner, unique per claim (runner id + claim number): the fencing value. Completion
   * writes are conditional on it (`... where id = $id and lease_owner = $owner`), so a worker whose
   * lease lapsed and whose item was claimed again cannot overwrite the new owner's work.
   */
  readonly owner: string;
  readonly claimedAt: Date;
  /** When the lease lapses and another runner may claim the item again. */
  readonly until: Date;
  /** Aborts when the runner stops and the grace period is over; the lease is then released. */
  readonly signal: AbortSignal;
};

export type ClaimArgs = { now: Date; limit: number; leaseMs: number; owner: string };

export type Completed<T, R> = { item: T; lease: Lease; outcome: R };

export type DueQueueDefinition<T, R = void> = {
  /** Unique, for logs and the sandbox's report. */
  name: string;
  /** Leases up to `limit` due items for `owner` until `now + leaseMs`, and returns them. */
  claim(db: Database, args: ClaimArgs): Promise<T[]>;
  /** The earliest instant an item becomes claimable (its due time, or when its lease lapses). */
  nextDueAt(db: Database): Promise<Date | null>;
  /**
   * Does the work. Without `completeBatch`, the handler writes its own completion (conditional on
   * `lease.owner`). A thrown error is logged and leaves the item leased: it is claimed again once
   * the lease lapses, so a handler that wants a backoff records it in its row instead of throwing.
   */
  handle(ctx: AppContext, item: T, lease: Lease): Promise<R>;
  /**
   * Batched completion: the outcomes of items that finished close together are written in one
   * call (one statement, one round trip) instead of one per item.
   */
  completeBatch?(db: Database, done: Completed<T, R>[]): Promise<void>;
  /** Clears the leases still held by these claim owners, so a stopped runner's items come back at once. */
  release?(db: Database, owners: string[]): Promise<void>;
  /** Identifies an item in logs (never secrets). Default: its `id` field, if any. */
  describe?(item: T): Record<string, unknown>;
  /** How many items one process works on at once. */
  concurrency: number;
  /** How many items one claim takes at most. */
  batchSize: number;
  /**
   * Claims only once at least this many slots are free (or nothing is running, or no claim was
   * made for `MIN_CLAIM_WAIT_MS`), so a busy queue claims in batches rather than one item per
   * finished handler. Default 1.
   */
  minClaim?: number;
  /** How long a claim holds an item; longer than the slowest handler. */
  leaseMs: number;
  /** The LISTEN/NOTIFY channel writes use (`notifyDue`) when they make an item due sooner. */
  notifyChannel: string;
  /** Tables the embedded engine vacuums periodically (PGlite has no autovacuum). */
  tables?: string[];
};

// Stored with `unknown` outcomes: a queue's item and outcome types matter only inside the queue.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDueQueue = DueQueueDefinition<any, any>;

const registry = new Map<string, AnyDueQueue>();

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Declares a due queue and registers it: worker processes start a runner for every registered
 * queue (`startDueRunners`). Call it at module load of the domain that owns the table.
 */
export function defineDueQueue<T, R = void>(definition: DueQueueDefinition<T, R>): DueQueueDefinition<T, R> {
  validate(definition);
  const existing = registry.get(definition.name);
  if (existing && existing !== definition) throw new Error(`due queue ${definition.name} is defined twice`);
  registry.set(definition.name, definition);
  return definition;
}

export function registeredDueQueues(): AnyDueQueue[] {
  return [...registry.values()];
}

function validate(d: AnyDueQueue): void {
  const positiveInt = (v: number) => Number.isInteger(v) && v > 0;
  if (!d.name) throw new Error('a due queue needs a name');
  if (!positiveInt(d.concurrency)) throw new Error(`due queue ${d.name}: concurrency must be a positive integer`);
  if (!positiveInt(d.batchSize)) throw new Error(`due queue ${d.name}: batchSize must be a positive integer`);
  if (d.minClaim !== undefined && !positiveInt(d.minClaim)) throw new Error(`due queue ${d.name}: minClaim must be a positive integer`);
  if (!positiveInt(d.leaseMs)) throw new Error(`due queue ${d.name}: leaseMs must be a positive integer`);
  if (!CHANNEL.test(d.notifyChannel)) throw new Error(`due queue ${d.name}: notifyChannel must match ${CHANNEL}`);
}

/**
 * Wakes the runners listening on `channel`. Call it in the transaction of a write that makes an
 * item due sooner than the runners expect (a new item, a reschedule, a resume): the notification
 * is delivered when the transaction commits, and dropped if it rolls back.
 */
export async function notifyDue(db: Database, channel: string): Promise<void> {
  if (!CHANNEL.test(channel)) throw new Error(`invalid channel name ${channel}`);
  await db.execute(sql`select pg_notify(${channel}, '')`);
}
