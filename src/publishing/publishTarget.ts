import type { AppContext } from '../context.ts';
import { AppError } from '../http/errors.ts';
import { isPlatformId } from '../providers/registry.ts';
import {
  PublishOutcomeUncertain,
  type PlatformId,
  type Provider,
  type ProviderContext,
  type PublishRequest,
  type PublishResult,
  type StoredCredential,
} from '../providers/types.ts';
import { buildPublishRequest } from './buildPublishRequest.ts';
import type { ClaimedTarget } from './claimDueTargets.ts';
import { bucketsFor } from './publishBatch.ts';
import type { PublishDeps } from './publishDeps.ts';
import { publishedWriter } from './publishedWriter.ts';
import { LeaseLostError, onPublishError, settleAndNotify, StoppedBeforeCall, type RunState } from './publishFailures.ts';
import { PUBLISH_RATE_LIMITS, type PublishLimits } from './publishRateLimits.ts';
import { takePublishTokens } from './rateLimiter.ts';
import { deferTarget, rearmIntent, recordedPostIds, savePublishState, type Fence } from './targetWrites.ts';

export type PublishOptions = {
  deps: PublishDeps;
  /** How long after its scheduled time a target keeps retrying temporary failures (and polling). */
  retryWindowMs: number;
  /** The access token must stay valid this long after the call starts. */
  tokenValidForMs: number;
  /** Where platforms fetch uploaded media. */
  mediaBaseUrl: string;
  limits?: (platform: PlatformId) => PublishLimits;
  random?: () => number;
  /**
   * Commit rate-limit takes and results without waiting for the WAL flush (PostgreSQL server; a
   * flush costs milliseconds per commit). Safe: a result lost with a database crash leaves the
   * intent without a result, which the next run checks on the platform (never a blind re-post);
   * a lost take lets one extra post through a bucket. The intent itself (the claim) is always
   * durable before the platform is called.
   */
  relaxedCommits?: boolean;
  /** Aborts the platform calls when the worker stops (the runner's lease signal). */
  signal?: AbortSignal;
  /** Real time between lease renewals while publishing (default: a third of the lease). */
  leaseRenewMs?: number;
};

export type PublishOutcome = 'published' | 'found_published' | 'retry' | 'polling' | 'deferred' | 'failed' | 'unknown' | 'paused' | 'skipped';

/** Platform clocks drift from ours: a lookup starts this long before the recorded intent. */
export const LOOKUP_SKEW_MS = 2 * 60_000;

/**
 * Publishes one claimed target at most once. The claim has already committed the intent.
 * 1. A target whose earlier intent has no result (a crash, a timeout, a lost answer) is an
 *    uncertain outcome: the platform is asked first (posts made since that intent, none
 *    recorded by our other targets); a platform that cannot be asked makes it `unknown`. Until
 *    the platform said "not there", every failure keeps the intent. Never a blind re-post.
 * 2. Rate limits (token buckets per account and platform, taken for the whole claim) may defer it.
 * 3. A credential valid long enough comes with the claim's connections; otherwise the lifecycle's
 *    just-in-time refresh runs. A connection that needs reconnecting pauses the target.
 * 4. The adapter is called (its steps saved as it goes, the lease renewed, the worker's stop and
 *    a lost lease abort its HTTP calls) and the platform's ids recorded right after.
 * Failures: `publishFailures.ts`. Only this target's row is touched: a failing target never
 * affects the post's other targets.
 */
export async function publishTarget(ctx: AppContext, claimed: ClaimedTarget, options: PublishOptions): Promise<PublishOutcome> {
  const fence: Fence = { id: claimed.id, owner: claimed.leaseOwner, version: claimed.version };
  const run: RunState = { checkedClear: false, called: false, intentAt: claimed.priorIntentAt ?? claimed.batch.claimedAt };
  const signal = claimed.batch.begin(ctx, claimed.id, options, options.signal);
  try {
    return await publishClaimed(ctx, claimed, options, fence, run, signal);
  } catch (err) {
    if (err instanceof ResultNotRecorded) throw err.cause;
    if (claimed.batch.leaseLost(claimed.id) || err instanceof LeaseLostError) {
      ctx.log.warn({ targetId: claimed.id }, 'publishing stopped: another worker holds the target now');
      return 'skipped';
    }
    return onPublishError(ctx, claimed, fence, err, options, run, signal);
  } finally {
    claimed.batch.end(claimed.id);
  }
}

async function publishClaimed(ctx: AppContext, t: ClaimedTarget, options: PublishOptions, fence: Fence, run: RunState, signal: AbortSignal): Promise<PublishOutcome> {
  const now = () => ctx.clock.now();
  if (!isPlatformId(t.platform)) {
    return settleAndNotify(ctx, t, fence, { keepIntent: t.priorIntentAt !== null, code: 'unknown_platform', message: `Unknown platform ${t.platform}` });
  }
  const platform = t.platform;
  const { deps } = options;
  const prep = await t.batch.prepare(ctx, options);
  const access = prep.access.get(t.connectionId);
  if (!access) throw new AppError('not_found', 'The connection no longer exists');
  if (access.state === 'needs_reconnect' || access.state === 'disconnected') {
    throw new AppError('conflict', 'The connection needs reconnecting', { details: { reason: access.stateReason ?? access.state } });
  }
  const provider = deps.provider(platform);
  const pctx = withSignal(deps.providerContext(ctx, platform), signal);
  const request = await buildPublishRequest(ctx, { targetId: t.id, workspaceId: t.workspaceId, platform, content: t.content, mediaBaseUrl: options.mediaBaseUrl });
  const credential = access.credential ?? (await freshCredential(ctx, deps, t.connectionId, options)).credential;

  if (t.priorIntentAt !== null && !t.poll) {
    if (!provider.findRecentPost) {
      return settleAndNotify(ctx, t, fence, {
        keepIntent: true,
        code: 'outcome_unknown',
        message: `${provider.facts.displayName} cannot be checked for the post: check the account, then mark it published or retry it`,
      });
    }
    const found = await lookUp(ctx, t, provider, pctx, credential, request, t.priorIntentAt);
    if (found) return recordFound(ctx, t, found, options);
    run.checkedClear = true;
    const limits = (options.limits ?? ((p) => PUBLISH_RATE_LIMITS[p]))(platform);
    const take = await takePublishTokens(ctx.db, bucketsFor(t.connectionId, platform, limits), now());
    if (!take.ok) return (await deferTarget(ctx.db, fence, { at: new Date(take.retryAtMs), keepIntent: false }, now())) ? 'deferred' : 'skipped';
    const version = await rearmIntent(ctx.db, fence, now());
    if (version === null) return 'skipped';
    fence.version = version;
    run.intentAt = now();
  } else if (!t.poll) {
    const grant = prep.grants.get(t.id);
    if (grant && !grant.ok) return grant.deferred ? 'deferred' : 'skipped';
  }

  if (signal.aborted) throw new StoppedBeforeCall();
  // Synchronously before the call: from here on a stopping worker leaves the target to the lookup.
  t.batch.markCalled(t.id);
  run.called = true;
  const progress = {
    state: { ...(t.publishState ?? {}) },
    save: async (state: Record<string, unknown>) => {
      progress.state = { ...state };
      if (!(await savePublishState(ctx.db, fence, state, now()))) throw new LeaseLostError();
    },
  };
  let result: PublishResult;
  try {
    result = await provider.publish(pctx, credential, request, progress);
  } catch (err) {
    // The platform made the post but its id was lost on the way: look it up now, from this run's intent.
    if (err instanceof PublishOutcomeUncertain && provider.findRecentPost) {
      const found = await lookUp(ctx, t, provider, pctx, credential, request, run.intentAt);
      if (found) return recordFound(ctx, t, found, options);
    }
    throw err;
  }
  t.batch.end(t.id);
  const wrote = await publishedWriter(ctx.db, options.relaxedCommits === true)
    .record(t.id, result, now())
    .catch((err: unknown) => {
      throw new ResultNotRecorded(err);
    });
  if (!wrote) ctx.log.warn({ targetId: t.id, platformPostId: result.platformPostId }, 'published, but the target already had a result recorded');
  if (ctx.log.isLevelEnabled('info')) ctx.log.info({ targetId: t.id, platform, platformPostId: result.platformPostId }, 'target published');
  return 'published';
}

/** Posts of this account made since `intentAt` (minus the clock skew), not recorded by another of our targets. */
async function lookUp(
  ctx: AppContext,
  t: ClaimedTarget,
  provider: Provider,
  pctx: ProviderContext,
  credential: StoredCredential,
  request: PublishRequest,
  intentAt: Date,
): Promise<PublishResult | null> {
  const since = new Date(intentAt.getTime() - LOOKUP_SKEW_MS);
  const skip = await recordedPostIds(ctx.db, { connectionId: t.connectionId, exceptTargetId: t.id, since: new Date(since.getTime() - LOOKUP_SKEW_MS) });
  return provider.findRecentPost!(pctx, credential, request, since, skip);
}

async function recordFound(ctx: AppContext, t: ClaimedTarget, found: PublishResult, options: PublishOptions): Promise<PublishOutcome> {
  await publishedWriter(ctx.db, options.relaxedCommits === true)
    .record(t.id, found, ctx.clock.now())
    .catch((err: unknown) => {
      throw new ResultNotRecorded(err);
    });
  ctx.log.info({ targetId: t.id, platformPostId: found.platformPostId }, 'uncertain publish found on the platform: recorded, not re-posted');
  return 'found_published';
}

/** The lifecycle's just-in-time refresh; whatever it throws is about access, never a platform answer to report back. */
async function freshCredential(ctx: AppContext, deps: PublishDeps, connectionId: string, options: PublishOptions): Promise<{ credential: StoredCredential }> {
  try {
    return await deps.freshCredential(ctx, connectionId, { validForMs: options.tokenValidForMs });
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('platform_unavailable', 'Access to the account could not be renewed just now', { cause: err });
  }
}

/** The adapter's HTTP calls carry the run's signal (the worker stops, or the lease was lost). */
function withSignal(pctx: ProviderContext, signal: AbortSignal): ProviderContext {
  const http = pctx.http;
  return { ...pctx, http: (url, init = {}) => http(url, { ...init, signal: init.signal ? AbortSignal.any([init.signal, signal]) : signal }) };
}

/** The post was published but writing its result failed: the runner logs it; the lapsed lease leads to a lookup. */
class ResultNotRecorded extends Error {
  override name = 'ResultNotRecorded';
  constructor(cause: unknown) {
    super('the publish result could not be recorded', { cause });
  }
}
