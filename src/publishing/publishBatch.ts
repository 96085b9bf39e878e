import type { AppContext } from '../context.ts';
import { isPlatformId } from '../providers/registry.ts';
import type { ClaimedTarget } from './claimDueTargets.ts';
import type { ConnectionAccess, PublishDeps } from './publishDeps.ts';
import { PUBLISH_RATE_LIMITS, type PublishLimits } from './publishRateLimits.ts';
import type { PlatformId } from '../providers/types.ts';
import { takePublishTokensBatch, type TakeResult } from './rateLimiter.ts';
import { deferFreshTargets, renewLeases } from './targetWrites.ts';

/** What a claim's targets share, read once for all of them. */
export type BatchPrep = {
  /** Per connection id; absent: the connection no longer exists. */
  access: Map<string, ConnectionAccess>;
  /** Per fresh target: its rate-limit take; a refused one was deferred already (`deferred`: the write applied). */
  grants: Map<string, TakeResult & { deferred?: boolean }>;
};

export type BatchOptions = {
  deps: PublishDeps;
  tokenValidForMs: number;
  limits?: (platform: PlatformId) => PublishLimits;
  relaxedCommits?: boolean;
  /** Real time between lease renewals while a target of the claim is being worked on (default: a third of the lease). */
  leaseRenewMs?: number;
};

/**
 * The targets of one claim (one lease owner). Their connections and rate-limit tokens are read
 * and taken once for the whole claim (`prepare`, on the first handler's call), and their leases
 * renewed together while any of them is being worked on (one UPDATE per renewal, fenced by the
 * owner); a target whose lease was lost meanwhile has its work aborted. The batch also knows
 * which targets reached a platform call, so a stopping worker gives back only the others.
 */
export class ClaimBatch {
  readonly owner: string;
  readonly claimedAt: Date;
  readonly leaseMs: number;
  readonly items: ClaimedTarget[] = [];
  #prep: Promise<BatchPrep> | undefined;
  readonly #working = new Map<string, AbortController>();
  readonly #called = new Set<string>();
  readonly #lost = new Set<string>();
  readonly #detach = new Map<string, () => void>();
  readonly #finished = new Set<string>();
  #renewTimer: NodeJS.Timeout | undefined;

  constructor(input: { owner: string; claimedAt: Date; leaseMs: number }) {
    this.owner = input.owner;
    this.claimedAt = input.claimedAt;
    this.leaseMs = input.leaseMs;
  }

  prepare(ctx: AppContext, options: BatchOptions): Promise<BatchPrep> {
    this.#prep ??= this.#load(ctx, options);
    return this.#prep;
  }

  async #load(ctx: AppContext, options: BatchOptions): Promise<BatchPrep> {
    const connectionIds = [...new Set(this.items.map((t) => t.connectionId))];
    const access = await options.deps.connectionAccess(ctx, connectionIds, { validForMs: options.tokenValidForMs });
    const usable = (t: ClaimedTarget) => {
      const a = access.get(t.connectionId);
      return a !== undefined && (a.state === 'active' || a.state === 'degraded');
    };
    // Only fresh publishes take a token here: an uncertain one takes its own after its lookup, a poll none.
    const fresh = this.items.filter((t) => t.priorIntentAt === null && !t.poll && isPlatformId(t.platform) && usable(t));
    const limitsOf = options.limits ?? ((p: PlatformId) => PUBLISH_RATE_LIMITS[p]);
    const requests = fresh.map((t) => ({ id: t.id, buckets: bucketsFor(t.connectionId, t.platform as PlatformId, limitsOf(t.platform as PlatformId)) }));
    const now = ctx.clock.now();
    const takes = await takePublishTokensBatch(ctx.db, requests, now, { relaxedCommit: options.relaxedCommits });
    const refused = [...takes].flatMap(([id, r]) => (r.ok ? [] : [{ id, at: new Date(r.retryAtMs) }]));
    const deferred = await deferFreshTargets(ctx.db, this.owner, refused, now);
    const grants = new Map<string, TakeResult & { deferred?: boolean }>();
    for (const [id, r] of takes) grants.set(id, r.ok ? r : { ...r, deferred: deferred.has(id) });
    return { access, grants };
  }

  /**
   * A handler starts working on target `id`: its lease is renewed while it works. The signal
   * aborts when the lease is lost (`leaseLost(id)`: another worker holds the target now) or when
   * `outer` does (the worker stops).
   */
  begin(ctx: AppContext, id: string, options: Pick<BatchOptions, 'leaseRenewMs'>, outer?: AbortSignal): AbortSignal {
    const lost = new AbortController();
    // Forwarded by hand: AbortSignal.any costs more than a listener for every target.
    if (outer?.aborted) lost.abort(outer.reason);
    const forward = () => lost.abort(outer?.reason);
    outer?.addEventListener('abort', forward, { once: true });
    this.#detach.set(id, () => outer?.removeEventListener('abort', forward));
    this.#working.set(id, lost);
    if (!this.#renewTimer) {
      const every = options.leaseRenewMs ?? Math.max(1_000, Math.floor(this.leaseMs / 3));
      this.#renewTimer = setInterval(() => void this.#renew(ctx), every);
      this.#renewTimer.unref();
    }
    return lost.signal;
  }

  /** Synchronously before the adapter is called: from here on the target is not given back at a stop. */
  markCalled(id: string): void {
    this.#called.add(id);
  }

  /** Whether the lease of `id` was found lost (as opposed to the worker stopping). */
  leaseLost(id: string): boolean {
    return this.#lost.has(id);
  }

  end(id: string): void {
    this.#detach.get(id)?.();
    this.#detach.delete(id);
    this.#working.delete(id);
    this.#finished.add(id);
    if (this.#working.size === 0 && this.#renewTimer) {
      clearInterval(this.#renewTimer);
      this.#renewTimer = undefined;
    }
  }

  /** Every target of this claim was handled to its end. */
  get settled(): boolean {
    return this.#finished.size === this.items.length;
  }

  /** Targets of this claim neither finished nor past a platform call (a stopping worker releases them). */
  unstarted(): ClaimedTarget[] {
    return this.items.filter((t) => !this.#called.has(t.id) && !this.#finished.has(t.id));
  }

  async #renew(ctx: AppContext): Promise<void> {
    if (this.#working.size === 0) return;
    const until = new Date(ctx.clock.nowMs() + this.leaseMs);
    let held: Set<string>;
    try {
      held = await renewLeases(ctx.db, this.owner, until);
    } catch (err) {
      ctx.log.warn({ err, leaseOwner: this.owner }, 'renewing publishing leases failed; retrying at the next renewal');
      return;
    }
    for (const [id, lost] of this.#working) {
      if (held.has(id)) continue;
      ctx.log.warn({ targetId: id, leaseOwner: this.owner }, 'publishing lease lost: another worker holds the target now');
      this.#lost.add(id);
      lost.abort(new Error('the publishing lease was lost'));
    }
  }
}

export function bucketsFor(connectionId: string, platform: PlatformId, limits: PublishLimits) {
  return [{ key: `account:${connectionId}`, limit: limits.account }, ...(limits.app ? [{ key: `app:${platform}`, limit: limits.app }] : [])];
}
