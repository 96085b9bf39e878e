import { setTimeout as sleep } from 'node:timers/promises';
import type { AppContext } from '../context.ts';
import { CompletionBatcher } from './completionBatcher.ts';
import { registeredDueQueues, type AnyDueQueue, type Completed, type DueQueueDefinition, type Lease } from './dueQueue.ts';

export { defineDueQueue, notifyDue, registeredDueQueues } from './dueQueue.ts';
export type { ClaimArgs, Completed, DueQueueDefinition, Lease } from './dueQueue.ts';

/** Real-time backstop: a runner re-checks its table this often even if no NOTIFY or timer woke it. */
export const DEFAULT_POLL_MS = 5_000;
/** A queue with `minClaim` claims less than that after this long (real ms) without a claim. */
export const MIN_CLAIM_WAIT_MS = 50;

export type DueRunnerStats = { claimed: number; handled: number; failed: number };

/**
 * Works one due queue in one process. It claims in batches whenever it has room (bounded by the
 * queue's concurrency) and wakes on three things: a clock timer set to the next due instant
 * (`ctx.clock.setTimer`, so the sandbox clock drives it), a NOTIFY on the queue's channel, and a
 * real-time poll as the backstop where NOTIFY is unavailable or missed. Any number of runners, in
 * any number of processes, may work the same queue: SKIP LOCKED and leases keep each item to one.
 */
export class DueRunner<T, R> {
  readonly queue: DueQueueDefinition<T, R>;
  readonly #ctx: AppContext;
  readonly #runnerId: string;
  readonly #pollMs: number;
  readonly #stopSignal = new AbortController();
  readonly #inflight = new Map<Promise<void>, string>();
  readonly #batcher: CompletionBatcher<Completed<T, R>> | undefined;
  #claimSeq = 0;
  #running = false;
  #pumping: Promise<void> | null = null;
  #nextPump: Promise<void> | null = null;
  /** The last claim came back empty with nothing running: the queue is idle until something new is due. */
  #idle = false;
  #claimError: unknown;
  #cancelTimer: (() => void) | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #poll: NodeJS.Timeout | undefined;
  #stats: DueRunnerStats = { claimed: 0, handled: 0, failed: 0 };
  #lastClaimAt = 0;
  #minClaimTimer: NodeJS.Timeout | undefined;

  constructor(ctx: AppContext, queue: DueQueueDefinition<T, R>, options: { runnerId: string; pollMs?: number }) {
    this.#ctx = ctx;
    this.queue = queue;
    this.#runnerId = options.runnerId;
    this.#pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    const completeBatch = queue.completeBatch;
    if (completeBatch) {
      this.#batcher = new CompletionBatcher({
        write: (batch) => completeBatch(ctx.db, batch),
        maxBatch: queue.batchSize,
        log: ctx.log.child({ dueQueue: queue.name }),
      });
    }
  }

  get stats(): DueRunnerStats {
    return { ...this.#stats };
  }

  /** Items being handled right now. */
  get busy(): number {
    return this.#inflight.size;
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      this.#unlisten = await this.#ctx.database.listen(this.queue.notifyChannel, () => this.wake());
    } catch (err) {
      this.#ctx.log.warn({ err, dueQueue: this.queue.name }, 'LISTEN failed; the due runner polls instead');
    }
    this.#poll = setInterval(() => this.wake(), this.#pollMs);
    this.#poll.unref();
    this.wake();
  }

  /** Claims whatever is due now (coalesced: a wake during a claim runs one more claim after it). */
  wake(): void {
    if (!this.#running) return;
    this.#pump().catch((err: unknown) => this.#ctx.log.error({ err, dueQueue: this.queue.name }, 'due runner pump failed'));
  }

  /** The earliest instant an item of this queue becomes claimable. */
  nextDueAt(): Promise<Date | null> {
    return this.queue.nextDueAt(this.#ctx.db);
  }

  /**
   * Claims and handles until nothing is due at the clock's current time and nothing is running,
   * completions written (the sandbox steps time only once every runner is idle).
   */
  async runUntilIdle(): Promise<void> {
    for (;;) {
      await Promise.allSettled([...this.#inflight.keys()]);
      await this.#batcher?.flush();
      this.#claimError = undefined;
      await this.#pump({ force: true });
      if (this.#claimError) throw new Error(`due queue ${this.queue.name}: claim failed`, { cause: this.#claimError });
      if (this.#idle && this.#inflight.size === 0) {
        await this.#batcher?.flush();
        return;
      }
    }
  }

  /**
   * Stops claiming, lets running handlers finish for up to `graceMs`, writes pending completions,
   * then releases the leases of what is still unfinished so other runners take it at once.
   */
  async stop(graceMs: number): Promise<void> {
    this.#running = false;
    this.#cancelTimer?.();
    clearInterval(this.#poll);
    clearTimeout(this.#minClaimTimer);
    if (this.#unlisten) {
      await this.#unlisten().catch((err: unknown) => this.#ctx.log.warn({ err, dueQueue: this.queue.name }, 'UNLISTEN failed'));
    }
    await this.#nextPump;
    await this.#pumping;
    const finished = Promise.allSettled([...this.#inflight.keys()]).then(() => true);
    const allDone = this.#inflight.size === 0 || (await Promise.race([finished, sleep(graceMs, false, { ref: false })]));
    await this.#batcher?.flush();
    if (allDone) return;
    this.#stopSignal.abort();
    const owners = [...new Set(this.#inflight.values())];
    const log = this.#ctx.log.child({ dueQueue: this.queue.name });
    if (!this.queue.release) {
      log.warn({ unfinished: this.#inflight.size }, 'stopped with unfinished items; they return when their leases lapse');
      return;
    }
    try {
      await this.queue.release(this.#ctx.db, owners);
      log.warn({ unfinished: this.#inflight.size }, 'stopped with unfinished items; their leases were released');
    } catch (err) {
      log.error({ err, unfinished: this.#inflight.size }, 'releasing leases failed; the items return when their leases lapse');
    }
  }

  /**
   * One claim pass (claim while there is room, then re-arm the timer). Passes never overlap: a call
   * during a pass queues one more pass after it (shared by every call made meanwhile), so the
   * promise returned always covers a pass that started after the call.
   */
  #pump(options: { force?: boolean } = {}): Promise<void> {
    if (!this.#running && !options.force) return Promise.resolve();
    if (this.#nextPump) return this.#nextPump;
    if (!this.#pumping) return this.#startPump();
    this.#nextPump = this.#pumping.then(() => {
      this.#nextPump = null;
      return this.#startPump();
    });
    return this.#nextPump;
  }

  #startPump(): Promise<void> {
    // Passes never overlap (see #pump), so the pass that ends is always the current one.
    this.#pumping = (async () => {
      try {
        await this.#claimWhileRoom();
        await this.#armTimer();
      } finally {
        this.#pumping = null;
      }
    })();
    return this.#pumping;
  }

  async #claimWhileRoom(): Promise<void> {
    const { queue } = this;
    for (;;) {
      const room = queue.concurrency - this.#inflight.size;
      if (room <= 0) return;
      // Wait (briefly) for a batch worth of room: completions wake the runner again.
      if (room < Math.min(queue.minClaim ?? 1, queue.concurrency) && this.#inflight.size > 0) {
        const waited = performance.now() - this.#lastClaimAt;
        if (waited < MIN_CLAIM_WAIT_MS) {
          this.#minClaimTimer ??= setTimeout(() => {
            this.#minClaimTimer = undefined;
            this.wake();
          }, MIN_CLAIM_WAIT_MS - waited);
          this.#minClaimTimer.unref();
          return;
        }
      }
      this.#lastClaimAt = performance.now();
      const limit = Math.min(queue.batchSize, room);
      const now = this.#ctx.clock.now();
      const owner = `${this.#runnerId}:${++this.#claimSeq}`;
      let items: T[];
      try {
        items = await queue.claim(this.#ctx.db, { now, limit, leaseMs: queue.leaseMs, owner });
      } catch (err) {
        this.#idle = false;
        this.#claimError = err;
        this.#ctx.log.error({ err, dueQueue: queue.name }, 'due claim failed; retrying on the next wake-up');
        return;
      }
      // Handlers start only from claims and passes never overlap, so "empty and nothing running"
      // right after a claim means nothing was due and nothing is left to finish.
      this.#idle = items.length === 0 && this.#inflight.size === 0;
      this.#stats.claimed += items.length;
      const lease: Lease = {
        owner,
        claimedAt: now,
        until: new Date(now.getTime() + queue.leaseMs),
        signal: this.#stopSignal.signal,
      };
      for (const item of items) this.#startHandler(item, lease);
      if (items.length < limit) return;
    }
  }

  #startHandler(item: T, lease: Lease): void {
    const { queue } = this;
    const run = (async () => {
      try {
        const outcome = await queue.handle(this.#ctx, item, lease);
        this.#stats.handled += 1;
        this.#batcher?.add({ item, lease, outcome });
      } catch (err) {
        this.#stats.failed += 1;
        this.#ctx.log.error(
          { err, dueQueue: queue.name, leaseOwner: lease.owner, ...describe(queue, item) },
          'due item failed; it is claimed again when its lease lapses',
        );
      }
    })();
    this.#inflight.set(run, lease.owner);
    void run.finally(() => {
      this.#inflight.delete(run);
      this.wake();
    });
  }

  /** Sets the clock timer to the next due instant (one timer per runner, replaced on every pump). */
  async #armTimer(): Promise<void> {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    if (!this.#running) return;
    let next: Date | null;
    try {
      next = await this.queue.nextDueAt(this.#ctx.db);
    } catch (err) {
      this.#ctx.log.error({ err, dueQueue: this.queue.name }, 'reading the next due time failed; the poll retries');
      return;
    }
    // Due now but not claimed (full, or rows locked by another claim): completions and the poll
    // wake the runner; a timer at "now" would only spin.
    if (!next || next.getTime() <= this.#ctx.clock.nowMs() || !this.#running) return;
    this.#cancelTimer = this.#ctx.clock.setTimer(next.getTime(), () => this.wake());
  }
}

function describe(queue: AnyDueQueue, item: unknown): Record<string, unknown> {
  if (queue.describe) return queue.describe(item);
  if (item && typeof item === 'object' && 'id' in item) return { itemId: (item as { id: unknown }).id };
  return {};
}

export type DueRunners = {
  readonly runners: DueRunner<unknown, unknown>[];
  stop(graceMs: number): Promise<void>;
};

/** Starts one runner per due queue (default: every registered one) in this process. */
export async function startDueRunners(
  ctx: AppContext,
  options: { runnerId: string; queues?: AnyDueQueue[]; pollMs?: number },
): Promise<DueRunners> {
  const queues = options.queues ?? registeredDueQueues();
  const runners = queues.map(
    (q) => new DueRunner<unknown, unknown>(ctx, q, { runnerId: `${options.runnerId}/${q.name}`, pollMs: options.pollMs }),
  );
  await Promise.all(runners.map((r) => r.start()));
  return {
    runners,
    stop: async (graceMs) => {
      await Promise.all(runners.map((r) => r.stop(graceMs)));
    },
  };
}
