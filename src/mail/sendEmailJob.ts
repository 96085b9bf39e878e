import { z } from 'zod';
import type { Config } from '../config.ts';
import type { AppContext } from '../context.ts';
import { registerJob } from '../jobs/jobRegistry.ts';
import { createMailer, type Mailer } from './mailer.ts';

export const MAIL_QUEUE = 'mail.send';

export const emailMessageSchema = z.strictObject({
  to: z.email(),
  subject: z.string().min(1).max(300),
  text: z.string().min(1),
  html: z.string().min(1).optional(),
});

/** One mailer (one SMTP transport) per configuration, made on first use. */
const mailers = new WeakMap<Config, Mailer>();

function mailerFor(ctx: AppContext): Mailer {
  let mailer = mailers.get(ctx.config);
  if (!mailer) {
    mailer = createMailer(ctx.config, ctx.log, { clock: ctx.clock });
    mailers.set(ctx.config, mailer);
  }
  return mailer;
}

/**
 * The `mail.send` queue: one job per message, retried with pg-boss's backoff when the SMTP
 * server refuses or is down. Registered when this module loads (enqueueEmail.ts imports it).
 */
export const sendEmailJob = registerJob({
  queue: MAIL_QUEUE,
  schema: emailMessageSchema,
  retry: { limit: 8, delaySeconds: 30, maxDelaySeconds: 3_600 },
  async handle(ctx, msg) {
    await mailerFor(ctx).send(msg);
  },
});
