import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openTestDatabase, testEngine } from '../testing/testDatabase.ts';
import { waitFor } from './testing/waitFor.ts';

const PERENNIAL = path.resolve('bin/perennial');

type Serve = { child: ChildProcess; output: () => string; dataDir: string; port?: number };

/**
 * `perennial serve --role api` and `--role worker` as separate processes on one PostgreSQL server:
 * the API enqueues (an invitation email, in the transaction of the invitation) and only the worker
 * works it; `/readyz` on the API sees the worker's heartbeat; SIGTERM stops a worker cleanly.
 */
describe('serve roles on a PostgreSQL server', { skip: testEngine !== 'postgres' && 'several processes need the server' }, () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  const processes: Serve[] = [];
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'perennial-roles-'));
  const env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    PORT: '0',
    SHUTDOWN_GRACE_MS: '3000',
    ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  };

  before(async () => {
    db = await openTestDatabase();
  });
  after(async () => {
    for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await db.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function serve(role: 'api' | 'worker', name: string): Promise<Serve> {
    const dataDir = path.join(root, name);
    const child = spawn(PERENNIAL, ['serve', '--role', role], {
      env: { ...process.env, ...env, DATABASE_URL: db.url!, DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += String(d)));
    child.stderr!.on('data', (d: Buffer) => (out += String(d)));
    const proc: Serve = { child, output: () => out, dataDir };
    processes.push(proc);
    await waitFor(() => out.includes('Perennial is running') || child.exitCode !== null, `${name} to start`, 60_000);
    assert.equal(child.exitCode, null, `${name} exited:\n${out}`);
    const listening = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
    if (listening) proc.port = Number(listening[1]);
    return proc;
  }

  const stop = (p: Serve) =>
    new Promise<number | null>((resolve) => {
      if (p.child.exitCode !== null) return resolve(p.child.exitCode);
      p.child.once('exit', (code) => resolve(code));
      p.child.kill('SIGTERM');
    });

  test('one API and two workers: the API enqueues, a worker sends, /readyz sees the workers', async () => {
    const [api, w1, w2] = [await serve('api', 'api'), await serve('worker', 'w1'), await serve('worker', 'w2')];
    assert.ok(api.port, 'the API listens');
    assert.equal(w1.port, undefined, 'a worker serves no HTTP');
    const base = `http://127.0.0.1:${api.port}`;

    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 200, await ready.clone().text());
    assert.match(((await ready.json()) as { checks: { workers: string } }).checks.workers, /^ok \(2\)$/);

    const signUp = await fetch(`${base}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'owner@example.test', password: 'Correct horse battery 42', name: 'Owner' }),
    });
    assert.equal(signUp.status, 201, await signUp.clone().text());
    const cookie = String(signUp.headers.get('set-cookie')).split(';')[0]!;
    const { csrfToken } = (await signUp.json()) as { csrfToken: string };
    const headers = { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken };
    const ws = await fetch(`${base}/api/workspaces`, { method: 'POST', headers, body: JSON.stringify({ name: 'Agency', timeZone: 'UTC' }) });
    assert.equal(ws.status, 201, await ws.clone().text());
    const { id } = (await ws.json()) as { id: string };
    const invite = await fetch(`${base}/api/workspaces/${id}/invitations`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ email: 'new@example.test', role: 'editor' }),
    });
    assert.equal(invite.status, 201, await invite.clone().text());

    const mails = (p: Serve) => (fs.existsSync(path.join(p.dataDir, 'mail')) ? fs.readdirSync(path.join(p.dataDir, 'mail')) : []);
    await waitFor(() => mails(w1).length + mails(w2).length === 1, 'a worker to send the invitation', 30_000);
    assert.equal(mails(api).length, 0, 'the API process never works the queues');

    // SIGTERM: the workers stop cleanly and take their heartbeats with them.
    assert.equal(await stop(w1), 0, w1.output());
    assert.equal(await stop(w2), 0, w2.output());
    assert.match(w1.output(), /"msg":"stopped"/);
    const { rows } = await db.query<{ n: number }>('select count(*)::int as n from worker_heartbeats');
    assert.equal(rows[0]?.n, 0);
    const notReady = await fetch(`${base}/readyz`);
    assert.equal(notReady.status, 503);
    assert.equal(await stop(api), 0, api.output());
  });

  test('time travel refuses a split role', async () => {
    const child = spawn(PERENNIAL, ['serve', '--role', 'worker', '--time-travel'], {
      env: { ...process.env, ...env, DATABASE_URL: db.url!, DATA_DIR: path.join(root, 'tt') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += String(d)));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 1);
    assert.match(err, /Time travel runs the API and the workers in one process: use --role all/);
  });
});

