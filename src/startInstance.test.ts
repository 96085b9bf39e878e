import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { loadConfig } from './config.ts';
import { createLogger } from './log.ts';
import { startInstance } from './startInstance.ts';
import { freePort } from './testing/serveProcess.ts';
import { openTestDatabase } from './testing/testDatabase.ts';

function capturedLog() {
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
  return { log, lines };
}

describe('startInstance', () => {
  test('stops in order: HTTP first, then the workers, then pg-boss; a caller-owned database stays open', async () => {
    const database = await openTestDatabase();
    try {
      const port = await freePort();
      const { log, lines } = capturedLog();
      const config = loadConfig({
        NODE_ENV: 'test',
        DATA_DIR: '.tmp/test-data',
        PORT: String(port),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        SHUTDOWN_GRACE_MS: '2000',
        ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 3).toString('base64')}`,
        ...(database.url ? { DATABASE_URL: database.url } : {}),
      });
      const instance = await startInstance(config, log, { role: 'all', database });
      assert.equal(instance.url, `http://127.0.0.1:${port}`);
      assert.equal((await fetch(`${instance.url}/readyz`)).status, 200);
      await instance.stop();
      const steps = lines.map((l) => JSON.parse(l) as { msg: string; step?: string }).filter((l) => l.msg === 'stopped').map((l) => l.step);
      assert.deepEqual(steps, ['the HTTP server', 'the workers', 'pg-boss']);
      await assert.rejects(fetch(`${instance.url}/healthz`), 'no longer listening');
      const { rows } = await database.query<{ n: number }>('select count(*)::int as n from worker_heartbeats');
      assert.equal(rows[0]?.n, 0, 'the heartbeat is gone, and the database is still open');
      await instance.stop(); // idempotent
    } finally {
      await database.close();
    }
  });

  test('a failed start closes what it opened: the port in use', async () => {
    const database = await openTestDatabase();
    const blocker = await import('node:net').then(({ createServer }) => createServer());
    try {
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const port = (blocker.address() as { port: number }).port;
      const { log, lines } = capturedLog();
      const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: '.tmp/test-data', PORT: String(port), ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 3).toString('base64')}`, ...(database.url ? { DATABASE_URL: database.url } : {}) });
      await assert.rejects(startInstance(config, log, { role: 'all', database }), { name: 'StartupError', message: `Port ${port} on 127.0.0.1 is already in use: stop the other process or set PORT` });
      assert.ok(lines.some((l) => l.includes('"step":"pg-boss"')), 'pg-boss was stopped');
    } finally {
      blocker.close();
      await database.close();
    }
  });
});
