import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { connections } from '../connections/schema.ts';
import { markNeedsReconnect } from '../lifecycle/markNeedsReconnect.ts';
import { BROWSER_STEP_TIMEOUT_MS, launchBrowser } from '../testing/browser.ts';
import { openWebTestApp, type WebTestApp } from './webTestApp.ts';

const SHOTS = '/tmp/perennial-web';
const PASSWORD = 'Correct horse battery 42';
/** A 1×1 transparent PNG. */
const PNG_1x1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

/**
 * A newcomer's first minutes, in a real browser against the full app with the emulator
 * in-process: sign up, create a workspace, connect a sandbox X account through the emulator's
 * consent page, see it healthy, schedule a post; then the reconnect pop-up for a revoked
 * connection and its one-click reconnect.
 */
describe('web app: a newcomer right after npm start', () => {
  let w: WebTestApp;
  let browser: Browser;
  let page: Page;
  before(async () => {
    w = await openWebTestApp({ startMs: Date.now() });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.setDefaultTimeout(BROWSER_STEP_TIMEOUT_MS);
  });
  after(async () => {
    await browser?.close();
    await w?.close();
  });

  it('signs up and creates a workspace in a time zone', async () => {
    await page.goto(`${w.base}/`);
    await page.getByRole('heading', { name: 'Sign in to Perennial' }).waitFor();
    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.getByLabel('Your name').fill('Ada');
    await page.getByLabel('Email').fill('ada@example.test');
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    // The browser refuses a password under 10 characters before the API sees it.
    assert.equal(await page.getByLabel('Password').evaluate((el) => (el as unknown as { validity: { valid: boolean } }).validity.valid), false);
    await page.getByLabel('Password').fill('alllowercaseletters');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText(/weak_password/).waitFor();
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();

    await page.getByRole('heading', { name: 'Create your first workspace' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/workspaces');
    await page.getByLabel('Name').fill('Acme Bakery');
    await page.getByLabel('Time zone').selectOption('Europe/Paris');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.getByRole('heading', { name: 'Connections' }).waitFor();
    assert.equal(await page.locator('#workspace-switcher option:checked').innerText(), 'Acme Bakery');
    // The sandbox banner: every platform runs against the emulator here.
    assert.match(await page.locator('#sandbox-banner').innerText(), /Sandbox.*emulator/);
  });

  it('connects a sandbox X account through the consent page and shows it healthy', async () => {
    await page.getByRole('button', { name: /^Connect X/ }).click();
    await page.waitForURL(/\/_emulator\//);
    await page.getByRole('heading', { name: /Authorize/ }).waitFor();
    await page.locator('#allow').click();
    await page.waitForURL(/\/connections/);
    await page.getByText(/is connected\./).waitFor();
    const row = page.locator('table.connections tbody tr');
    assert.equal(await row.count(), 1);
    assert.equal(await row.getAttribute('data-status'), 'healthy');
    assert.match(await row.innerText(), /X\s*sandbox/);
    assert.match(await row.innerText(), /Healthy/);
    // The callback's outcome is shown once; the address bar is clean again.
    assert.equal(new URL(page.url()).search, '');
    await page.screenshot({ path: `${SHOTS}-connections.png`, fullPage: true });
  });

  it('schedules a post at a local time and finds it in the planner', async () => {
    await page.getByRole('link', { name: 'Compose' }).click();
    await page.getByRole('heading', { name: 'Compose' }).waitFor();
    await page.getByLabel('Text').fill('Fresh croissants every morning 🥐');
    assert.match(await page.locator('.composer small.hint').first().innerText(), /\/ 280 characters \(X\)/);
    await page.getByLabel('Images or a video (optional)').setInputFiles({ name: 'croissant.png', mimeType: 'image/png', buffer: Buffer.from(PNG_1x1, 'base64') });
    const local = await page.getByLabel(/^When/).inputValue();
    assert.match(local, /^\d{4}-\d{2}-\d{2}T\d{2}:00$/);
    await page.getByRole('button', { name: 'Schedule' }).click();
    await page.getByRole('heading', { name: 'Planner' }).waitFor();
    const post = page.locator('li.post');
    await post.first().waitFor();
    assert.equal(await post.count(), 1);
    assert.equal(await post.getAttribute('data-status'), 'scheduled');
    assert.match(await post.innerText(), new RegExp(local.replace('T', ' ')));
    assert.match(await post.innerText(), /Fresh croissants/);
    assert.match(await post.innerText(), /1 media file\(s\)/);

    // Filters: nothing failed; the calendar shows the post on its day.
    await page.locator('.segmented a[data-status="failed"]').click();
    await page.getByText('No posts here yet.').waitFor();
    await page.getByRole('link', { name: 'Calendar' }).click();
    await page.locator('.calendar').waitFor();
    await page.getByRole('link', { name: 'All', exact: true }).click();
    await page.locator('.calendar .chip').first().waitFor();
    await page.screenshot({ path: `${SHOTS}-planner.png`, fullPage: true });
  });

  it('connects Bluesky with an app password and Mastodon by its server address', async () => {
    await page.getByRole('link', { name: 'Connections' }).click();
    const bluesky = page.locator('form[data-password-form="bluesky"]');
    await bluesky.getByLabel('Handle or email').fill('alice.sandbox.bsky.social');
    await bluesky.getByLabel('App password').fill('wrong-pass-word-xxxx');
    await bluesky.getByRole('button', { name: 'Connect Bluesky' }).click();
    await bluesky.locator('.form-error').filter({ hasText: /\(\w+\)/ }).waitFor();
    await bluesky.getByLabel('App password').fill('abcd-efgh-ijkl-mnop');
    await bluesky.getByRole('button', { name: 'Connect Bluesky' }).click();
    await page.getByText(/on Bluesky is connected/).waitFor();

    const mastodon = page.locator('form[data-instance-form="mastodon"]');
    await mastodon.getByLabel('Your server').fill('https://mastodon.example/some/path');
    await mastodon.getByRole('button', { name: 'Connect Mastodon' }).click();
    await page.getByText(/invalid_url/).waitFor();
    await mastodon.getByLabel('Your server').fill('https://mastodon.example');
    await mastodon.getByRole('button', { name: 'Connect Mastodon' }).click();
    await page.waitForURL(/\/_emulator\//);
    await page.locator('#allow').click();
    await page.getByText(/on Mastodon is connected/).waitFor();
    assert.equal(await page.locator('table.connections tbody tr').count(), 3);
    assert.equal(await page.locator('table.connections tbody tr[data-status="healthy"]').count(), 3);
  });

  it('shows a failed target with its reason and retries it', async () => {
    await w.ctx.database.query("update post_targets set status = 'failed', due_at = null, failure_code = 'media_rejected', failure_message = 'The platform refused the image'");
    await page.getByRole('link', { name: 'Planner' }).click();
    await page.getByRole('link', { name: 'List' }).click();
    const target = page.locator('li.target[data-status="failed"]');
    await target.waitFor();
    assert.match(await target.innerText(), /The platform refused the image \(media_rejected\)/);
    await page.screenshot({ path: `${SHOTS}-failed.png`, fullPage: true });
    await target.getByRole('button', { name: 'Retry now' }).click();
    await page.getByText('Retrying now.').waitFor();
    await page.locator('li.target[data-status="scheduled"]').waitFor();
  });

  it('pops up a revoked connection and reconnects it in one click', async () => {
    const [connection] = await w.ctx.db.select().from(connections).where(eq(connections.platform, 'x'));
    assert.ok(connection);
    await w.ctx.db.transaction((tx) => markNeedsReconnect(w.ctx, tx, { connectionId: connection.id, reason: 'token_revoked', now: w.ctx.clock.now(), accessAction: 'revoked' }));

    await page.goto(`${w.base}/planner`);
    const popup = page.locator('#reconnect-popup');
    await popup.getByRole('heading', { name: 'A connection needs you' }).waitFor();
    assert.match(await popup.innerText(), /Reconnect .* on X/);
    // The paused post says why.
    assert.match(await page.locator('li.target').innerText(), /Paused/);
    assert.equal(await page.locator('#unread-count').innerText(), '1');
    await page.screenshot({ path: `${SHOTS}-popup.png` });

    // "Later" puts it off while the page is open; a new visit shows it again.
    await popup.getByRole('button', { name: 'Later' }).click();
    await page.getByRole('link', { name: 'Compose' }).click();
    await page.getByRole('heading', { name: 'Compose' }).waitFor();
    await page.getByRole('link', { name: 'Planner' }).click();
    await page.getByRole('heading', { name: 'Planner' }).waitFor();
    assert.equal(await popup.evaluate((d) => (d as unknown as { open: boolean }).open), false);
    await page.reload();
    await popup.getByRole('heading', { name: 'A connection needs you' }).waitFor();

    await popup.getByRole('button', { name: 'Reconnect' }).click();
    await page.waitForURL(/\/_emulator\//);
    await page.locator('#allow').click();
    await page.waitForURL(/\/connections/);
    await page.getByText(/is reconnected/).waitFor();
    assert.equal(await page.locator(`table.connections tbody tr[data-connection-id="${connection.id}"]`).getAttribute('data-status'), 'healthy');
    assert.equal(await popup.evaluate((d) => (d as unknown as { open: boolean }).open), false);
  });

  it('shows the agency overview and the notifications', async () => {
    await page.getByRole('link', { name: 'All workspaces' }).click();
    await page.getByRole('heading', { name: 'All workspaces' }).waitFor();
    assert.match(await page.locator('tbody tr').first().innerText(), /Acme Bakery/);
    await page.screenshot({ path: `${SHOTS}-overview.png`, fullPage: true });
    await page.getByRole('link', { name: /Notifications/ }).click();
    await page.getByRole('heading', { name: 'Notifications', exact: true }).waitFor();
    assert.ok((await page.locator('ol.notifications li').count()) >= 1);
    await page.getByRole('button', { name: 'Mark all read' }).click();
    await page.getByText('Nothing unread.').waitFor();
    assert.equal(await page.locator('#unread-count').isHidden(), true);
  });

  it('returns to sign-in when the session has ended, then to the same screen', async () => {
    await w.ctx.database.query('delete from sessions');
    await page.getByRole('link', { name: 'Planner' }).click();
    await page.getByRole('heading', { name: 'Sign in to Perennial' }).waitFor();
    await page.getByLabel('Email').fill('ada@example.test');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Planner' }).waitFor();
  });

  it('signs out and back in', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Perennial' }).waitFor();
    await page.getByLabel('Email').fill('ada@example.test');
    await page.getByLabel('Password').fill('wrong password 1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(/invalid_credentials/).waitFor();
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Connections' }).waitFor();
  });
});
