import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import type { EmailMessage } from './mailer.ts';
import { MAIL_QUEUE, sealEmail, type MailPurpose } from './sendEmailJob.ts';

/**
 * Contract: queues an email on `mail.send` inside the caller's transaction `tx`, so the mail
 * goes out if and only if the write that implies it commits. A worker sends it (sendEmailJob.ts).
 * The message is sealed with the vault before it reaches the job table: links in it (an
 * invitation's token) never sit in the database in clear. `purpose` says what the mail is for
 * (it is bound to the ciphertext and readable in the job row).
 */
export async function enqueueEmail(
  ctx: Pick<AppContext, 'jobs' | 'config' | 'log'>,
  tx: Database,
  msg: EmailMessage,
  purpose: MailPurpose = 'notification',
): Promise<void> {
  await ctx.jobs.send(tx, MAIL_QUEUE, sealEmail(ctx, msg, purpose));
}
