import { sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import { AppError } from '../http/errors.ts';
import { isPlatformId } from '../providers/registry.ts';
import { ProviderError, type PlatformId, type PublishResult } from '../providers/types.ts';
import { buildPublishRequest, MissingMediaError } from './buildPublishRequest.ts';
import type { ClaimedTarget } from './claimDueTargets.ts';
import type { PublishDeps } from './publishDeps.ts';
import { PUBLISH_RATE_LIMITS, type PublishLimits } from './publishRateLimits.ts';
import { takePublishTokens } from './rateLimiter.ts';
import { decideRetry } from './retryPolicy.ts';
import {
  deferTarget,
  loadTargetForPublish,
  pauseClaimedTarget,
  recordIntent,
  recordPublished,
  savePublishState,
  scheduleRetry,
  settleTarget,
  type TargetForPublish,
} from './targetWrites.ts';

export type PublishOptions = {
  deps: PublishDeps;
  /** How long after its scheduled time a target keeps retrying temporary failures. */
  retryWindowMs: number;
  /** How long the lease lasts once the intent is recorded: longer than the slowest platform call. */
  publishLeaseMs: number;
  /** The access token must stay valid this long after the call starts. */
  tokenValidForMs: number;
  /** Where platforms fetch uploaded media. */
  mediaBaseUrl: string;
  limits?: (platform: PlatformId) => PublishLimits;
  random?: () => number;
  /**
   * Commit the rate-limit take and the result without waiting for the WAL flush (PostgreSQL
   * server; a flush costs milliseconds per commit). Safe: a result lost with a database crash
   * leaves the intent without a result, which the next attempt checks on the platform (never a
   * blind re-post); a lost take lets one extra post through a bucket. The intent itself is
   * always durable before the platform is called.
   */
  relaxedCommits?: boolean;
};

export type PublishOutcome = 'published' | 'found_published' | 'retry' | 'deferred' | 'failed' | 'unknown' | 'paused' | 'skipped';

/** How far before the recorded intent a lookup of recent posts starts (platform clocks drift). */
const LOOKUP_SLACK_MS = 10 * 60_000;

/**
 * Publishes one claimed target at most once.
 * 1. A target with an intent and no result (a crash, a timeout, a lost response) is an uncertain
 *    outcome: the platform is asked first (findRecentPost); without that ability the target
 *    becomes `unknown` for the user to decide. Never a blind re-post.
 * 2. Rate limits (a token bucket per account and per platform, in the database) may defer it.
 * 3. The access token is made fresh for the call (lifecycle's just-in-time refresh); a connection
 *    that needs reconnecting pauses the target without any platform call.
 * 4. The intent is committed, the adapter called (multi-step progress saved as it goes), and the
 *    platform's ids recorded right after.
 * Failures: temporary ones retry with backoff inside the window, permanent ones fail with the
 * platform's reason, token ones go to the lifecycle engine and pause the target. Only this
 * target's row is touched: a failing target never affects the post's other targets.
 */
export async function publishTarget(ctx: AppContext, claimed: ClaimedTarget, options: PublishOptions): Promise<PublishOutcome> {
  const log = ctx.log.child({ targetId: claimed.id });
  const target = await loadTargetForPublish(ctx.db, claimed.id);
  if (!target || target.leaseOwner !== claimed.leaseOwner || target.version !== claimed.version) return 'skipped';
  if (target.status !== 'scheduled' && target.status !== 'publishing') return 'skipped';
  const fence = { id: target.id, owner: claimed.leaseOwner, version: target.version };
  const now = () => ctx.clock.now();
  const relaxed = <T>(write: (db: Database) => Promise<T>): Promise<T> =>
    options.relaxedCommits
      ? ctx.db.transaction(async (tx) => {
          await tx.execute(sql`set local synchronous_commit = off`);
          return write(tx);
        })
      : write(ctx.db);

  if (!isPlatformId(target.platform)) {
    await settleTarget(ctx.db, fence, { status: 'failed', code: 'unknown_platform', message: `Unknown platform ${target.platform}` }, now());
    return 'failed';
  }
  const platform = target.platform;
  const { deps } = options;

  try {
    const provider = deps.provider(platform);
    const pctx = deps.providerContext(ctx, platform);
    const request = await buildPublishRequest(ctx, {
      targetId: target.id,
      workspaceId: target.workspaceId,
      platform,
      content: target.content,
      mediaBaseUrl: options.mediaBaseUrl,
    });
    const uncertain = target.intentAt !== null && target.platformPostId === null;
    let checkedClear = false;
    if (uncertain) {
      if (!provider.findRecentPost) {
        await settleTarget(ctx.db, fence, {
          status: 'unknown',
          code: 'outcome_unknown',
          message: `${provider.facts.displayName} cannot be checked for the post: check the account, then mark it published or retry it`,
        }, now());
        log.warn('publish outcome uncertain and the platform cannot be checked: target is unknown');
        return 'unknown';
      }
      const { credential } = await deps.freshCredential(ctx, target.connectionId, { validForMs: options.tokenValidForMs });
      const since = new Date((target.intentAt as Date).getTime() - LOOKUP_SLACK_MS);
      const found = await provider.findRecentPost(pctx, credential, request, since);
      if (found) {
        await relaxed((db) => recordPublished(db, target.id, found, now()));
        log.info({ platformPostId: found.platformPostId }, 'uncertain publish found on the platform: recorded, not re-posted');
        return 'found_published';
      }
      checkedClear = true;
    }

    const limits = (options.limits ?? ((p) => PUBLISH_RATE_LIMITS[p]))(platform);
    const buckets = [
      { key: `account:${target.connectionId}`, limit: limits.account },
      ...(limits.app ? [{ key: `app:${platform}`, limit: limits.app }] : []),
    ];
    const take = await relaxed((db) => takePublishTokens(db, buckets, now()));
    if (!take.ok) {
      await deferTarget(ctx.db, fence, { at: new Date(take.retryAtMs), clearIntent: checkedClear }, now());
      return 'deferred';
    }

    const { credential } = await deps.freshCredential(ctx, target.connectionId, { validForMs: options.tokenValidForMs });

    const intentAt = now();
    const version = await recordIntent(ctx.db, fence, intentAt, new Date(intentAt.getTime() + options.publishLeaseMs));
    if (version === null) return 'skipped'; // edited, cancelled or taken over since the claim
    fence.version = version;

    const progress = {
      state: { ...(target.publishState ?? {}) },
      save: async (state: Record<string, unknown>) => {
        progress.state = { ...state };
        if (!(await savePublishState(ctx.db, fence, state, now()))) throw new LeaseLostError();
      },
    };
    let result: PublishResult;
    try {
      result = await provider.publish(pctx, credential, request, progress);
    } catch (err) {
      return await onPublishError(ctx, target, fence, err, options, { intentRecorded: true });
    }
    if (!(await relaxed((db) => recordPublished(db, target.id, result, now())))) {
      log.warn({ platformPostId: result.platformPostId }, 'published, but the target already had a result recorded');
    }
    log.info({ platform, platformPostId: result.platformPostId }, 'target published');
    return 'published';
  } catch (err) {
    return onPublishError(ctx, target, fence, err, options, { intentRecorded: false });
  }
}

class LeaseLostError extends Error {
  override name = 'LeaseLostError';
  constructor() {
    super('the publishing lease was lost');
  }
}

async function onPublishError(
  ctx: AppContext,
  target: TargetForPublish,
  fence: { id: string; owner: string; version: number },
  err: unknown,
  options: PublishOptions,
  stage: { intentRecorded: boolean },
): Promise<PublishOutcome> {
  const log = ctx.log.child({ targetId: target.id });
  const now = ctx.clock.now();
  if (err instanceof LeaseLostError) {
    log.warn('publishing stopped: another worker holds the target now');
    return 'skipped';
  }
  if (err instanceof MissingMediaError) {
    await settleTarget(ctx.db, fence, { status: 'failed', code: 'media_missing', message: err.message }, now);
    return 'failed';
  }
  if (err instanceof AppError) return onAccessError(ctx, target, fence, err, options, stage);
  if (!(err instanceof ProviderError)) {
    // A bug or an unclassified failure: after an intent the outcome is uncertain, so it is kept.
    log.error({ err }, 'publishing failed unexpectedly');
    return retryOrGiveUp(ctx, target, fence, { certain: !stage.intentRecorded, code: 'internal_error', message: 'Unexpected error while publishing' }, options);
  }
  const message = err.message.slice(0, 500);
  switch (err.errorClass) {
    case 'transient': {
      // The platform answered (an HTTP status): nothing was published. No answer (timeout,
      // network, a dropped response) after the intent: the post may exist.
      const certain = !stage.intentRecorded || err.httpStatus !== undefined;
      return retryOrGiveUp(ctx, target, fence, { certain, code: err.reason, message, retryAfterMs: err.retryAfterMs }, options);
    }
    case 'refresh_needed':
    case 'reconnect_needed': {
      await options.deps.reportTokenFailure(ctx, target.connectionId, err);
      if (err.errorClass === 'refresh_needed') {
        // The lifecycle engine refreshes; the next attempt asks for a fresh token again.
        return retryOrGiveUp(ctx, target, fence, { certain: true, code: err.reason, message }, options);
      }
      await pauseClaimedTarget(ctx.db, fence, err.reason, now);
      log.info({ reason: err.reason }, 'target paused: the connection needs reconnecting');
      return 'paused';
    }
    case 'app_misconfigured':
    case 'bad_request': {
      await settleTarget(ctx.db, fence, { status: 'failed', code: err.reason, message }, now);
      log.info({ reason: err.reason, platformCode: err.platformCode }, 'target failed: the platform refused it');
      return 'failed';
    }
  }
}

async function retryOrGiveUp(
  ctx: AppContext,
  target: TargetForPublish,
  fence: { id: string; owner: string; version: number },
  failure: { certain: boolean; code: string; message: string; retryAfterMs?: number },
  options: PublishOptions,
): Promise<PublishOutcome> {
  const now = ctx.clock.now();
  const decision = decideRetry({
    nowMs: now.getTime(),
    scheduledAtMs: target.scheduledAt.getTime(),
    attempts: target.attempts + 1,
    retryAfterMs: failure.retryAfterMs,
    windowMs: options.retryWindowMs,
    random: options.random,
  });
  if (decision.retry) {
    await scheduleRetry(ctx.db, fence, { at: new Date(decision.atMs), certain: failure.certain, code: failure.code, message: failure.message }, now);
    ctx.log.info({ targetId: target.id, code: failure.code, retryAt: new Date(decision.atMs) }, 'temporary publishing failure: retry scheduled');
    return 'retry';
  }
  // Out of time. An uncertain last attempt is `unknown` (the post may exist), a certain one `failed`.
  const status = failure.certain ? 'failed' : 'unknown';
  await settleTarget(ctx.db, fence, { status, code: failure.certain ? failure.code : 'outcome_unknown', message: `Gave up after ${target.attempts + 1} attempts: ${failure.message}` }, now);
  return status;
}

/** What the just-in-time refresh said about the connection, before any platform call for this attempt. */
async function onAccessError(
  ctx: AppContext,
  target: TargetForPublish,
  fence: { id: string; owner: string; version: number },
  err: AppError,
  options: PublishOptions,
  stage: { intentRecorded: boolean },
): Promise<PublishOutcome> {
  const now = ctx.clock.now();
  if (err.code === 'conflict') {
    const connection = await options.deps.connection(ctx.db, target.connectionId);
    await pauseClaimedTarget(ctx.db, fence, connection?.stateReason ?? 'needs_reconnect', now);
    return 'paused';
  }
  if (err.code === 'not_found') {
    await settleTarget(ctx.db, fence, { status: 'failed', code: 'connection_missing', message: 'The connection no longer exists' }, now);
    return 'failed';
  }
  return retryOrGiveUp(ctx, target, fence, {
    certain: !stage.intentRecorded,
    code: 'access_unavailable',
    message: err.message,
    retryAfterMs: err.retryAfter === undefined ? undefined : err.retryAfter * 1000,
  }, options);
}
