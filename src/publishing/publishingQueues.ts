import { sql } from 'drizzle-orm';
import type { Config } from '../config.ts';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import { defineDueQueue, registeredDueQueues, type AnyDueQueue } from '../jobs/dueQueue.ts';
import { failPausedTargetsPastGrace, POST_TARGETS_DUE_CHANNEL, type FailedPausedTarget } from '../posts/targetsRepo.ts';
import { claimDueTargets, nextTargetDueAt, type ClaimedTarget } from './claimDueTargets.ts';
import type { PublishDeps } from './publishDeps.ts';
import { publishTarget, type PublishOptions } from './publishTarget.ts';

export const PUBLISH_QUEUE_NAME = 'publishing';
export const GRACE_QUEUE_NAME = 'publishing-grace';
/** Long enough for a just-in-time refresh before the intent (the lifecycle's lease is 2 min). */
export const PUBLISH_CLAIM_LEASE_MS = 3 * 60_000;
/** Once the intent is recorded: longer than the slowest multi-step publish (uploads, containers). */
export const PUBLISH_CALL_LEASE_MS = 10 * 60_000;
/** The access token must outlive the call by this much (a video upload can take minutes). */
export const TOKEN_VALID_FOR_MS = 15 * 60_000;

export function publishOptions(ctx: Pick<AppContext, 'config' | 'database'>, deps: PublishDeps): PublishOptions {
  return {
    deps,
    retryWindowMs: ctx.config.publishRetryWindowMs,
    publishLeaseMs: PUBLISH_CALL_LEASE_MS,
    tokenValidForMs: TOKEN_VALID_FOR_MS,
    mediaBaseUrl: `${ctx.config.publicUrl}/media`,
    relaxedCommits: ctx.database.kind === 'postgres',
  };
}

/** The publishing due queue's definition (not registered: `registerPublishingQueues` does that). */
export function publishingQueue(deps: PublishDeps, overrides: { concurrency?: number; batchSize?: number } = {}) {
  return {
    name: PUBLISH_QUEUE_NAME,
    claim: (db: Database, args: { now: Date; limit: number; leaseMs: number; owner: string }) => claimDueTargets(db, args),
    nextDueAt: (db: Database) => nextTargetDueAt(db),
    handle: async (ctx: AppContext, item: ClaimedTarget) => {
      await publishTarget(ctx, item, publishOptions(ctx, deps));
    },
    // A stopping worker gives back the targets it claimed but has not started (no intent yet), due
    // again at their own time; targets past their intent stay leased and are checked when it lapses.
    async release(db: Database, owners: string[]) {
      const list = sql.join(owners.map((o) => sql`${o}`), sql`, `);
      await db.execute(sql`
        update post_targets set lease_owner = null, lease_until = null, due_at = coalesce(next_attempt_at, scheduled_at), version = version + 1
        where lease_owner in (${list}) and status = 'scheduled'`);
    },
    describe: (item: ClaimedTarget) => ({ targetId: item.id }),
    concurrency: overrides.concurrency ?? 32,
    batchSize: overrides.batchSize ?? 64,
    leaseMs: PUBLISH_CLAIM_LEASE_MS,
    notifyChannel: POST_TARGETS_DUE_CHANNEL,
    tables: ['post_targets', 'publish_rate_buckets'],
  };
}

/**
 * Never lost: paused targets whose time passed more than the grace ago become `failed` with
 * `connection_needs_reconnect` (they stay in the planner and can be retried). The claim is the
 * sweep itself (one conditional UPDATE, safe from any number of workers); handling only reports.
 */
export function graceSweepQueue(graceMs: number) {
  return {
    name: GRACE_QUEUE_NAME,
    claim: (db: Database, args: { now: Date }) => failPausedTargetsPastGrace(db, args.now, graceMs),
    async nextDueAt(db: Database) {
      const res = await db.execute(sql`select min(scheduled_at) as at from post_targets where status = 'paused'`);
      const at = (res.rows[0] as { at: Date | string | null } | undefined)?.at;
      return at ? new Date(new Date(at).getTime() + graceMs) : null;
    },
    async handle(ctx: AppContext, item: FailedPausedTarget) {
      ctx.log.info({ targetId: item.id, postId: item.postId, connectionId: item.connectionId }, 'paused target failed: its time passed without a reconnect');
    },
    describe: (item: FailedPausedTarget) => ({ targetId: item.id }),
    concurrency: 4,
    batchSize: 500,
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
