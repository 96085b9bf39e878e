import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../config.ts';
import { connectThroughConsent, dumpAllTables, openConnectionHarness, TEST_ENCRYPTION_KEYS, type ConnectionHarness } from '../connections/connectionTestHarness.ts';
import { loadCredential } from '../connections/credentials.ts';
import { BOSS_SCHEMA } from '../jobs/jobQueue.ts';
import { createLogger } from '../log.ts';
import { enqueueEmail } from '../mail/enqueueEmail.ts';
import { MAIL_QUEUE, unsealEmail, type SealedEmail } from '../mail/sendEmailJob.ts';
import { rotateVault } from './rotateVault.ts';
import { createVault, VaultError } from './vault.ts';
import { GENERATED_KEY_FILE, getVault, loadVaultKeys } from './vaultKeys.ts';

const key = (n: number) => Buffer.alloc(32, n);
const place = { rowId: '6f1c1f4e-5d0c-4c4e-9a51-0c7f2e8a1b11', field: 'access_token' };

describe('vault', () => {
  it('encrypts with a fresh IV and the key id, and decrypts', () => {
    const vault = createVault([{ id: 'k2', key: key(2) }, { id: 'k1', key: key(1) }]);
    const a = vault.encrypt('secret-token', place);
    const b = vault.encrypt('secret-token', place);
    assert.notEqual(a, b, 'fresh IV per write');
    assert.equal(a.split('.')[1], 'k2');
    assert.equal(vault.keyIdOf(a), 'k2');
    assert.equal(a.includes('secret-token'), false);
    assert.equal(vault.decrypt(a, place), 'secret-token');
  });

  it('decrypts with older keys, refuses unknown ones', () => {
    const old = createVault([{ id: 'k1', key: key(1) }]).encrypt('t', place);
    assert.equal(createVault([{ id: 'k2', key: key(2) }, { id: 'k1', key: key(1) }]).decrypt(old, place), 't');
    assert.throws(() => createVault([{ id: 'k2', key: key(2) }]).decrypt(old, place), /no key "k1"/);
  });

  it('rejects tampered ciphertext and ciphertext moved to another row or field', () => {
    const vault = createVault([{ id: 'k1', key: key(1) }]);
    const c = vault.encrypt('secret-token', place);
    const parts = c.split('.');
    const ct = Buffer.from(parts[3]!, 'base64url');
    ct[0] = ct[0]! ^ 1;
    const tampered = [...parts.slice(0, 3), ct.toString('base64url'), parts[4]].join('.');
    assert.throws(() => vault.decrypt(tampered, place), VaultError);
    assert.throws(() => vault.decrypt(c, { ...place, rowId: '00000000-0000-0000-0000-000000000000' }), /moved from another row/);
    assert.throws(() => vault.decrypt(c, { ...place, field: 'refresh_token' }), VaultError);
    assert.throws(() => vault.decrypt('plain-text', place), /not a vault ciphertext/);
  });

  it('generates a key file (0600) for the embedded default, with a warning, and reuses it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perennial-vault-'));
    const lines: string[] = [];
    const log = createLogger({ level: 'info', destination: { write: (l: string) => lines.push(l) } as never });
    const config = loadConfig({ DATA_DIR: dir });
    const first = loadVaultKeys(config, log);
    const file = path.join(dir, GENERATED_KEY_FILE);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.match(lines.join(''), /production must set ENCRYPTION_KEYS/);
    const second = loadVaultKeys(config, log);
    assert.deepEqual(second, first);
    assert.equal(lines.length, 1, 'warned once, on generation');
    assert.throws(() => loadVaultKeys({ ...config, databaseUrl: 'postgres://x/y' }, log), /ENCRYPTION_KEYS must be set/);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('vault with stored connections', () => {
  let h: ConnectionHarness;
  let connectionId: string;
  before(async () => {
    h = await openConnectionHarness();
    const res = await connectThroughConsent(h, { platform: 'x' }, '1500000000000000001');
    connectionId = res.json().connection.id;
  });
  after(async () => h?.close());

  it('a full dump of every table holds no token in clear', async () => {
    const { credential } = await loadCredential(h.ctx, h.ctx.db, connectionId);
    const dump = await dumpAllTables(h.ctx);
    assert.ok(dump.includes(connectionId));
    assert.equal(dump.includes(credential.accessToken), false);
    assert.equal(dump.includes(credential.refreshToken!), false);
    assert.equal(dump.includes('sandbox-secret-x'), false);
  });

  it('rejects a ciphertext swapped into another row', async () => {
    const other = await connectThroughConsent(h, { platform: 'x' }, '1500000000000000002');
    const otherId = other.json().connection.id as string;
    await h.ctx.database.query('update connections set access_token_enc = (select access_token_enc from connections where id = $1) where id = $2', [otherId, connectionId]);
    await assert.rejects(loadCredential(h.ctx, h.ctx.db, connectionId), /moved from another row/);
    await h.ctx.database.query('update connections set access_token_enc = null, refresh_token_enc = null, disconnected_at = $2 where id = $1', [connectionId, new Date()]);
    connectionId = otherId;
  });

  it('rotates every secret to the newest key, and the mails waiting in the queue', async () => {
    const before = await loadCredential(h.ctx, h.ctx.db, connectionId);
    // A mail waiting to be sent, sealed with the old key (no worker runs in this harness).
    const mail = { to: 'someone@example.test', subject: 'Join Client A', text: 'https://perennial.test/invitations/secret-link' };
    await h.ctx.db.transaction((tx) => enqueueEmail(h.ctx, tx, mail, 'invitation'));
    const newKeys = `k2:${key(9).toString('base64')},${TEST_ENCRYPTION_KEYS}`;
    const rotated = { ...h.ctx, config: loadConfig({ NODE_ENV: 'test', DATA_DIR: '.tmp/test-data', ENCRYPTION_KEYS: newKeys, EMULATOR_URL: h.emulator.url }) };
    const result = await rotateVault(rotated);
    assert.ok(result.reencrypted >= 3, JSON.stringify(result));
    const { rows } = await h.ctx.database.query<{ access_token_enc: string }>('select access_token_enc from connections where id = $1', [connectionId]);
    assert.equal(getVault(rotated).keyIdOf(rows[0]!.access_token_enc), 'k2');
    const afterwards = await loadCredential(rotated, h.ctx.db, connectionId);
    assert.equal(afterwards.credential.accessToken, before.credential.accessToken);
    assert.equal(afterwards.credential.refreshToken, before.credential.refreshToken);
    // Only the new key is needed now.
    const onlyNew = { ...h.ctx, config: loadConfig({ NODE_ENV: 'test', DATA_DIR: '.tmp/test-data', ENCRYPTION_KEYS: `k2:${key(9).toString('base64')}` }) };
    assert.equal((await loadCredential(onlyNew, h.ctx.db, connectionId)).credential.accessToken, before.credential.accessToken);
    assert.equal(result.byColumn['queued mail.send jobs'], 1);
    const queued = await h.ctx.database.query<{ data: SealedEmail }>(`select data from ${BOSS_SCHEMA}.job where name = $1`, [MAIL_QUEUE]);
    assert.equal(queued.rows.length, 1);
    assert.equal(getVault(rotated).keyIdOf(queued.rows[0]!.data.sealed), 'k2');
    assert.deepEqual(unsealEmail(onlyNew, queued.rows[0]!.data), mail, 'the mail opens with the new key alone');
    assert.equal((await rotateVault(rotated)).reencrypted, 0, 'idempotent');
  });
});

describe('vault after a disconnect', () => {
  let h: ConnectionHarness;
  before(async () => {
    h = await openConnectionHarness();
  });
  after(async () => h?.close());

  it('a disconnected connection leaves no ciphertext anywhere, not even of the Pages it did not pick', async () => {
    const parked = await connectThroughConsent(h, { platform: 'facebook' }, '10001');
    assert.equal(parked.json().result, 'select_account', parked.body);
    const picked = await h.app.inject({
      method: 'POST',
      url: `/api/workspaces/${h.workspaceId}/connections/select`,
      headers: h.auth.headers,
      payload: { selectionId: parked.json().selectionId, platformAccountId: '20001' },
    });
    assert.equal(picked.statusCode, 200, picked.body);
    const ciphertexts = (dump: string) => dump.match(/v1\.t1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g) ?? [];
    // While connected, only the chosen Page's token is stored (Facebook has no PKCE verifier).
    assert.equal(ciphertexts(await dumpAllTables(h.ctx)).length, 1);
    const res = await h.app.inject({ method: 'DELETE', url: `/api/workspaces/${h.workspaceId}/connections/${picked.json().connection.id}`, headers: h.auth.headers });
    assert.equal(res.statusCode, 200, res.body);
    const dump = await dumpAllTables(h.ctx);
    assert.ok(dump.includes(picked.json().connection.id), 'the connection row is kept');
    assert.deepEqual(ciphertexts(dump), []);
  });
});
