import type { Config } from '../config.ts';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import { defineDueQueue, registeredDueQueues, type AnyDueQueue, type Lease } from '../jobs/dueQueue.ts';
import { POST_TARGETS_DUE_CHANNEL } from '../posts/targetsRepo.ts';
import { claimDueTargets, nextTargetDueAt, type ClaimedTarget } from './claimDueTargets.ts';
import { claimPausedPastGrace, failPausedTarget, nextPausedPastGraceAt, type PausedPastGrace } from './failPausedTargets.ts';
import type { ClaimBatch } from './publishBatch.ts';
import type { PublishDeps } from './publishDeps.ts';
import { publishTarget, type PublishOptions } from './publishTarget.ts';
import { releaseUnstarted } from './targetWrites.ts';

export const PUBLISH_QUEUE_NAME = 'publishing';
export const GRACE_QUEUE_NAME = 'publishing-grace';
/**
 * How long a claim holds a target before another worker may take it over (as an uncertain
 * outcome). Renewed every third of it while the target is worked on, so it only has to outlast
 * a worker that stopped renewing (a crash, a hang), not the slowest publish.
 */
export const PUBLISH_LEASE_MS = 3 * 60_000;
/** The access token must outlive the call by this much (a video upload can take minutes). */
export const TOKEN_VALID_FOR_MS = 15 * 60_000;

export function publishOptions(ctx: Pick<AppContext, 'config' | 'database'>, deps: PublishDeps): PublishOptions {
  return {
    deps,
    retryWindowMs: ctx.config.publishRetryWindowMs,
    tokenValidForMs: TOKEN_VALID_FOR_MS,
    mediaBaseUrl: `${ctx.config.publicUrl}/media`,
    relaxedCommits: ctx.database.kind === 'postgres',
  };
}

/**
 * The publishing due queue's definition (not registered: `registerPublishingQueues` does that).
 * A claim is one batch: one statement claims and records the intents, one reads the batch's
 * connections, one transaction takes its rate-limit tokens; results are written coalesced.
 */
export function publishingQueue(deps: PublishDeps, overrides: { concurrency?: number; batchSize?: number; minClaim?: number } = {}) {
  // The claims of this queue in this process still being worked on, for `release` at a stop.
  const batches = new Map<string, ClaimBatch>();
  const concurrency = overrides.concurrency ?? 64;
  return {
    name: PUBLISH_QUEUE_NAME,
    async claim(db: Database, args: { now: Date; limit: number; leaseMs: number; owner: string }) {
      const claimed = await claimDueTargets(db, args);
      if (claimed.length > 0) batches.set(args.owner, claimed[0]!.batch);
      return claimed;
    },
    nextDueAt: (db: Database) => nextTargetDueAt(db),
    handle: async (ctx: AppContext, item: ClaimedTarget, lease: Lease) => {
      try {
        await publishTarget(ctx, item, { ...publishOptions(ctx, deps), signal: lease.signal });
      } finally {
        if (item.batch.settled) batches.delete(item.leaseOwner);
      }
    },
    // A stopping worker gives back the targets it claimed but never called the platform for (as
    // before the claim, due at once); the others keep their intent and lease: the next run checks
    // the platform first.
    async release(db: Database, owners: string[]) {
      const items = owners.flatMap((owner) => batches.get(owner)?.unstarted() ?? []);
      await releaseUnstarted(db, items.map((t) => ({ id: t.id, owner: t.leaseOwner, hadIntent: t.priorIntentAt !== null, poll: t.poll })));
    },
    describe: (item: ClaimedTarget) => ({ targetId: item.id }),
    concurrency,
    batchSize: overrides.batchSize ?? 64,
    minClaim: overrides.minClaim ?? Math.max(1, Math.floor(concurrency / 4)),
    leaseMs: PUBLISH_LEASE_MS,
    notifyChannel: POST_TARGETS_DUE_CHANNEL,
    tables: ['post_targets', 'publish_rate_buckets'],
  };
}

/**
 * Never lost: paused targets whose time passed more than the grace ago become `failed`
 * (`failPausedTargets.ts`), each with its `post.failed` webhook in the same transaction.
 */
export function graceSweepQueue(graceMs: number) {
  return {
    name: GRACE_QUEUE_NAME,
    claim: (db: Database, args: { now: Date; limit: number; leaseMs: number; owner: string }) => claimPausedPastGrace(db, { ...args, graceMs }),
    nextDueAt: (db: Database) => nextPausedPastGraceAt(db, graceMs),
    async handle(ctx: AppContext, item: PausedPastGrace) {
      if (await failPausedTarget(ctx, item)) {
        ctx.log.info({ targetId: item.id, postId: item.postId, connectionId: item.connectionId }, 'paused target failed: its time passed without a reconnect');
      }
    },
    describe: (item: PausedPastGrace) => ({ targetId: item.id }),
    concurrency: 4,
    batchSize: 100,
    leaseMs: 60_000,
    notifyChannel: 'post_targets_paused',
    tables: [],
  };
}

/**
 * Registers both queues with the runner (idempotent: the first registration in a process wins).
 * Called by the composition root before the workers start.
 */
export function registerPublishingQueues(config: Config, deps: PublishDeps): AnyDueQueue[] {
  const byName = new Map(registeredDueQueues().map((q) => [q.name, q]));
  return [
    byName.get(PUBLISH_QUEUE_NAME) ?? defineDueQueue(publishingQueue(deps)),
    byName.get(GRACE_QUEUE_NAME) ?? defineDueQueue(graceSweepQueue(config.publishReconnectGraceMs)),
  ];
}
