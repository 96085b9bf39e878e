import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { markNeedsReconnect } from '../lifecycle/markNeedsReconnect.ts';
import { unsealEmail, type SealedEmail } from '../mail/sendEmailJob.ts';
import { launchBrowser } from '../testing/browser.ts';
import { createWorkspace, signUpAndSignIn, type TestAuth } from '../testing/testUsers.ts';
import { apiFromPage, connectX, openSignedInPage, openWebTestApp, type WebTestApp } from './webTestApp.ts';

/**
 * An agency's administration in the browser (product points 1, 12, 13): several workspaces,
 * who connected what with which scopes, workspace settings, members, roles and invitations, the
 * viewer role (no write buttons, and the API refuses anyway), the access register export,
 * webhooks, personal API tokens, the instance settings, archiving.
 */
describe('web app: workspaces, members, roles and settings', () => {
  let w: WebTestApp;
  let browser: Browser;
  let page: Page;
  let owner: TestAuth;
  let viewer: TestAuth;
  let clientA: string;
  let clientB: string;
  let xId: string;
  const errors: string[][] = [];
  const query = async <T>(text: string, params: unknown[] = []) => (await w.ctx.database.query<T>(text, params)).rows;
  /** The invitation tokens exist only in the queued mails; the usable one (revoked ones answer 4xx). */
  const tokenOfMailTo = async (email: string) => {
    const tokens = (await tokensOfMailTo(email)).filter((t): t is string => !!t);
    for (const token of tokens) {
      if ((await w.app.inject({ method: 'POST', url: '/api/invitations/lookup', payload: { token } })).statusCode === 200) return token;
    }
    return assert.fail(`no usable invitation mail to ${email}`);
  };
  /** Every invitation token mailed to `email`. */
  const tokensOfMailTo = async (email: string) =>
    (await query<{ data: SealedEmail }>("select data from pgboss.job where name = 'mail.send'"))
      .map((r) => unsealEmail(w.ctx, r.data))
      .filter((m) => m.to === email)
      .map((m) => /#token=([A-Za-z0-9_-]+)/.exec(m.text)?.[1]);
  const join = async (email: string, name: string) => {
    const auth = await signUpAndSignIn(w.app, { email, name });
    const res = await w.app.inject({ method: 'POST', url: '/api/invitations/accept', headers: auth.headers, payload: { token: await tokenOfMailTo(email) } });
    assert.equal(res.statusCode, 200, res.body);
    return auth;
  };
  const switchTo = async (name: string) => {
    await page.locator('#workspace-switcher').selectOption({ label: name });
    await page.locator('#workspace-switcher option:checked', { hasText: name }).waitFor({ state: 'attached' });
  };

  before(async () => {
    w = await openWebTestApp({ startMs: Date.now() });
    browser = await launchBrowser();
    owner = await signUpAndSignIn(w.app, { email: 'olivia@agency.test', name: 'Olivia' });
    clientA = await createWorkspace(w.app, owner, 'Client A', 'UTC');
    clientB = await createWorkspace(w.app, owner, 'Client B', 'Europe/Berlin');
    xId = await connectX(w, owner, clientA);
    await w.app.inject({ method: 'POST', url: `/api/workspaces/${clientA}/posts`, headers: owner.headers, payload: { content: { text: 'A post of client A' }, connectionIds: [xId], draft: true } });
    let pageErrors: string[];
    ({ page, pageErrors } = await openSignedInPage(browser, w, owner));
    errors.push(pageErrors);
    await page.goto(`${w.base}/connections`);
    await switchTo('Client A');
  });
  after(async () => {
    await browser?.close();
    await w?.close();
  });

  it('shows who connected each account, when, and with which scopes', async () => {
    const row = page.locator(`table.connections tr[data-connection-id="${xId}"]`);
    const cell = row.locator('td.connected');
    assert.match(await cell.innerText(), /by Olivia/);
    const [stored] = await query<{ scopes: string[] }>('select scopes from connections where id = $1', [xId]);
    assert.ok(stored!.scopes.length > 0);
    await cell.getByText(`${stored!.scopes.length} scope(s)`).click();
    assert.deepEqual(await cell.locator('details.scopes li').allInnerTexts(), stored!.scopes);
  });

  it('switches between workspaces; each shows only its own accounts and posts', async () => {
    await switchTo('Client B');
    await page.getByText('No account is connected yet.').waitFor();
    await page.getByRole('link', { name: 'Planner', exact: true }).click();
    await page.getByText('No posts here yet.').waitFor();
    await switchTo('Client A');
    await page.locator('li.post', { hasText: 'A post of client A' }).waitFor();
  });

  it('renames a workspace and changes its time zone', async () => {
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await page.getByRole('heading', { name: 'Workspace settings' }).waitFor();
    await page.getByLabel('Workspace name').fill('Client A Ltd');
    await page.getByLabel('Time zone', { exact: true }).selectOption('America/New_York');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Client A Ltd saved; times are entered in America/New_York.').waitFor();
    assert.equal(await page.locator('#workspace-switcher option:checked').innerText(), 'Client A Ltd');
    await page.getByRole('link', { name: 'Compose' }).click();
    await page.getByLabel('When (America/New_York)').waitFor();
    const [ws] = await query<{ name: string; time_zone: string }>('select name, time_zone from workspaces where id = $1', [clientA]);
    assert.deepEqual(ws, { name: 'Client A Ltd', time_zone: 'America/New_York' });
  });

  it('invites, revokes an invitation, changes a role and removes a member', async () => {
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await page.locator('nav.tabs').getByRole('link', { name: 'Members' }).click();
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    const invite = page.locator('form[aria-labelledby="invite-title"]');
    await invite.getByLabel('Email').fill('vic@client.test');
    await invite.getByLabel('Role').selectOption('viewer');
    await invite.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByText('Invitation sent to vic@client.test.').waitFor();
    const pending = page.locator('.invitation-list li', { hasText: 'vic@client.test' });
    assert.match(await pending.innerText(), /as viewer/);
    await page.getByRole('button', { name: 'Revoke the invitation of vic@client.test' }).click();
    await page.getByText('The invitation of vic@client.test is revoked.').waitFor();
    await pending.waitFor({ state: 'detached' });
    const [revokedToken] = await tokensOfMailTo('vic@client.test');
    const revoked = await w.app.inject({ method: 'POST', url: '/api/invitations/lookup', payload: { token: revokedToken } });
    assert.notEqual(revoked.statusCode, 200, 'a revoked invitation no longer works');

    for (const [email, role] of [['vic@client.test', 'viewer'], ['eve@client.test', 'editor']] as const) {
      await invite.getByLabel('Email').fill(email);
      await invite.getByLabel('Role').selectOption(role);
      await invite.getByRole('button', { name: 'Send invitation' }).click();
      await page.locator('.invitation-list li', { hasText: email }).waitFor();
    }
    viewer = await join('vic@client.test', 'Vic');
    await join('eve@client.test', 'Eve');
    await page.reload();
    const rows = page.locator('table.members tbody tr');
    await rows.nth(2).waitFor();
    assert.equal(await rows.count(), 3);
    assert.equal(await page.locator('.invitation-list li').count(), 0);
    await page.screenshot({ path: '/tmp/perennial-web-members.png', fullPage: true });

    await page.getByLabel('Role of Eve').selectOption('admin');
    await page.getByText('Eve is now admin.').waitFor();
    const [eve] = await query<{ role: string }>("select m.role from workspace_members m join users u on u.id = m.user_id where u.email = 'eve@client.test' and m.workspace_id = $1", [clientA]);
    assert.equal(eve!.role, 'admin');
    // An owner is not removable by the table (no buttons on your own row but Leave).
    assert.equal(await page.locator('tr', { hasText: 'olivia@agency.test' }).getByRole('button', { name: /^Remove/ }).count(), 0);
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Remove Eve' }).click();
    await page.getByText('Eve was removed.').waitFor();
    assert.equal(await rows.count(), 2);
  });

  it('shows a viewer no write buttons, and the API refuses their writes', async () => {
    const { page: vp, pageErrors } = await openSignedInPage(browser, w, viewer);
    errors.push(pageErrors);
    await vp.goto(`${w.base}/connections`);
    await vp.getByText('You are a viewer in this workspace').waitFor();
    assert.equal(await vp.getByRole('heading', { name: 'Connect an account' }).count(), 0);
    assert.equal(await vp.locator('table.connections').getByRole('button').count(), 0, 'no Reconnect, no Disconnect');
    assert.equal(await vp.getByRole('link', { name: 'Access register' }).count(), 0);

    await vp.getByRole('link', { name: 'Planner', exact: true }).click();
    await vp.locator('li.post', { hasText: 'A post of client A' }).waitFor();
    for (const name of ['New post', 'Import CSV', 'Edit']) assert.equal(await vp.getByRole('link', { name }).count(), 0, name);
    assert.equal(await vp.getByRole('button', { name: 'Cancel post' }).count(), 0);
    await vp.getByRole('link', { name: 'Compose' }).click();
    await vp.getByText('You are a viewer in this workspace: composing needs the editor role.').waitFor();
    await vp.getByRole('link', { name: 'Campaigns' }).click();
    await vp.getByText('No campaign yet.').waitFor();
    assert.equal(await vp.getByRole('link', { name: 'New campaign' }).count(), 0);
    await vp.getByRole('link', { name: 'Settings', exact: true }).click();
    await vp.getByText('Only admins and owners change these.').waitFor();
    assert.deepEqual(await vp.locator('nav.tabs a').allInnerTexts(), ['General', 'Members']);
    await vp.locator('nav.tabs').getByRole('link', { name: 'Members' }).click();
    await vp.locator('table.members tbody tr').nth(1).waitFor();
    assert.equal(await vp.locator('table.members select').count(), 0);
    assert.equal(await vp.getByRole('button', { name: /^Remove/ }).count(), 0);
    assert.equal(await vp.getByRole('button', { name: 'Leave this workspace' }).count(), 1);
    assert.equal(await vp.getByRole('heading', { name: 'Invite someone' }).count(), 0);

    const refused = [
      await apiFromPage(vp, 'POST', `/api/workspaces/${clientA}/posts`, { content: { text: 'sneaky' }, connectionIds: [xId], draft: true }),
      await apiFromPage(vp, 'PATCH', `/api/workspaces/${clientA}`, { name: 'Mine now' }),
      await apiFromPage(vp, 'DELETE', `/api/workspaces/${clientA}/connections/${xId}`),
      await apiFromPage(vp, 'POST', `/api/workspaces/${clientA}/invitations`, { email: 'friend@client.test', role: 'owner' }),
      await apiFromPage(vp, 'PATCH', '/api/instance/settings', { openSignUp: false }),
    ];
    assert.deepEqual(refused, Array(5).fill({ status: 403, code: 'forbidden' }));
    const [{ n }] = (await query<{ n: number }>("select count(*)::int as n from posts where content->>'text' = 'sneaky'")) as [{ n: number }];
    assert.equal(n, 0);
    await vp.goto(`${w.base}/settings/account`);
    await vp.getByRole('heading', { name: 'API tokens' }).waitFor();
    assert.equal(await vp.getByRole('heading', { name: 'This Perennial instance' }).count(), 0);
    await vp.context().close();
  });

  it('exports the access register as CSV and JSON', async () => {
    await page.goto(`${w.base}/settings/access-register`);
    const row = page.locator(`table.access-register tr[data-connection-id="${xId}"]`);
    assert.match(await row.innerText(), /Alice \(sandbox\) \(sandbox_alice\)/);
    assert.match(await row.innerText(), /olivia@agency\.test/);
    assert.match(await page.locator('ol.event-list').innerText(), /Access granted · X · by olivia@agency\.test/);
    await page.screenshot({ path: '/tmp/perennial-web-access-register.png', fullPage: true });
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    assert.match(csv.suggestedFilename(), /^access-register-\d{4}-\d{2}-\d{2}\.csv$/);
    const csvText = await fs.readFile((await csv.path())!, 'utf8');
    assert.match(csvText, /^account,platform,app,scopes,grantedBy,grantedAt/);
    assert.match(csvText, /Alice \(sandbox\) \(sandbox_alice\),x,/);
    const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download JSON' }).click()]);
    const register = JSON.parse(await fs.readFile((await json.path())!, 'utf8'));
    assert.equal(register.workspaceId, clientA);
    assert.deepEqual(register.entries.map((e: { connectionId: string }) => e.connectionId), [xId]);
  });

  it('adds a webhook, shows its secret once and its delivery log, pauses and deletes it', async () => {
    await page.locator('nav.tabs').getByRole('link', { name: 'Webhooks' }).click();
    await page.getByText('No endpoint yet.').waitFor();
    const form = page.locator('form[aria-labelledby="new-webhook-title"]');
    await form.getByLabel('URL').fill('https://10.0.0.5/hook');
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    await form.getByText(/unsafe_url/).waitFor();
    await form.getByLabel('URL').fill('https://93.184.216.34/hook');
    await form.getByLabel('Description (optional)').fill('CRM sync');
    await form.getByLabel(/^post\.failed/).uncheck();
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = page.getByLabel('Signing secret');
    await secret.waitFor();
    assert.match(await secret.inputValue(), /^whsec_/);
    await page.screenshot({ path: '/tmp/perennial-web-webhooks.png', fullPage: true });
    const item = page.locator('ul.webhook-list li');
    assert.match(await item.innerText(), /Events: connection\.expiring, connection\.needs_reconnect, connection\.reconnected/);
    await page.reload();
    await item.waitFor();
    assert.equal(await page.getByLabel('Signing secret').count(), 0, 'shown once');

    const [endpoint] = await query<{ id: string }>('select id from webhook_endpoints');
    await query(
      `insert into webhook_deliveries (endpoint_id, workspace_id, event_id, event_type, payload, status, attempts, last_status_code, last_error, created_at, last_attempt_at)
       values ($1, $2, gen_random_uuid(), 'connection.reconnected', '{}'::jsonb, 'failed', 3, 500, 'the receiver answered 500', $3, $3)`,
      [endpoint!.id, clientA, new Date()],
    );
    await item.getByText('Delivery log').click();
    const delivery = item.locator('table.deliveries tbody tr');
    await delivery.waitFor();
    assert.match(await delivery.innerText(), /connection\.reconnected\s+failed\s+3\s+HTTP 500/);
    await item.getByRole('button', { name: 'Pause' }).click();
    await page.getByText('Endpoint paused.').waitFor();
    await item.getByText('Paused', { exact: true }).waitFor();
    page.once('dialog', (d) => void d.accept());
    await item.getByRole('button', { name: /^Delete the endpoint/ }).click();
    await page.getByText('No endpoint yet.').waitFor();
  });

  it('creates a personal API token shown once, and revokes it', async () => {
    await page.locator('a.who').click();
    await page.getByRole('heading', { name: 'Your settings' }).waitFor();
    await page.getByLabel('Token name').fill('Sandbox CLI');
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByLabel('New API token');
    await shown.waitFor();
    const token = await shown.inputValue();
    assert.match(token, /^prn_/);
    const use = () => w.app.inject({ method: 'GET', url: '/api/tokens', headers: { authorization: `Bearer ${token}` } });
    assert.equal((await use()).statusCode, 200);
    await page.reload();
    await page.locator('li[data-token-id]', { hasText: 'Sandbox CLI' }).waitFor();
    assert.ok(!(await page.content()).includes(token), 'the token is not shown again');
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Revoke the token Sandbox CLI' }).click();
    await page.getByText('Sandbox CLI is revoked.').waitFor();
    assert.equal(await page.locator('li[data-token-id]').count(), 0);
    assert.equal((await use()).statusCode, 401);
  });

  it('lets the instance owner close and open sign-up', async () => {
    const open = page.getByLabel(/^Open sign-up/);
    assert.equal(await open.isChecked(), true);
    await open.uncheck();
    await page.getByRole('button', { name: 'Save instance settings' }).click();
    await page.getByText('Sign-up is by invitation only.').waitFor();
    assert.equal((await w.app.inject({ method: 'GET', url: '/api/instance/settings', headers: owner.headers })).json().openSignUp, false);
    const refused = await w.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email: 'stranger@else.test', password: 'Correct horse battery 42' } });
    assert.equal(refused.json().error.code, 'signup_closed');
    await page.getByLabel(/^Open sign-up/).check();
    await page.getByRole('button', { name: 'Save instance settings' }).click();
    await page.getByText('Anyone can now create an account.').waitFor();
  });

  it('archives a workspace and brings it back', async () => {
    await page.goto(`${w.base}/connections`);
    await switchTo('Client B');
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Archive this workspace' }).click();
    await page.getByText('Client B is archived.').waitFor();
    await page.getByRole('heading', { name: 'Archived' }).waitFor();
    assert.deepEqual(await page.locator('#workspace-switcher option').allInnerTexts(), ['Client A Ltd']);
    const refused = await w.app.inject({ method: 'POST', url: `/api/workspaces/${clientB}/posts`, headers: owner.headers, payload: { content: { text: 'x' }, connectionIds: [xId], draft: true } });
    assert.equal(refused.json().error.code, 'workspace_archived');
    await page.getByRole('button', { name: 'Unarchive Client B' }).click();
    await page.getByText('Client B is back.').waitFor();
    await page.locator('#workspace-switcher option', { hasText: 'Client B' }).waitFor({ state: 'attached' });
    assert.equal(await page.getByRole('heading', { name: 'Archived' }).count(), 0);
  });

  it('shows a member made viewer after an alert the pop-up without a Reconnect button', async () => {
    // Alerts go to editors and above: Vic is alerted as an editor, then made a viewer.
    const setRole = (role: string) => query("update workspace_members set role = $1 where user_id = (select id from users where email = 'vic@client.test')", [role]);
    await setRole('editor');
    await w.ctx.db.transaction((tx) => markNeedsReconnect(w.ctx, tx, { connectionId: xId, reason: 'token_revoked', now: w.ctx.clock.now(), accessAction: 'revoked' }));
    await setRole('viewer');
    const { page: vp, pageErrors } = await openSignedInPage(browser, w, viewer);
    errors.push(pageErrors);
    await vp.goto(`${w.base}/planner`);
    const popup = vp.locator('#reconnect-popup');
    await popup.getByRole('heading', { name: 'A connection needs you' }).waitFor();
    assert.equal(await popup.getByRole('button', { name: 'Reconnect' }).count(), 0);
    await popup.getByText('Ask an editor of this workspace to reconnect it.').waitFor();
    await popup.getByRole('button', { name: 'Later' }).click();
    await vp.getByRole('link', { name: /^Notifications/ }).click();
    await vp.locator('ol.notifications li').first().waitFor();
    assert.equal(await vp.locator('ol.notifications').getByRole('link', { name: 'Reconnect' }).count(), 0);
    await vp.context().close();
    assert.deepEqual(errors.flat(), []);
  });
});
