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
  const drainTimeoutMs = options.drainTimeoutMs ?? 120_000;
  const before = snapshot(ctx, runners);
  const settle = () => settleAtCurrentTime(ctx, runners, drainTimeoutMs, to);

  let steps = 0;
  const stopsBySource = new Map<string, number>();
  await settle();
  for (;;) {
    const next = await nextInstant(ctx, clock, runners);
    if (next === undefined || next.at > target) break;
    if (++steps > maxSteps) {
      // Not the caller's fault: something keeps making itself due (a handler failing every lease, a timer re-arming itself).
      const [source] = [...stopsBySource.entries()].sort((a, b) => b[1] - a[1])[0] ?? ['unknown'];
      throw new AppError(
        'sandbox_stuck',
        `Stopped after ${maxSteps} due instants on the way to ${to.toISOString()}: ${source} keeps coming due. The sandbox clock stopped at ${clock.now().toISOString()}`,
        { details: { reached: clock.now(), target: to, steps: maxSteps, busiest: source } },
      );
    }
    stopsBySource.set(next.source, (stopsBySource.get(next.source) ?? 0) + 1);
    if (next.at > clock.nowMs()) clock.set(next.at);
    await settle();
  }
  if (target > clock.nowMs()) {
    clock.set(target);
    await settle();
  }
  ctx.log.info({ from, to, steps }, 'sandbox time advanced');
  // `to` is where the clock was moved to; a flowing clock has run on a little while the last instant settled.
  return { from, to: new Date(target), steps, queues: difference(before, snapshot(ctx, runners)) };
}

/** The earliest instant after now at which something is due (a due item, a waiting job or a clock timer), and what. */
async function nextInstant(
  ctx: AppContext,
  clock: ControllableClock,
  runners: readonly DueRunner<unknown, unknown>[],
): Promise<{ at: number; source: string } | undefined> {
  const now = clock.nowMs();
  const [jobsAt, ...dueAts] = await Promise.all([ctx.jobs.nextRunAt(), ...runners.map((r) => r.nextDueAt())]);
  const candidates: { at: number | undefined; source: string }[] = [
    ...runners.map((r, i) => ({ at: dueAts[i]?.getTime(), source: `the due queue ${r.queue.name}` })),
    { at: jobsAt?.getTime(), source: 'a pg-boss job' },
    { at: clock.nextTimerAt(), source: 'a clock timer' },
  ];
  let next: { at: number; source: string } | undefined;
  for (const c of candidates) if (c.at !== undefined && c.at > now && (!next || c.at < next.at)) next = { at: c.at, source: c.source };
  return next;
}

/**
 * Runs everything due at the current time: the due runners until idle, then the job queues until
 * drained, again and again until a whole pass runs nothing (a job may make due work, and the
 * other way round).
 */
async function settleAtCurrentTime(
  ctx: AppContext,
  runners: readonly DueRunner<unknown, unknown>[],
  drainTimeoutMs: number,
  to: Date,
): Promise<void> {
  for (;;) {
    const before = total(snapshot(ctx, runners));
    await Promise.all(runners.map((r) => r.runUntilIdle()));
    const deadline = performance.now() + drainTimeoutMs;
    let pending: number;
    while ((pending = await ctx.jobs.pendingCount()) > 0) {
      if (performance.now() > deadline) {
        const reached = ctx.clock.now();
        throw new AppError(
          'sandbox_drain_timeout',
          `The job queues did not drain within ${Math.round(drainTimeoutMs / 1000)} s (${pending} job(s) still waiting or running): ` +
            `the sandbox clock stopped at ${reached.toISOString()}, before ${to.toISOString()}. Advance again once they have run.`,
          { details: { reached, target: to, pendingJobs: pending } },
        );
      }
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
