import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256Hex } from '../accounts/secretTokens.ts';
import { buildApp, type App } from '../http/app.ts';
import { waitFor } from '../jobs/testing/waitFor.ts';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { accountRouteModules, createWorkspace, signUpAndSignIn, TEST_PASSWORD, type TestAuth } from '../testing/testUsers.ts';
import { dumpAllTables } from '../connections/connectionTestHarness.ts';
import { unsealEmail, type SealedEmail } from '../mail/sendEmailJob.ts';
import { INVITATION_TTL_MS } from './inviteMember.ts';
import { workspaceMembers } from './schema.ts';

describe('invitations', () => {
  let ctx: TestContext;
  let app: App;
  let owner: TestAuth;
  let workspaceId: string;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'perennial-invitations-'));
  before(async () => {
    ctx = await openTestContext({ env: { DATA_DIR: dataDir, PUBLIC_URL: 'https://perennial.example' } });
    await ctx.jobs.start();
    app = await buildApp(ctx, { routes: accountRouteModules });
    owner = await signUpAndSignIn(app, { name: 'Olga' });
    workspaceId = await createWorkspace(app, owner, 'Client A');
  });
  after(async () => {
    await app.close();
    await ctx.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** The mails queued on `mail.send` (the only place an invitation token exists, sealed), by job id. */
  const queuedMailsById = async () => {
    const { rows } = await ctx.database.query<{ id: string; data: SealedEmail }>("select id::text as id, data from pgboss.job where name = 'mail.send'");
    return new Map(rows.map((r) => [r.id, unsealEmail(ctx, r.data)]));
  };
  const queuedMails = async () => [...(await queuedMailsById()).values()];
  const tokenIn = (text: string) => /#token=([A-Za-z0-9_-]+)/.exec(text)?.[1] ?? assert.fail('no token in the mail');
  const invite = (auth: TestAuth, email: string, role: string, id = workspaceId) =>
    app.inject({ method: 'POST', url: `/api/workspaces/${id}/invitations`, headers: auth.headers, payload: { email, role } });
  const inviteAndGetToken = async (email: string, role = 'editor') => {
    const before = await queuedMailsById();
    const res = await invite(owner, email, role);
    assert.equal(res.statusCode, 201, res.body);
    const added = [...(await queuedMailsById()).entries()].filter(([id]) => !before.has(id));
    assert.equal(added.length, 1, 'one mail per invitation');
    assert.equal(added[0]![1].to, email);
    return tokenIn(added[0]![1].text);
  };
  const count = async (sql: string, params: unknown[] = []) => (await ctx.database.query<{ n: number }>(sql, params)).rows[0]?.n;

  it('invites by email: the link goes out in a queued mail; only its hash is stored', async () => {
    const res = await invite(owner, 'Dana@Example.test', 'editor');
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().email, 'dana@example.test');
    assert.equal(new Date(res.json().expiresAt).getTime(), ctx.clock.nowMs() + INVITATION_TTL_MS);
    assert.ok(!res.body.includes('token'));
    const [mail] = await queuedMails();
    assert.equal(mail?.to, 'dana@example.test');
    assert.match(mail?.subject ?? '', /Olga invited you to Client A/);
    assert.match(mail?.text ?? '', /https:\/\/perennial\.example\/invitation#token=/);
    const token = tokenIn(mail!.text);
    const { rows } = await ctx.database.query<{ token_hash: string }>('select token_hash from workspace_invitations');
    assert.deepEqual(rows.map((r) => r.token_hash), [sha256Hex(token)]);

    const list = await app.inject({ method: 'GET', url: `/api/workspaces/${workspaceId}/invitations`, headers: owner.headers });
    assert.deepEqual(list.json().invitations.map((i: { email: string; expired: boolean }) => [i.email, i.expired]), [['dana@example.test', false]]);
    const preview = await app.inject({ method: 'POST', url: '/api/invitations/lookup', payload: { token } });
    assert.deepEqual(preview.json(), { workspaceName: 'Client A', email: 'dana@example.test', role: 'editor', expiresAt: res.json().expiresAt });
  });

  it('lets the invited person sign up with the link, joining the workspace, even while sign-up is closed', async () => {
    await app.inject({ method: 'PATCH', url: '/api/instance/settings', headers: owner.headers, payload: { openSignUp: false } });
    const token = await inviteAndGetToken('erin@example.test', 'viewer');
    const wrongEmail = await app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email: 'mallory@example.test', password: TEST_PASSWORD, invitationToken: token } });
    assert.equal(wrongEmail.statusCode, 409);
    assert.equal(wrongEmail.json().error.code, 'account_mismatch');
    assert.equal(await count("select count(*)::int as n from users where email = 'mallory@example.test'"), 0, 'nothing written');

    const res = await app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email: 'erin@example.test', password: TEST_PASSWORD, invitationToken: token } });
    assert.equal(res.statusCode, 201, res.body);
    const cookie = String(res.headers['set-cookie']).split(';')[0]!;
    const workspaces = await app.inject({ method: 'GET', url: '/api/workspaces', headers: { cookie } });
    assert.deepEqual(workspaces.json().workspaces.map((w: { id: string; role: string }) => [w.id, w.role]), [[workspaceId, 'viewer']]);

    const again = await app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email: 'erin2@example.test', password: TEST_PASSWORD, invitationToken: token } });
    assert.equal(again.statusCode, 410, 'single use');
    assert.equal(again.json().error.code, 'invitation_expired');
    await app.inject({ method: 'PATCH', url: '/api/instance/settings', headers: owner.headers, payload: { openSignUp: true } });
  });

  it('lets a signed-in user accept, once, only for their own email', async () => {
    const fay = await signUpAndSignIn(app, { email: 'fay@example.test' });
    const gus = await signUpAndSignIn(app, { email: 'gus@example.test' });
    const token = await inviteAndGetToken('fay@example.test', 'admin');
    const accept = (auth: TestAuth, t = token) => app.inject({ method: 'POST', url: '/api/invitations/accept', headers: auth.headers, payload: { token: t } });

    const mismatch = await accept(gus);
    assert.equal(mismatch.statusCode, 409);
    assert.equal(mismatch.json().error.code, 'account_mismatch');
    assert.equal((await app.inject({ method: 'GET', url: `/api/workspaces/${workspaceId}`, headers: gus.headers })).statusCode, 404);

    const csrf = await app.inject({ method: 'POST', url: '/api/invitations/accept', headers: { cookie: fay.cookie }, payload: { token } });
    assert.equal(csrf.statusCode, 403);

    const ok = await accept(fay);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json(), { workspaceId, role: 'admin' });
    const twice = await accept(fay);
    assert.equal(twice.statusCode, 410);
    assert.equal((await accept(fay, 'unknown-token')).statusCode, 404);
    const lookup = await app.inject({ method: 'POST', url: '/api/invitations/lookup', payload: { token } });
    assert.equal(lookup.json().error.code, 'invitation_expired');
  });

  it('expires invitations after 7 days and writes nothing', async () => {
    const hal = await signUpAndSignIn(app, { email: 'hal@example.test' });
    const token = await inviteAndGetToken('hal@example.test');
    ctx.clock.advance(INVITATION_TTL_MS);
    const res = await app.inject({ method: 'POST', url: '/api/invitations/accept', headers: hal.headers, payload: { token } });
    assert.equal(res.statusCode, 410);
    assert.equal(res.json().error.code, 'invitation_expired');
    assert.equal(await count('select count(*)::int as n from workspace_members where user_id = $1', [hal.userId]), 0);
    const signup = await app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email: 'ivy@example.test', password: TEST_PASSWORD, invitationToken: token } });
    assert.equal(signup.statusCode, 410);
    assert.equal(await count("select count(*)::int as n from users where email = 'ivy@example.test'"), 0);
    const list = await app.inject({ method: 'GET', url: `/api/workspaces/${workspaceId}/invitations`, headers: owner.headers });
    assert.ok(list.json().invitations.some((i: { email: string; expired: boolean }) => i.email === 'hal@example.test' && i.expired));
  });

  it('checks roles: editors cannot invite, admins cannot invite owners; refused invitations queue no mail', async () => {
    const editor = await signUpAndSignIn(app);
    const admin = await signUpAndSignIn(app);
    await ctx.db.insert(workspaceMembers).values([
      { workspaceId, userId: editor.userId, role: 'editor', createdAt: ctx.clock.now() },
      { workspaceId, userId: admin.userId, role: 'admin', createdAt: ctx.clock.now() },
    ]);
    const mailsBefore = (await queuedMails()).length;
    const invitationsBefore = await count('select count(*)::int as n from workspace_invitations');
    const cases: [TestAuth, string, string, number, string][] = [
      [editor, 'new1@example.test', 'viewer', 403, 'forbidden'],
      [admin, 'new2@example.test', 'owner', 403, 'forbidden'],
      [admin, 'not an email', 'viewer', 400, 'validation_failed'],
      [admin, 'new3@example.test', 'root', 400, 'validation_failed'],
      [admin, editor.email, 'viewer', 409, 'already_member'],
    ];
    for (const [auth, email, role, status, code] of cases) {
      const res = await invite(auth, email, role);
      assert.equal(res.statusCode, status, `${email} as ${role}: ${res.body}`);
      assert.equal(res.json().error.code, code);
    }
    assert.equal((await app.inject({ method: 'GET', url: `/api/workspaces/${workspaceId}/invitations`, headers: editor.headers })).statusCode, 403);
    assert.equal((await queuedMails()).length, mailsBefore);
    assert.equal(await count('select count(*)::int as n from workspace_invitations'), invitationsBefore);
  });

  it('revokes invitations, and a new invitation replaces a pending one', async () => {
    const first = await inviteAndGetToken('jo@example.test');
    const second = await inviteAndGetToken('jo@example.test', 'viewer');
    const lookup = (token: string) => app.inject({ method: 'POST', url: '/api/invitations/lookup', payload: { token } });
    assert.equal((await lookup(first)).statusCode, 404);
    assert.equal((await lookup(second)).json().role, 'viewer');

    const list = await app.inject({ method: 'GET', url: `/api/workspaces/${workspaceId}/invitations`, headers: owner.headers });
    const id = list.json().invitations.find((i: { email: string }) => i.email === 'jo@example.test').id;
    const other = await createWorkspace(app, owner, 'Client B');
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/workspaces/${other}/invitations/${id}`, headers: owner.headers })).statusCode, 404, 'another workspace’s invitation');
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/workspaces/${workspaceId}/invitations/${id}`, headers: owner.headers })).statusCode, 204);
    assert.equal((await lookup(second)).statusCode, 404);
  });

  it('delivers the invitation mail through the mail.send job, and logs no token', async () => {
    await ctx.jobs.work(ctx);
    const token = await inviteAndGetToken('kim@example.test');
    const mailDir = path.join(dataDir, 'mail');
    const file = await waitFor(
      () => (fs.existsSync(mailDir) ? fs.readdirSync(mailDir).find((f) => fs.readFileSync(path.join(mailDir, f), 'utf8').includes('kim@example.test')) : undefined),
      'the invitation .eml file',
      20_000,
    );
    const eml = fs.readFileSync(path.join(mailDir, file), 'utf8').replace(/=\r?\n/g, '');
    assert.match(eml, /^To: kim@example\.test$/m);
    assert.ok(eml.includes(token), 'the mail carries the link');
    const logs = ctx.logText();
    assert.ok(!logs.includes(token), 'this invitation token leaked into the logs');
    for (const mail of await queuedMails()) assert.ok(!logs.includes(tokenIn(mail.text)), 'an invitation token leaked into the logs');
  });

  it('a full dump of every table holds no invitation token in clear: the queued mail is sealed', async () => {
    const token = await inviteAndGetToken('sealed@example.test', 'viewer');
    const dump = await dumpAllTables(ctx);
    assert.ok(dump.includes(sha256Hex(token)), 'the dump has the invitation (its hash)');
    assert.ok(!dump.includes(token), 'the token itself is nowhere');
    assert.ok(!dump.includes('#token='), 'no invitation link either');
    const { rows } = await ctx.database.query<{ data: Record<string, unknown> }>("select data from pgboss.job where name = 'mail.send' order by created_on desc limit 1");
    assert.deepEqual(Object.keys(rows[0]!.data).sort(), ['purpose', 'sealed']);
    assert.equal(rows[0]!.data.purpose, 'invitation');
    assert.ok(!JSON.stringify(rows[0]!.data).includes('sealed@example.test'), 'the recipient is sealed too');
    // Bound to its purpose: the same ciphertext does not open as another kind of mail.
    assert.throws(() => unsealEmail(ctx, { purpose: 'notification', sealed: rows[0]!.data.sealed as string }), /failed authentication/);
  });
});
