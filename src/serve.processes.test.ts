/**
 * `perennial serve` as real processes, on the engine of the suite: the embedded database under
 * `npm test`, the PostgreSQL server under `npm run test:pg`. Start-up to /readyz, the work of an
 * instance (an account, a workspace, an API token, a sandbox connection whose tokens are in the
 * vault, an invitation whose email the in-process worker writes), SIGTERM, and a restart on the
 * same data that finds all of it. Embedded only: the data folder's lock (a second process is
 * refused, a lock left by kill -9 is taken over) and the refusal of split roles. Both: start-up
 * errors are one line and release what they took.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor } from './jobs/testing/waitFor.ts';
import { freePort, spawnPerennial, startServe, type ServeProcess } from './testing/serveProcess.ts';
import { openTestDatabase, testEngine } from './testing/testDatabase.ts';
import { TEST_PASSWORD } from './testing/testUsers.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'perennial-serve-'));
const running: ServeProcess[] = [];
let databaseUrl: string | undefined;
let closeDatabase: (() => Promise<void>) | undefined;

before(async () => {
  if (testEngine === 'postgres') {
    const db = await openTestDatabase();
    databaseUrl = db.url;
    closeDatabase = () => db.close();
  }
});
after(async () => {
  for (const p of running) await p.stop('SIGKILL');
  await closeDatabase?.();
  fs.rmSync(root, { recursive: true, force: true });
});

type Session = { headers: Record<string, string> };

async function call(base: string, method: string, url: string, options: { headers?: Record<string, string>; body?: unknown } = {}) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : undefined) as Record<string, unknown>, headers: res.headers };
}

async function signIn(base: string, email: string, signUp = false): Promise<Session> {
  const res = await call(base, 'POST', signUp ? '/api/auth/signup' : '/api/auth/signin', { body: { email, password: TEST_PASSWORD, ...(signUp ? { name: 'Owner' } : {}) } });
  assert.equal(res.status, signUp ? 201 : 200, JSON.stringify(res.json));
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  return { headers: { cookie, 'x-csrf-token': res.json.csrfToken as string } };
}

/** Waits for /readyz (200) and returns how long the process took from spawn, in ms. */
async function readyAfter(base: string, spawnedAt: number): Promise<number> {
  await waitFor(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200, '/readyz', 60_000);
  return Math.round(performance.now() - spawnedAt);
}

function envFor(name: string, port: number): Record<string, string> {
  const base: Record<string, string> = {
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: path.join(root, name),
    SHUTDOWN_GRACE_MS: '3000',
  };
  if (databaseUrl) Object.assign(base, { DATABASE_URL: databaseUrl, ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}` });
  return base;
}

describe(`perennial serve on the ${testEngine === 'postgres' ? 'PostgreSQL server' : 'embedded database'}`, () => {
  test('serves, stops on SIGTERM, and a restart on the same data finds everything', async () => {
    const port = await freePort();
    const env = envFor('restart', port);
    const base = `http://127.0.0.1:${port}`;
    let spawnedAt = performance.now();
    const first = await startServe([], env);
    running.push(first);
    console.log(`# ${testEngine}: first start, /readyz after ${await readyAfter(base, spawnedAt)} ms`);

    const owner = await signIn(base, 'owner@example.test', true);
    const ws = await call(base, 'POST', '/api/workspaces', { headers: owner.headers, body: { name: 'Kept', timeZone: 'Europe/Paris' } });
    assert.equal(ws.status, 201);
    const workspaceId = ws.json.id as string;
    const token = await call(base, 'POST', '/api/tokens', { headers: owner.headers, body: { name: 'kept token' } });
    assert.equal(token.status, 201);
    const bearer = { authorization: `Bearer ${token.json.token as string}` };
    const connected = await call(base, 'POST', `/api/workspaces/${workspaceId}/connections/password`, {
      headers: bearer,
      body: { platform: 'bluesky', identifier: 'alice.sandbox.bsky.social', password: 'abcd-efgh-ijkl-mnop' },
    });
    assert.equal(connected.status, 200, JSON.stringify(connected.json));
    const connectionId = (connected.json.connection as { id: string }).id;
    const invited = await call(base, 'POST', `/api/workspaces/${workspaceId}/invitations`, { headers: owner.headers, body: { email: 'new@example.test', role: 'editor' } });
    assert.equal(invited.status, 201);
    const mailDir = path.join(env.DATA_DIR!, 'mail');
    await waitFor(() => fs.existsSync(mailDir) && fs.readdirSync(mailDir).length === 1, 'the invitation email', 30_000);

    const keyFile = path.join(env.DATA_DIR!, 'encryption-key');
    const key = testEngine === 'pglite' ? fs.readFileSync(keyFile, 'utf8') : '';
    assert.equal(await first.stop('SIGTERM'), 0, first.output());
    assert.match(first.output(), /"msg":"stopped"/);
    assert.ok(!fs.existsSync(path.join(env.DATA_DIR!, 'perennial.lock')), 'the lock is released');

    spawnedAt = performance.now();
    const second = await startServe([], env);
    running.push(second);
    console.log(`# ${testEngine}: restart, /readyz after ${await readyAfter(base, spawnedAt)} ms`);
    const again = await signIn(base, 'owner@example.test');
    const list = await call(base, 'GET', '/api/workspaces', { headers: again.headers });
    assert.deepEqual((list.json.workspaces as { id: string; name: string; timeZone: string }[]).map((w) => [w.id, w.name, w.timeZone]), [[workspaceId, 'Kept', 'Europe/Paris']]);
    assert.equal((await call(base, 'GET', '/api/session', { headers: bearer })).status, 200, 'the API token still works');
    const connection = await call(base, 'GET', `/api/workspaces/${workspaceId}/connections/${connectionId}`, { headers: bearer });
    assert.equal(connection.status, 200);
    assert.equal((connection.json as { state: string }).state, 'active');
    if (testEngine === 'pglite') assert.equal(fs.readFileSync(keyFile, 'utf8'), key, 'the generated token key is kept, so the stored tokens still decrypt');
    const invitations = await call(base, 'GET', `/api/workspaces/${workspaceId}/invitations`, { headers: again.headers });
    assert.deepEqual((invitations.json.invitations as { email: string }[]).map((i) => i.email), ['new@example.test']);
    assert.equal(fs.readdirSync(mailDir).length, 1, 'the invitation email went out once, not again after the restart');
    assert.equal(await second.stop('SIGTERM'), 0, second.output());
  });

  test('start-up errors are one line, and release what they took: the port in use', async () => {
    const port = await freePort();
    const env = envFor('port-in-use', port);
    const holder = await startServe([], { ...env, DATA_DIR: path.join(root, 'port-holder') });
    running.push(holder);
    const refused = spawnPerennial(['serve'], env);
    assert.equal(await refused.exited, 1);
    const lines = refused.output().split('\n').filter((l) => l && !l.startsWith('{'));
    assert.deepEqual(lines, [`Port ${port} on 127.0.0.1 is already in use: stop the other process or set PORT`]);
    if (testEngine === 'pglite') assert.ok(!fs.existsSync(path.join(env.DATA_DIR!, 'perennial.lock')), 'the data folder is released');
    await holder.stop();
    // The same data folder starts at once now.
    const next = await startServe([], env);
    running.push(next);
    assert.equal(await next.stop(), 0);
  });

  test('an unreachable server is one line too', async () => {
    const closed = await freePort();
    const refused = spawnPerennial(['serve'], {
      ...envFor('unreachable', await freePort()),
      DATABASE_URL: `postgres://postgres@127.0.0.1:${closed}/perennial`,
      ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    });
    assert.equal(await refused.exited, 1);
    const lines = refused.output().split('\n').filter((l) => l && !l.startsWith('{'));
    assert.equal(lines.length, 1, refused.output());
    assert.match(lines[0]!, /^cannot reach the database at DATABASE_URL: .*ECONNREFUSED/);
  });

  test('time travel with real credentials configured refuses to start, with the reason', async () => {
    const refused = spawnPerennial(['serve', '--time-travel'], { ...envFor('tt', await freePort()), LINKEDIN_CLIENT_ID: 'real-app', LINKEDIN_CLIENT_SECRET: 'real-secret' });
    assert.equal(await refused.exited, 1);
    assert.match(refused.output(), /TIME_TRAVEL: time travel runs only on the sandbox, but real credentials are configured for LINKEDIN \(LINKEDIN_CLIENT_ID\)/);
    assert.ok(!refused.output().includes('real-secret'));
  });
});

describe('the embedded data folder belongs to one process', { skip: testEngine === 'postgres' && 'embedded only' }, () => {
  test('a second process is refused with a message; a lock left by kill -9 is taken over and the data is kept', async () => {
    const port = await freePort();
    const env = envFor('lock', port);
    const base = `http://127.0.0.1:${port}`;
    const first = await startServe([], env);
    running.push(first);
    const owner = await signIn(base, 'owner@example.test', true);
    assert.equal((await call(base, 'POST', '/api/workspaces', { headers: owner.headers, body: { name: 'Survives a kill' } })).status, 201);

    const second = spawnPerennial(['serve'], { ...env, PORT: String(await freePort()) });
    assert.equal(await second.exited, 1);
    assert.match(second.output(), new RegExp(`The data folder ${env.DATA_DIR!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by another Perennial process \\(pid ${first.child.pid}\\)`));

    await first.stop('SIGKILL');
    assert.ok(fs.existsSync(path.join(env.DATA_DIR!, 'perennial.lock')), 'kill -9 leaves the lock behind');
    const third = await startServe([], env);
    running.push(third);
    await readyAfter(base, performance.now());
    const list = await call(base, 'GET', '/api/workspaces', { headers: (await signIn(base, 'owner@example.test')).headers });
    assert.deepEqual((list.json.workspaces as { name: string }[]).map((w) => w.name), ['Survives a kill']);
    assert.equal(fs.readFileSync(path.join(env.DATA_DIR!, 'perennial.lock'), 'utf8').trim(), String(third.child.pid));
    assert.equal(await third.stop(), 0);
  });

  test('--role api and --role worker are refused on the embedded database', async () => {
    for (const role of ['api', 'worker']) {
      const refused = spawnPerennial(['serve', '--role', role], envFor(`role-${role}`, await freePort()));
      assert.equal(await refused.exited, 1);
      assert.match(refused.output(), new RegExp(`--role ${role} needs a PostgreSQL server \\(DATABASE_URL\\)`));
      assert.ok(!fs.existsSync(path.join(root, `role-${role}`, 'pgdata')), 'refused before the database was opened');
    }
  });
});
