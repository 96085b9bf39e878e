import { setTimeout as sleep } from 'node:timers/promises';
import { ControllableClock } from '../clock.ts';
import type { AppContext } from '../context.ts';
import { AppError } from '../http/errors.ts';
import type { DueRunner } from '../jobs/dueRunner.ts';

/** What one advance did, per queue (due queues and pg-boss job queues). */
export type AdvanceReport = {
  from: Date;
  to: Date;
  /** How many due instants time stopped at on the way. */
  steps: number;
  queues: { name: string; kind: 'due' | 'job'; ran: number; failed: number }[];
};

export type AdvanceOptions = {
  /** A guard against a queue that keeps coming due (a handler failing every lease). */
  maxSteps?: number;
  /** How long (real time) to wait for the job queues to drain at one instant. */
  drainTimeoutMs?: number;
};

type Counts = Map<string, { kind: 'due' | 'job'; ran: number; failed: number }>;

/**
 * Moves the sandbox clock forward to `to` the way time would have passed: it stops at every due
 * instant in between, in order (the earliest next due item of any due queue, the earliest waiting
 * pg-boss job, or the earliest clock timer of anything else), and at each one waits until the due runners are idle and the
 * pg-boss queues are drained before moving on. So an item due on day 3 runs on day 3 (its handler
 * reads day 3 from the clock), before an item due on day 4, and once.
 *
 * Time never goes backwards: an earlier `to` throws `time_backwards`. Meant for one process that
 * runs the API and the workers (`--role all`), the only place all due work is in reach.
 */
export async function advanceSandbox(
  ctx: AppContext,
  runners: readonly DueRunner<unknown, unknown>[],
  to: Date,
  options: AdvanceOptions = {},
): Promise<AdvanceReport> {
  const clock = ctx.clock;
  if (!(clock instanceof ControllableClock)) throw new AppError('time_travel_off', 'This instance runs on real time (TIME_TRAVEL is off)');
  const from = clock.now();
  const target = to.getTime();
  if (!Number.isFinite(target)) throw new AppError('validation_failed', 'The target time is not a valid instant');
  if (target < from.getTime()) {
    throw new AppError('time_backwards', `Time only moves forward: ${to.toISOString()} is before the sandbox time ${from.toISOString()}`);
  }
  const maxSteps = options.maxSteps ?? 100_000;
  const before = snapshot(ctx, runners);
  const settle = () => settleAtCurrentTime(ctx, runners, options.drainTimeoutMs ?? 120_000);

  let steps = 0;
  await settle();
  for (;;) {
    const next = await nextInstant(ctx, clock, runners);
    if (next === undefined || next > target) break;
    if (++steps > maxSteps) {
      throw new AppError('invalid_state', `Stopped after ${maxSteps} due instants on the way to ${to.toISOString()}; a queue keeps coming due`);
    }
    if (next > clock.nowMs()) clock.set(next);
    await settle();
  }
  if (target > clock.nowMs()) {
    clock.set(target);
    await settle();
  }
  ctx.log.info({ from, to: clock.now(), steps }, 'sandbox time advanced');
  return { from, to: clock.now(), steps, queues: difference(before, snapshot(ctx, runners)) };
}

/** The earliest instant after now at which something is due: a due item, a waiting job or a clock timer. */
async function nextInstant(
  ctx: AppContext,
  clock: ControllableClock,
  runners: readonly DueRunner<unknown, unknown>[],
): Promise<number | undefined> {
  const now = clock.nowMs();
  const dates = await Promise.all([...runners.map((r) => r.nextDueAt()), ctx.jobs.nextRunAt()]);
  const candidates = dates.map((d) => d?.getTime());
  candidates.push(clock.nextTimerAt());
  const later = candidates.filter((t): t is number => t !== undefined && t > now);
  return later.length ? Math.min(...later) : undefined;
}

/**
 * Runs everything due at the current time: the due runners until idle, then the job queues until
 * drained, again and again until a whole pass runs nothing (a job may make due work, and the
 * other way round).
 */
async function settleAtCurrentTime(ctx: AppContext, runners: readonly DueRunner<unknown, unknown>[], drainTimeoutMs: number): Promise<void> {
  for (;;) {
    const before = total(snapshot(ctx, runners));
    await Promise.all(runners.map((r) => r.runUntilIdle()));
    const deadline = performance.now() + drainTimeoutMs;
    while ((await ctx.jobs.pendingCount()) > 0) {
      if (performance.now() > deadline) throw new AppError('internal', 'The job queues did not drain in time');
      ctx.jobs.nudge();
      await sleep(20);
    }
    if (total(snapshot(ctx, runners)) === before) return;
  }
}

function snapshot(ctx: AppContext, runners: readonly DueRunner<unknown, unknown>[]): Counts {
  const counts: Counts = new Map();
  for (const r of runners) {
    const { handled, failed } = r.stats;
    counts.set(r.queue.name, { kind: 'due', ran: handled + failed, failed });
  }
  for (const [name, { handled, failed }] of Object.entries(ctx.jobs.stats())) {
    counts.set(name, { kind: 'job', ran: handled + failed, failed });
  }
  return counts;
}

function total(counts: Counts): number {
  let n = 0;
  for (const c of counts.values()) n += c.ran;
  return n;
}

function difference(before: Counts, after: Counts): AdvanceReport['queues'] {
  return [...after.entries()]
    .map(([name, a]) => {
      const b = before.get(name);
      return { name, kind: a.kind, ran: a.ran - (b?.ran ?? 0), failed: a.failed - (b?.failed ?? 0) };
    })
    .sort((x, y) => x.name.localeCompare(y.name));
}
