/**
 * The daily digest for users who chose one (agency owners with many workspaces): one email a
 * day listing the alerts that waited for it. A due queue on the preferences table: the claim
 * moves the user's next digest a day ahead in the same statement, so a digest is claimed once;
 * if the worker dies before mailing, the alerts stay pending and go out in the next digest.
 */
import { sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import { defineDueQueue } from '../jobs/dueQueue.ts';
import { toDate } from '../lifecycle/refreshesRepo.ts';
import { enqueueEmail } from '../mail/enqueueEmail.ts';

export type DigestItem = { userId: string; email: string };

export const DIGEST_NOTIFY_CHANNEL = 'alert_digest_due';

export async function claimDueDigests(db: Database, input: { now: Date; limit: number }): Promise<DigestItem[]> {
  // The next run is the same hour on the first later day (a long outage does not queue up digests).
  const res = await db.execute(sql`
    update notification_preferences p
       set next_digest_at = p.next_digest_at + make_interval(days => greatest(1, ceil(extract(epoch from (${input.now}::timestamptz - p.next_digest_at)) / 86400)::int))
      from users u
     where u.id = p.user_id and p.user_id in (
       select user_id from notification_preferences
        where email_mode = 'daily_digest' and next_digest_at <= ${input.now}
        order by next_digest_at limit ${input.limit} for update skip locked)
    returning p.user_id, u.email`);
  return res.rows.map((r) => ({ userId: String(r.user_id), email: String(r.email) }));
}

/** Mails the pending alerts of one user in one email; nothing when none waited. Returns how many were listed. */
export async function sendDigest(ctx: AppContext, item: DigestItem): Promise<number> {
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const res = await tx.execute(sql`
      update notifications set digest_pending = false where user_id = ${item.userId} and digest_pending
      returning title, body, created_at`);
    await tx.execute(sql`update notification_preferences set last_digest_at = ${now} where user_id = ${item.userId}`);
    if (res.rows.length === 0) return 0;
    const rows = [...res.rows].sort((a, b) => toDate(a.created_at)!.getTime() - toDate(b.created_at)!.getTime());
    const text = [
      `${rows.length} alert(s) about your connections since the last digest:`,
      ...rows.map((r) => `\n- ${String(r.title)} (${toDate(r.created_at)!.toISOString()})\n  ${String(r.body)}`),
      `\nAll alerts: ${ctx.config.publicUrl}/notifications`,
      `Notification settings: ${ctx.config.publicUrl}/settings/notifications`,
    ].join('\n');
    await enqueueEmail(ctx, tx, { to: item.email, subject: `[Perennial] Daily digest: ${rows.length} connection alert(s)`, text });
    return rows.length;
  });
}

export const digestQueue = defineDueQueue<DigestItem>({
  name: 'alert-digest',
  claim: (db, args) => claimDueDigests(db, args),
  async nextDueAt(db) {
    const res = await db.execute(sql`select min(next_digest_at) as at from notification_preferences where email_mode = 'daily_digest'`);
    return toDate(res.rows[0]?.at);
  },
  async handle(ctx, item) {
    await sendDigest(ctx, item);
  },
  describe: (item) => ({ userId: item.userId }),
  concurrency: 2,
  batchSize: 20,
  // The claim already moved the due time; the lease only bounds a slow handler.
  leaseMs: 5 * 60_000,
  notifyChannel: DIGEST_NOTIFY_CHANNEL,
});
