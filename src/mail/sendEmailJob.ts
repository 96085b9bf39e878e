import { z } from 'zod';
import type { Config } from '../config.ts';
import type { AppContext } from '../context.ts';
import { registerJob } from '../jobs/jobRegistry.ts';
import { getVault } from '../vault/vaultKeys.ts';
import { createMailer, type EmailMessage, type Mailer } from './mailer.ts';

export const MAIL_QUEUE = 'mail.send';

/** What a mail is for: bound to its sealed payload as associated data, and readable in the job row. */
export const MAIL_PURPOSES = ['invitation', 'notification', 'digest'] as const;
export type MailPurpose = (typeof MAIL_PURPOSES)[number];

export const emailMessageSchema = z.strictObject({
  to: z.email(),
  subject: z.string().min(1).max(300),
  text: z.string().min(1),
  html: z.string().min(1).optional(),
});

/** The job's payload: the message encrypted by the vault (`v1.<kid>...`), never the message itself. */
export const sealedEmailSchema = z.strictObject({
  purpose: z.enum(MAIL_PURPOSES),
  sealed: z.string().startsWith('v1.'),
});
export type SealedEmail = z.infer<typeof sealedEmailSchema>;

/** The associated data: a sealed mail opens only as the mail of this queue and purpose. */
const placeOf = (purpose: MailPurpose) => ({ rowId: MAIL_QUEUE, field: purpose });

export function sealEmail(ctx: Pick<AppContext, 'config' | 'log'>, msg: EmailMessage, purpose: MailPurpose): SealedEmail {
  const checked = emailMessageSchema.parse(msg);
  return { purpose, sealed: getVault(ctx).encrypt(JSON.stringify(checked), placeOf(purpose)) };
}

/** The message of a sealed mail job (tests read invitation links through it too). */
export function unsealEmail(ctx: Pick<AppContext, 'config' | 'log'>, payload: SealedEmail): EmailMessage {
  const plain = getVault(ctx).decrypt(payload.sealed, placeOf(payload.purpose));
  return emailMessageSchema.parse(JSON.parse(plain));
}

/** The same mail sealed with the vault's newest key (`perennial vault rotate`). */
export function resealEmail(ctx: Pick<AppContext, 'config' | 'log'>, payload: SealedEmail): SealedEmail {
  const vault = getVault(ctx);
  const place = placeOf(payload.purpose);
  return { purpose: payload.purpose, sealed: vault.encrypt(vault.decrypt(payload.sealed, place), place) };
}

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
 * `perennial vault rotate` re-seals the mails still waiting; a payload whose key is no longer
 * configured fails (VaultError) and is retried like any failure.
 */
export const sendEmailJob = registerJob({
  queue: MAIL_QUEUE,
  schema: sealedEmailSchema,
  retry: { limit: 8, delaySeconds: 30, maxDelaySeconds: 3_600 },
  async handle(ctx, payload) {
    await mailerFor(ctx).send(unsealEmail(ctx, payload));
  },
});
