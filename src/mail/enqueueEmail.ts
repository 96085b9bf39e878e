import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import type { EmailMessage } from './mailer.ts';
import { MAIL_QUEUE } from './sendEmailJob.ts';

/**
 * Contract: queues an email on `mail.send` inside the caller's transaction `tx`, so the mail
 * goes out if and only if the write that implies it commits. A worker sends it (sendEmailJob.ts).
 */
export async function enqueueEmail(ctx: Pick<AppContext, 'jobs'>, tx: Database, msg: EmailMessage): Promise<void> {
  await ctx.jobs.send(tx, MAIL_QUEUE, msg);
}
