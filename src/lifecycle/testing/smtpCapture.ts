/** A real local SMTP server (smtp-server) that keeps what it receives, for mail assertions. */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export type CapturedMail = { to: string[]; raw: string };

export async function startSmtpCapture(): Promise<{ url: string; mails: CapturedMail[]; waitFor(count: number, timeoutMs?: number): Promise<CapturedMail[]>; close(): Promise<void> }> {
  const mails: CapturedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    async waitFor(count, timeoutMs = 15_000) {
      // Real-time polling (the test clock is frozen): at most timeoutMs / 50 rounds.
      for (let waited = 0; mails.length < count && waited < timeoutMs; waited += 50) await new Promise((r) => setTimeout(r, 50));
      return mails;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
