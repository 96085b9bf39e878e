import type { AppContext } from '../context.ts';
import { AppError } from '../http/errors.ts';
import { isDefiniteRefusal, ProviderError, PublishOutcomeUnknown, PublishStillProcessing } from '../providers/types.ts';
import { MissingMediaError } from './buildPublishRequest.ts';
import type { ClaimedTarget } from './claimDueTargets.ts';
import { notifyPostFailed } from './notifyPostFailed.ts';
import type { PublishOptions, PublishOutcome } from './publishTarget.ts';
import { decideRetry } from './retryPolicy.ts';
import { deferTarget, pauseClaimedTarget, schedulePoll, scheduleRetry, settleTarget, type Fence } from './targetWrites.ts';

/** What one run did so far, which decides what a failure leaves behind. */
export type RunState = {
  /** An uncertain target's lookup found no such post: the earlier intent is resolved. */
  checkedClear: boolean;
  /** The adapter was called: from here on a failure may come after the platform acted. */
  called: boolean;
  /** This run's intent (the claim's, a re-armed one, or the one a poll checks on): where a lookup starts. */
  intentAt: Date;
};

/** Polls wait what the platform asks, within these bounds (short: a poll costs one status call). */
const POLL_MIN_MS = 1_000;
const POLL_MAX_MS = 5 * 60_000;

/**
 * How a failed run ends. The intent is kept (`keepIntent`) while the post may exist: an earlier
 * intent not yet checked clear, or a failure after the call that is not a definite refusal (a
 * 5xx, a timeout, a dropped or garbled answer, a bug). Then the next run looks the post up
 * first, and a run out of time ends `unknown`, not `failed`. Temporary failures retry with
 * backoff inside the window; a still-processing platform is polled (no attempt, no token);
 * refusals fail the target with the platform's reason; token errors go to the lifecycle engine
 * (refresh: retry; reconnect: pause).
 */
export async function onPublishError(
  ctx: AppContext,
  t: ClaimedTarget,
  fence: Fence,
  err: unknown,
  options: PublishOptions,
  run: RunState,
  signal: AbortSignal,
): Promise<PublishOutcome> {
  const log = ctx.log.child({ targetId: t.id });
  const now = ctx.clock.now();
  // A poll's adapter re-reads the platform's own state: what it answers settles the earlier intent.
  const unresolvedBefore = t.priorIntentAt !== null && !run.checkedClear && !(t.poll && run.called);
  const mayHavePosted = run.called && !(err instanceof ProviderError && isDefiniteRefusal(err));
  const keepIntent = unresolvedBefore || mayHavePosted;
  const uncount = !run.called && !t.poll;

  if (err instanceof StoppedBeforeCall || (!run.called && signal.aborted)) {
    // Given back as it was, due at once: a poll stays a poll.
    if (t.poll) await schedulePoll(ctx.db, fence, { at: now, code: 'worker_stopped', message: 'The worker stopped before checking on the platform' }, now);
    else await deferTarget(ctx.db, fence, { at: now, keepIntent }, now);
    return 'skipped';
  }
  if (err instanceof MissingMediaError) return settleAndNotify(ctx, t, fence, { keepIntent, code: 'media_missing', message: err.message });
  if (err instanceof AppError) {
    if (err.code === 'conflict') {
      const reason = (err.details as { reason?: unknown } | undefined)?.reason;
      return pause(ctx, t, fence, typeof reason === 'string' ? reason : 'needs_reconnect', { keepIntent, uncount });
    }
    if (err.code === 'not_found') return settleAndNotify(ctx, t, fence, { keepIntent, code: 'connection_missing', message: 'The connection no longer exists' });
    const retryAfterMs = err.retryAfter === undefined ? undefined : err.retryAfter * 1000;
    return retryOrGiveUp(ctx, t, fence, { keepIntent, code: 'access_unavailable', message: err.message, retryAfterMs }, options);
  }
  if (!(err instanceof ProviderError)) {
    log.error({ err }, 'publishing failed unexpectedly');
    return retryOrGiveUp(ctx, t, fence, { keepIntent: unresolvedBefore || run.called, code: 'internal_error', message: 'Unexpected error while publishing' }, options);
  }
  const message = err.message.slice(0, 500);
  if (err instanceof PublishStillProcessing) {
    const at = new Date(now.getTime() + Math.min(POLL_MAX_MS, Math.max(POLL_MIN_MS, err.retryAfterMs ?? POLL_MIN_MS)));
    if (at.getTime() > t.scheduledAt.getTime() + options.retryWindowMs) {
      return settleAndNotify(ctx, t, fence, { keepIntent: true, code: err.reason, message: `Still processing when the retry window ended: ${message}` });
    }
    return (await schedulePoll(ctx.db, fence, { at, code: err.reason, message }, now)) ? 'polling' : 'skipped';
  }
  if (err instanceof PublishOutcomeUnknown) return settleAndNotify(ctx, t, fence, { keepIntent: true, code: 'outcome_unknown', message });
  switch (err.errorClass) {
    case 'transient':
      return retryOrGiveUp(ctx, t, fence, { keepIntent, code: err.reason, message, retryAfterMs: err.retryAfterMs }, options);
    case 'refresh_needed':
    case 'reconnect_needed': {
      await options.deps.reportTokenFailure(ctx, t.connectionId, err);
      // The lifecycle engine refreshes; the next attempt asks for a fresh token again.
      if (err.errorClass === 'refresh_needed') return retryOrGiveUp(ctx, t, fence, { keepIntent, code: err.reason, message }, options);
      log.info({ reason: err.reason }, 'target paused: the connection needs reconnecting');
      return pause(ctx, t, fence, err.reason, { keepIntent, uncount });
    }
    case 'app_misconfigured':
    case 'bad_request':
      log.info({ reason: err.reason, platformCode: err.platformCode }, 'target failed: the platform refused it');
      return settleAndNotify(ctx, t, fence, { keepIntent, code: err.reason, message });
  }
}

async function pause(ctx: AppContext, t: ClaimedTarget, fence: Fence, reason: string, after: { keepIntent: boolean; uncount: boolean }): Promise<PublishOutcome> {
  return (await pauseClaimedTarget(ctx.db, fence, reason, after, ctx.clock.now())) ? 'paused' : 'skipped';
}

async function retryOrGiveUp(
  ctx: AppContext,
  t: ClaimedTarget,
  fence: Fence,
  failure: { keepIntent: boolean; code: string; message: string; retryAfterMs?: number },
  options: PublishOptions,
): Promise<PublishOutcome> {
  const now = ctx.clock.now();
  const decision = decideRetry({
    nowMs: now.getTime(),
    scheduledAtMs: t.scheduledAt.getTime(),
    attempts: Math.max(1, t.attempts),
    retryAfterMs: failure.retryAfterMs,
    windowMs: options.retryWindowMs,
    random: options.random,
  });
  if (decision.retry) {
    const at = new Date(decision.atMs);
    if (!(await scheduleRetry(ctx.db, fence, { at, keepIntent: failure.keepIntent, code: failure.code, message: failure.message }, now))) return 'skipped';
    ctx.log.info({ targetId: t.id, code: failure.code, retryAt: at, uncertain: failure.keepIntent }, 'temporary publishing failure: retry scheduled');
    return 'retry';
  }
  return settleAndNotify(ctx, t, fence, { keepIntent: failure.keepIntent, code: failure.code, message: `Gave up after ${t.attempts} attempts: ${failure.message}` });
}

/**
 * The target ends here: `unknown` when the post may exist (`keepIntent`: the user decides),
 * else `failed` with the reason. The workspace's `post.failed` webhook goes in the same transaction.
 */
export async function settleAndNotify(
  ctx: AppContext,
  t: ClaimedTarget,
  fence: Fence,
  failure: { keepIntent: boolean; code: string; message: string },
): Promise<PublishOutcome> {
  const now = ctx.clock.now();
  const status = failure.keepIntent ? 'unknown' : 'failed';
  const code = failure.keepIntent ? 'outcome_unknown' : failure.code;
  const applied = await ctx.db.transaction(async (tx) => {
    const version = await settleTarget(tx, fence, { status, code, message: failure.message }, now);
    if (version === null) return false;
    await notifyPostFailed(ctx, tx, t, { status, code, message: failure.message }, now);
    return true;
  });
  if (!applied) return 'skipped';
  ctx.log.info({ targetId: t.id, status, code }, status === 'unknown' ? 'publish outcome unknown: the user decides' : 'target failed');
  return status;
}

export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
  constructor() {
    super('the publishing lease was lost');
  }
}

/** The worker is stopping and this target's platform call never started: it is given back. */
export class StoppedBeforeCall extends Error {
  override name = 'StoppedBeforeCall';
  constructor() {
    super('the worker stopped before the platform was called');
  }
}
