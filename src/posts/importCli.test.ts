/**
 * `perennial import` as people run it: a real child process (bin/perennial) against a database
 * it opens itself. On the embedded engine that is a data folder prepared here and closed again
 * (one process per data folder: the lock must be free); under `npm run test:pg` it is the test's
 * own server database, through DATABASE_URL. The command runs on the real clock, so the files use
 * dates far ahead.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openPglite, type DatabaseHandle } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { createLogger } from '../log.ts';
import { openTestDatabase, testEngine } from '../testing/testDatabase.ts';
import { insertTestConnection, insertTestWorkspace } from './testing/postsFixtures.ts';

const BIN = path.resolve('bin/perennial');
const log = createLogger({ level: 'silent' });

let dir = '';
const IMPORT_KEYS = `k1:${randomBytes(32).toString('base64')}`;
let server: (DatabaseHandle & { url?: string }) | undefined;
let workspaceId = '';

/** The database the command writes to, opened only while no command runs. */
async function withDatabase<T>(fn: (db: DatabaseHandle) => Promise<T>): Promise<T> {
  if (server) return fn(server);
  const handle = await openPglite(path.join(dir, 'data'), log);
  try {
    return await fn(handle);
  } finally {
    await handle.close();
  }
}

function run(args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const env: Record<string, string | undefined> = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', DATA_DIR: path.join(dir, 'data') };
  delete env.DATABASE_URL;
  if (server) {
    env.DATABASE_URL = server.url;
    // Every process on a server must bring the instance's keys (the import itself stores no token).
    env.ENCRYPTION_KEYS = IMPORT_KEYS;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, ['import', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += String(c)));
    child.stderr.on('data', (c) => (stderr += String(c)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const countPosts = () => withDatabase(async (db) => (await db.query<{ n: number }>('select count(*)::int as n from posts')).rows[0]!.n);

function csvFile(name: string, lines: string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

before(async () => {
  fs.mkdirSync('.tmp', { recursive: true });
  dir = fs.mkdtempSync(path.join('.tmp', 'import-cli-'));
  if (testEngine === 'postgres') server = await openTestDatabase();
  await withDatabase(async (db) => {
    if (!server) await migrate(db.db);
    workspaceId = await insertTestWorkspace(db.db, { timeZone: 'Europe/Berlin' });
    await insertTestConnection(db.db, workspaceId, { platform: 'x', handle: 'acme' });
    await insertTestConnection(db.db, workspaceId, { platform: 'linkedin', handle: 'acme-co' });
  });
});
after(async () => {
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe(`perennial import, a child process on ${testEngine}`, () => {
  const rows = Array.from({ length: 25 }, (_, i) => `2031-05-${String(1 + (i % 28)).padStart(2, '0')} 09:${String(i).padStart(2, '0')},x:acme;linkedin:acme-co,Post ${i}`);

  it('--dry-run validates and writes nothing, with plain progress lines when stderr is not a terminal', async () => {
    const file = csvFile('good.csv', ['time,connections,text', ...rows]);
    const res = await run([workspaceId, file, '--dry-run']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /^Validating: 0\/25 rows \(0%\)$/m);
    assert.match(res.stderr, /^Validating: 25\/25 rows \(100%\)$/m);
    assert.doesNotMatch(res.stderr, /Writing/);
    assert.equal(res.stderr.includes('\u001b['), false, 'no terminal control codes in a log');
    assert.match(res.stderr, /The file is valid: 50 targets would be scheduled \(nothing written\)/);
    assert.equal(await countPosts(), 0);
  });

  it('imports every row, showing progress for validation and writing', async () => {
    const res = await run([workspaceId, path.join(dir, 'good.csv')]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /^Validating: 25\/25 rows \(100%\)$/m);
    assert.match(res.stderr, /^Writing: 0\/25 rows \(0%\)$/m);
    assert.match(res.stderr, /^Writing: 25\/25 rows \(100%\)$/m);
    assert.match(res.stderr, /Imported 25 posts \(50 targets\) in [\d.]+ s\./);
    assert.equal(await countPosts(), 25);
  });

  it('a file with a bad row exits 1, prints every row error, and imports nothing', async () => {
    const file = csvFile('bad.csv', ['time,connections,text', rows[0]!, '2031-05-02 09:75,x:acme,overflow', '2031-05-03 09:00,x:ghost,nobody', '2001-01-01 09:00,x:acme,long ago']);
    const res = await run([workspaceId, file]);
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /3 problem\(s\) in the file; nothing was imported/);
    assert.match(res.stderr, /row 3, time: .*09:75/);
    assert.match(res.stderr, /row 4, connections: no connection "x:ghost"/);
    assert.match(res.stderr, /row 5, time: 2001-01-01 09:00 is in the past/);
    assert.doesNotMatch(res.stderr, /Writing/);
    assert.equal(await countPosts(), 25);
  });

  it('refuses a missing file', async () => {
    const missing = await run([workspaceId, path.join(dir, 'nope.csv')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Cannot read .*nope\.csv: ENOENT/);
  });

  it('on the embedded engine, refuses a data folder another process has open', { skip: testEngine === 'postgres' && 'the server engine has no data folder lock' }, async () => {
    const holder = await openPglite(path.join(dir, 'data'), log);
    try {
      const res = await run([workspaceId, path.join(dir, 'good.csv')]);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /in use|locked|another/i);
    } finally {
      await holder.close();
    }
    assert.equal(await countPosts(), 25);
  });
});
