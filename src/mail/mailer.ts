import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type NodeMailer from 'nodemailer';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';

export type EmailMessage = { to: string; subject: string; text: string; html?: string | undefined };

/** Contract: what sends email. Jobs call it (queue `mail.send`); requests only enqueue (enqueueEmail.ts). */
export type Mailer = { send(msg: EmailMessage): Promise<void> };

/**
 * SMTP through nodemailer when SMTP_URL is set; otherwise every message is written as an `.eml`
 * file in DATA_DIR/mail (the log says where), so a fresh instance needs no mail server.
 * Message bodies can hold sign-in and invitation links: they are never logged.
 */
/** nodemailer, loaded when the first mail goes out (made lazily by the mail job): ~100 ms and ~20 MB less at start. */
const nodemailer = (): typeof NodeMailer => createRequire(import.meta.url)('nodemailer') as typeof NodeMailer;

export function createMailer(config: Pick<Config, 'smtpUrl' | 'mailFrom' | 'dataDir'>, log: Logger, options: { clock?: Clock } = {}): Mailer {
  const mailLog = log.child({ component: 'mail' });
  if (config.smtpUrl) {
    const transport = nodemailer().createTransport(config.smtpUrl);
    // The URL may carry credentials: log only where mail goes.
    mailLog.info({ smtpHost: new URL(config.smtpUrl).host }, 'mail goes out over SMTP');
    return {
      async send(msg) {
        const info = await transport.sendMail({ from: config.mailFrom, ...msg });
        mailLog.info({ to: msg.to, subject: msg.subject, messageId: info.messageId }, 'mail sent');
      },
    };
  }

  const dir = path.join(config.dataDir, 'mail');
  const transport = nodemailer().createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  mailLog.info({ dir }, 'no SMTP_URL: mail is written to .eml files');
  return {
    async send(msg) {
      const info = await transport.sendMail({ from: config.mailFrom, ...msg });
      await fs.mkdir(dir, { recursive: true });
      // Time first, so a directory listing reads in sending order.
      const stamp = options.clock ? options.clock.now().toISOString().replace(/[:.]/g, '-') : 'mail';
      const file = path.join(dir, `${stamp}-${randomUUID().slice(0, 8)}.eml`);
      await fs.writeFile(file, info.message as Buffer);
      mailLog.info({ to: msg.to, subject: msg.subject, file }, 'mail written');
    },
  };
}
