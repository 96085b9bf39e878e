import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { ControllableClock } from '../clock.ts';
import { loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { createMailer } from './mailer.ts';

function capturedLogger() {
  const lines: string[] = [];
  const log = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  });
  return { log, text: () => lines.join('') };
}

const message = { to: 'dana@example.test', subject: 'Welcome', text: 'Your link: https://perennial.example/invitation#token=s3cr3t-link-token' };

describe('mailer over SMTP', () => {
  let server: SMTPServer;
  let port: number;
  const received: { from: string; to: string[]; user: unknown; raw: string }[] = [];
  before(async () => {
    server = new SMTPServer({
      authOptional: true,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      onAuth(auth, _session, callback) {
        if (auth.username === 'mailer' && auth.password === 'hunter2secret') return callback(null, { user: auth.username });
        return callback(new Error('bad credentials'));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            user: session.user,
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends through SMTP_URL from MAIL_FROM, and logs neither the body nor the URL’s password', async () => {
    const config = loadConfig({ SMTP_URL: `smtp://mailer:hunter2secret@127.0.0.1:${port}`, MAIL_FROM: 'Perennial <no-reply@perennial.example>' });
    const { log, text } = capturedLogger();
    await createMailer(config, log).send({ ...message, html: '<p>Hello</p>' });
    assert.equal(received.length, 1);
    assert.equal(received[0]?.from, 'no-reply@perennial.example');
    assert.deepEqual(received[0]?.to, ['dana@example.test']);
    assert.equal(received[0]?.user, 'mailer', 'signed in with the URL’s credentials');
    assert.match(received[0]?.raw ?? '', /Subject: Welcome/);
    assert.match(received[0]?.raw ?? '', /s3cr3t-link-token/);
    assert.match(received[0]?.raw ?? '', /<p>Hello<\/p>/);
    assert.match(text(), /mail sent/);
    assert.ok(!text().includes('s3cr3t-link-token'));
    assert.ok(!text().includes('hunter2secret'));
  });

  it('rejects when the SMTP server is unreachable (the mail.send job then retries)', async () => {
    const config = loadConfig({ SMTP_URL: 'smtp://127.0.0.1:1' });
    await assert.rejects(createMailer(config, capturedLogger().log).send(message));
  });
});

describe('mailer without SMTP', () => {
  it('writes .eml files into DATA_DIR/mail and says where', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'perennial-mail-'));
    try {
      const config = loadConfig({ DATA_DIR: dataDir });
      const { log, text } = capturedLogger();
      const clock = new ControllableClock({ startMs: Date.UTC(2026, 0, 5, 9, 0, 0) });
      const mailer = createMailer(config, log, { clock });
      assert.ok(text().includes(path.join(dataDir, 'mail')));
      await mailer.send(message);
      clock.advance(1_000);
      await mailer.send({ ...message, subject: 'Second' });
      const files = fs.readdirSync(path.join(dataDir, 'mail')).sort();
      assert.equal(files.length, 2);
      assert.match(files[0] ?? '', /^2026-01-05T09-00-00-000Z-[0-9a-f]{8}\.eml$/);
      const first = fs.readFileSync(path.join(dataDir, 'mail', files[0]!), 'utf8');
      assert.match(first, /^To: dana@example\.test$/m);
      assert.match(first, /^From: Perennial <perennial@localhost>$/m);
      assert.match(first, /^Subject: Welcome$/m);
      assert.match(fs.readFileSync(path.join(dataDir, 'mail', files[1]!), 'utf8'), /^Subject: Second$/m);
      assert.ok(!text().includes('s3cr3t-link-token'));
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
