import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { markNeedsReconnect } from '../lifecycle/markNeedsReconnect.ts';
import { launchBrowser } from '../testing/browser.ts';
import { createWorkspace, signUpAndSignIn, type TestAuth } from '../testing/testUsers.ts';
import { connectBluesky, connectOAuth, connectX, openSignedInPage, openWebTestApp, settled, type WebTestApp } from './webTestApp.ts';

/**
 * A post's life in the browser, on a time-travel instance (the page follows the server's clock,
 * so the test can let a post's time pass): a draft, editing it into a scheduled post with X's own
 * text, planner filters, rescheduling a failed target, marking an unknown one published,
 * cancelling, posts at risk, the missed posts offered after a reconnect, disconnecting, and the
 * alert email preferences.
 */
describe('web app: posts from draft to published, at risk and after a reconnect', () => {
  let w: WebTestApp;
  let browser: Browser;
  let page: Page;
  let owner: TestAuth;
  let workspaceId: string;
  let xId: string;
  let blueskyId: string;
  let pageErrors: string[];
  const start = Date.UTC(2026, 2, 2, 8, 0, 0); // Monday 2 March 2026, 08:00 UTC
  const query = async <T>(text: string, params: unknown[] = []) => (await w.ctx.database.query<T>(text, params)).rows;
  const createPost = async (payload: Record<string, unknown>) => {
    const res = await w.app.inject({ method: 'POST', url: `/api/workspaces/${workspaceId}/posts`, headers: owner.headers, payload });
    assert.equal(res.statusCode, 201, res.body);
    return res.json() as { id: string; targets: { id: string; connectionId: string }[] };
  };

  before(async () => {
    w = await openWebTestApp({ startMs: start, timeTravel: true });
    browser = await launchBrowser();
    owner = await signUpAndSignIn(w.app, { name: 'Olga' });
    workspaceId = await createWorkspace(w.app, owner, 'Studio', 'UTC');
    xId = await connectX(w, owner, workspaceId);
    blueskyId = await connectBluesky(w, owner, workspaceId);
    ({ page, pageErrors } = await openSignedInPage(browser, w, owner));
  });
  after(async () => {
    await browser?.close();
    await w?.close();
  });

  it('saves a draft, then edits it into a scheduled post with its own X text', async () => {
    await page.goto(`${w.base}/compose`);
    await page.getByLabel('Text', { exact: true }).fill('New pottery class on Tuesday evenings');
    await page.getByLabel(/^X · /).check();
    await page.getByLabel(/^Bluesky · /).check();
    await page.getByRole('button', { name: 'Save as draft' }).click();
    await page.getByRole('heading', { name: 'Planner' }).waitFor();
    const draft = page.locator('li.post[data-status="draft"]');
    await draft.waitFor();
    assert.match(await draft.innerText(), /Draft \(no time\)/);
    assert.equal(await page.locator('.segmented a[data-status="draft"] .count').innerText(), '2');

    await draft.getByRole('link', { name: /^Edit/ }).click();
    await page.getByRole('heading', { name: 'Edit post' }).waitFor();
    assert.equal(await page.getByLabel('Text', { exact: true }).inputValue(), 'New pottery class on Tuesday evenings');
    assert.equal(await page.getByLabel(/^Bluesky · /).isChecked(), true);
    await page.getByText('Per platform: a different text or options').click();
    await page.getByLabel('Version for X').fill('Pottery class, Tuesdays');
    await page.getByLabel(/^When/).fill('2026-03-03T10:00');
    await page.getByRole('button', { name: 'Save and schedule' }).click();
    await page.getByText('Scheduled for 2026-03-03 10:00 UTC.').waitFor();
    const post = page.locator('li.post[data-status="scheduled"]');
    await post.waitFor();
    assert.match(await post.innerText(), /2026-03-03 10:00/);
    assert.match(await post.innerText(), /Own version for X/);
    const postId = await post.getAttribute('data-post-id');
    const stored = (await w.app.inject({ method: 'GET', url: `/api/workspaces/${workspaceId}/posts/${postId}`, headers: owner.headers })).json();
    assert.deepEqual(stored.content.overrides, { x: { text: 'Pottery class, Tuesdays' } });
    assert.equal(stored.targets.length, 2);
  });

  it('filters the planner by account, platform and status', async () => {
    await createPost({ content: { text: 'Only on Bluesky' }, connectionIds: [blueskyId], scheduledAt: '2026-03-04T09:00' });
    await page.reload();
    await page.locator('li.post').nth(1).waitFor();
    assert.equal(await page.locator('li.post').count(), 2);
    await page.getByLabel('Account').selectOption({ label: 'X · Alice (sandbox)' });
    await page.waitForURL(/connection=/);
    await settled(page);
    await page.locator('li.post').first().waitFor();
    assert.equal(await page.locator('li.post').count(), 1);
    assert.match(await page.locator('li.post').innerText(), /pottery/i);

    await page.getByLabel('Account').selectOption({ label: 'All' });
    await page.waitForURL((u) => !u.search.includes('connection='));
    await settled(page);
    await page.getByLabel('Platform').selectOption({ label: 'Bluesky' });
    await page.waitForURL(/platform=bluesky/);
    await settled(page);
    await page.locator('.segmented a[data-status="scheduled"]').click();
    await page.waitForURL(/status=scheduled/);
    await settled(page);
    assert.equal(await page.locator('li.post').count(), 2, 'both posts have a scheduled Bluesky target');
    await page.locator('.segmented a[data-status="failed"]').click();
    await page.getByText('No posts here yet.').waitFor();
    assert.equal(new URL(page.url()).searchParams.get('platform'), 'bluesky', 'the other filters stay');
  });

  it('reschedules a failed target, marks an unknown one published, cancels a post', async () => {
    const [only] = await query<{ id: string }>("select t.id from post_targets t join posts p on p.id = t.post_id where p.content->>'text' = 'Only on Bluesky'");
    await query("update post_targets set status = 'failed', due_at = null, failure_code = 'media_rejected', failure_message = 'Refused by the platform' where id = $1", [only!.id]);
    await page.goto(`${w.base}/planner`);
    const failed = page.locator(`li.target[data-target-id="${only!.id}"]`);
    assert.match(await failed.innerText(), /Refused by the platform \(media_rejected\)/);
    await failed.getByLabel('New time').fill('2026-03-05T11:00');
    await failed.getByRole('button', { name: 'Reschedule' }).click();
    await page.getByText('Rescheduled.').waitFor();
    await page.locator(`li.target[data-target-id="${only!.id}"][data-status="scheduled"]`).waitFor();
    const [moved] = await query<{ scheduled_at: Date }>('select scheduled_at from post_targets where id = $1', [only!.id]);
    assert.equal(new Date(moved!.scheduled_at).toISOString(), '2026-03-05T11:00:00.000Z');

    const [xTarget] = await query<{ id: string }>('select id from post_targets where connection_id = $1', [xId]);
    await query("update post_targets set status = 'unknown', due_at = null, intent_at = $2 where id = $1", [xTarget!.id, new Date(start)]);
    await page.reload();
    const unknown = page.locator(`li.target[data-target-id="${xTarget!.id}"]`);
    assert.match(await unknown.innerText(), /outcome is uncertain/);
    assert.equal(await unknown.locator('xpath=ancestor::li[contains(@class, "post")]').getByRole('link', { name: /^Edit/ }).count(), 0, 'a post that may have gone out is not editable');
    await unknown.getByLabel('Post URL').fill('https://x.example/sandbox_alice/status/42');
    await unknown.getByRole('button', { name: 'Mark published' }).click();
    await page.getByText('Marked as published.').waitFor();
    const published = page.locator(`li.target[data-target-id="${xTarget!.id}"][data-status="published"]`);
    await published.waitFor();
    assert.equal(await published.getByRole('link', { name: 'View post' }).getAttribute('href'), 'https://x.example/sandbox_alice/status/42');

    const third = await createPost({ content: { text: 'To be cancelled' }, connectionIds: [xId], scheduledAt: '2026-03-06T09:00' });
    await page.reload();
    page.once('dialog', (d) => void d.accept());
    await page.locator(`li.post[data-post-id="${third.id}"]`).getByRole('button', { name: 'Cancel post' }).click();
    await page.getByText('Post cancelled.').waitFor();
    const cancelled = page.locator(`li.post[data-post-id="${third.id}"][data-status="cancelled"]`);
    await cancelled.waitFor();
    assert.equal(await cancelled.getByRole('link', { name: /^Edit/ }).count(), 0);
    assert.equal(await cancelled.getByRole('button', { name: 'Cancel post' }).count(), 0);
  });

  it('flags a post at risk in the planner, the header and the at-risk screen', async () => {
    await query("update connections set hard_end_at = '2026-03-04T00:00:00Z' where id = $1", [blueskyId]);
    await page.goto(`${w.base}/planner`);
    await page.getByText('1 scheduled post(s) will not go out unless an account is reconnected first.').waitFor();
    const risky = page.locator('li.target[data-risk="hard_end_before_post"]');
    assert.equal(await risky.count(), 1);
    assert.match(await risky.innerText(), /At risk: The platform ends this account’s access on .*before this post/);
    assert.equal(await page.locator('#risk-count').innerText(), '1');
    await page.screenshot({ path: '/tmp/perennial-web-at-risk-planner.png', fullPage: true });

    await page.getByRole('link', { name: 'See the posts at risk' }).click();
    await page.getByRole('heading', { name: 'Posts at risk' }).waitFor();
    const group = page.locator(`li.risk-group[data-connection-id="${blueskyId}"]`);
    assert.equal(await group.getAttribute('data-reason'), 'hard_end_before_post');
    assert.match(await group.innerText(), /Only on Bluesky/);
    assert.match(await group.innerText(), /Reconnect the account before the post’s time/);
    assert.equal(await group.getByRole('link', { name: /^Reconnect/ }).getAttribute('href'), `/connections/${blueskyId}/reconnect`);
    await page.screenshot({ path: '/tmp/perennial-web-at-risk.png', fullPage: true });
    await query('update connections set hard_end_at = null where id = $1', [blueskyId]);
    await page.reload();
    await page.getByText('Nothing at risk in your workspaces.').waitFor();
    assert.equal(await page.locator('#risk-count').isHidden(), true);
  });

  it('after a reconnect, offers the posts whose time passed for rescheduling', async () => {
    const missed = await createPost({ content: { text: 'Morning special' }, connectionIds: [xId], scheduledAt: '2026-03-02T09:00' });
    await w.ctx.db.transaction((tx) => markNeedsReconnect(w.ctx, tx, { connectionId: xId, reason: 'token_revoked', now: w.ctx.clock.now(), accessAction: 'revoked' }));
    w.ctx.clock.advance(2 * 3_600_000); // 10:00: the 09:00 post's time passed while paused
    await page.goto(`${w.base}/planner`);
    const popup = page.locator('#reconnect-popup');
    await popup.getByRole('button', { name: 'Reconnect' }).click();
    await page.waitForURL(/\/_emulator\//);
    await page.locator('#allow').click();
    await page.waitForURL(/\/connections/);
    await settled(page);
    await page.getByText(/is reconnected/).waitFor();
    const panel = page.locator('section.missed-posts');
    await panel.getByRole('heading', { name: '1 post(s) of Alice (sandbox) on X did not go out' }).waitFor();
    assert.match(await panel.innerText(), /Morning special/);
    assert.equal(new URL(page.url()).search, `?missed=${xId}`);
    await page.screenshot({ path: '/tmp/perennial-web-missed.png', fullPage: true });

    // The "reconnected" notification leads back to the same offer.
    await page.getByRole('link', { name: /^Notifications/ }).click();
    await page.getByRole('button', { name: 'Retry or reschedule 1 post(s)' }).click();
    await panel.waitFor();
    await panel.getByLabel('Time for all of them').fill('2026-03-02T15:00');
    await panel.getByRole('button', { name: 'Reschedule all' }).click();
    await page.getByText('1 post(s) rescheduled.').waitFor();
    await page.locator('table.connections').waitFor();
    assert.equal(await panel.count(), 0);
    const [target] = await query<{ status: string; scheduled_at: Date }>('select status, scheduled_at from post_targets where post_id = $1', [missed.id]);
    assert.equal(target!.status, 'scheduled');
    assert.equal(new Date(target!.scheduled_at).toISOString(), '2026-03-02T15:00:00.000Z');
  });

  it('disconnects an account; its posts stay in the planner', async () => {
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: /^Disconnect .* on Bluesky/ }).click();
    await page.getByText(/on Bluesky is disconnected/).waitFor();
    await page.locator(`table.connections tr[data-connection-id="${blueskyId}"]`).waitFor({ state: 'detached' });
    const [row] = await query<{ state: string }>('select state from connections where id = $1', [blueskyId]);
    assert.equal(row!.state, 'disconnected');
    await page.getByRole('link', { name: 'Planner', exact: true }).click();
    await page.locator('li.post', { hasText: 'Only on Bluesky' }).waitFor();
  });

  it('lists every problem of a refused post, and keeps a platform option (a YouTube title)', async () => {
    const youtubeId = await connectOAuth(w, owner, workspaceId, 'youtube', '109876543210000000001');
    const before = (await query<{ n: number }>('select count(*)::int as n from posts'))[0]!.n;
    await page.goto(`${w.base}/compose`);
    await page.getByLabel(/^X · /).uncheck();
    await page.getByLabel(/^YouTube · /).check();
    await page.getByLabel('Text', { exact: true }).fill('A tour of the studio');
    await page.getByRole('button', { name: 'Schedule' }).click();
    const issues = page.locator('.composer .issue-list li');
    await issues.first().waitFor();
    const listed = (await issues.allInnerTexts()).join('\n');
    assert.match(listed, /title is required/);
    assert.match(listed, /video/i);
    assert.match(await page.locator('.composer .form-error').innerText(), /post_invalid/);
    assert.equal((await query<{ n: number }>('select count(*)::int as n from posts'))[0]!.n, before, 'nothing stored');

    await page.getByText('Per platform: a different text or options').click();
    await page.getByLabel('YouTube title').fill('Studio tour 2026');
    await page.getByLabel('YouTube visibility').selectOption('unlisted');
    await page.getByLabel('Made for kids').selectOption('no');
    await page.getByRole('button', { name: 'Save as draft' }).click();
    await page.getByText('Draft saved.').waitFor();
    const [stored] = await query<{ content: { overrides?: Record<string, unknown> } }>(
      'select p.content from posts p join post_targets t on t.post_id = p.id where t.connection_id = $1', [youtubeId]);
    assert.deepEqual(stored!.content.overrides, { youtube: { title: 'Studio tour 2026', options: { privacyStatus: 'unlisted', selfDeclaredMadeForKids: false } } });
  });

  it('picks a Pinterest board from the account\'s boards', async () => {
    const pinterestId = await connectOAuth(w, owner, workspaceId, 'pinterest', '1150000000000000001');
    await page.goto(`${w.base}/compose`);
    await page.getByLabel(/^X · /).uncheck();
    await page.getByLabel(/^Pinterest · /).check();
    await page.getByLabel('Text', { exact: true }).fill('Spring planting');
    await page.getByText('Per platform: a different text or options').click();
    const board = page.getByLabel('Pinterest board');
    // The boards the account recorded at connect (the emulator's Alice has two).
    assert.deepEqual(await board.locator('option').allInnerTexts(), ['Default', 'Garden ideas', 'Recipes']);
    await board.selectOption({ label: 'Recipes' });
    await page.getByRole('button', { name: 'Save as draft' }).click();
    await page.getByText('Draft saved.').waitFor();
    const [stored] = await query<{ content: { overrides?: Record<string, unknown> } }>(
      'select p.content from posts p join post_targets t on t.post_id = p.id where t.connection_id = $1', [pinterestId]);
    assert.deepEqual(stored!.content.overrides, { pinterest: { options: { boardId: '1150000000000100002' } } });
  });

  it('saves the alert email preferences', async () => {
    await page.goto(`${w.base}/settings/notifications`);
    await page.getByLabel('Email me').selectOption('daily_digest');
    await page.getByLabel('Digest hour (UTC)').fill('7');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Preferences saved.').waitFor();
    await page.reload();
    assert.equal(await page.getByLabel('Email me').inputValue(), 'daily_digest');
    assert.equal(await page.getByLabel('Digest hour (UTC)').inputValue(), '7');
    const prefs = (await w.app.inject({ method: 'GET', url: '/api/me/notification-preferences', headers: owner.headers })).json();
    assert.deepEqual(prefs, { emailMode: 'daily_digest', digestHourUtc: 7 });
    assert.deepEqual(pageErrors, []);
  });
});
