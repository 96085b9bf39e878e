import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../testing/browser.ts';
import { createWorkspace, signUpAndSignIn, type TestAuth } from '../testing/testUsers.ts';
import { connectX, openSignedInPage, openWebTestApp, settled, type WebTestApp } from './webTestApp.ts';

/** The first Monday at least three days after `ms`, as a local date "YYYY-MM-DD". */
function mondayAfter(ms: number): string {
  const d = new Date(ms + 3 * 86_400_000);
  while (d.getUTCDay() !== 1) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/**
 * Campaigns (product point 8) in the browser: create a recurring series (weekdays, two times,
 * a count), see its occurrences, edit one occurrence (with X's own text) and then the series
 * (content, then the rhythm), end it; and the CSV import: row errors with nothing imported, a
 * dry run, the import.
 */
describe('web app: campaigns and CSV import', () => {
  let w: WebTestApp;
  let browser: Browser;
  let page: Page;
  let owner: TestAuth;
  let workspaceId: string;
  let pageErrors: string[];
  const monday = mondayAfter(Date.now());
  const postCount = async () => Number((await w.ctx.database.query<{ n: number }>('select count(*)::int as n from posts')).rows[0]!.n);

  before(async () => {
    w = await openWebTestApp({ startMs: Date.now() });
    browser = await launchBrowser();
    owner = await signUpAndSignIn(w.app, { name: 'Camille' });
    workspaceId = await createWorkspace(w.app, owner, 'Bakery', 'Europe/Paris');
    await connectX(w, owner, workspaceId);
    ({ page, pageErrors } = await openSignedInPage(browser, w, owner));
  });
  after(async () => {
    await browser?.close();
    await w?.close();
  });

  it('refuses a weekly series without days, then creates a daily one on weekdays at two times', async () => {
    await page.goto(`${w.base}/campaigns`);
    await page.getByText(/No campaign yet/).waitFor();
    await page.getByRole('link', { name: 'New campaign' }).click();
    await page.getByRole('heading', { name: 'New campaign' }).waitFor();
    await page.screenshot({ path: '/tmp/perennial-web-new-campaign.png', fullPage: true });
    const form = page.locator('form.campaign-form');
    await form.getByLabel('Campaign name').fill('Spring launch');
    await form.getByLabel('Repeats').selectOption('weekly');
    await form.getByLabel('First day').fill(monday);
    await form.getByLabel('Text', { exact: true }).fill('Fresh bread, every day');
    await form.getByRole('button', { name: 'Create campaign' }).click();
    await form.locator('.form-error').filter({ hasText: /validation_failed/ }).waitFor();
    assert.equal(await postCount(), 0, 'nothing created');

    await form.getByLabel('Repeats').selectOption('daily');
    for (const day of ['Mon', 'Tue', 'Wed', 'Thu', 'Fri']) await form.getByLabel(day, { exact: true }).check();
    await form.getByRole('button', { name: 'Add a time' }).click();
    await form.getByLabel('Time 2', { exact: true }).fill('17:00');
    await form.getByLabel('After N post times').check();
    await form.getByLabel('Number of post times').fill('6');
    await form.getByRole('button', { name: 'Create campaign' }).click();

    await page.getByRole('heading', { name: 'Spring launch' }).waitFor();
    const rows = page.locator('table.occurrences tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 6);
    assert.match(await rows.nth(0).innerText(), new RegExp(`${monday} 09:00`));
    assert.match(await rows.nth(1).innerText(), new RegExp(`${monday} 17:00`));
    assert.match(await page.locator('section[aria-label="Summary"]').innerText(), /Every day on Mon, Tue, Wed, Thu, Fri at 09:00, 17:00/);
    assert.equal(await page.locator('table.occurrences tbody tr[data-status="scheduled"]').count(), 6);
    assert.equal(await postCount(), 6);
    await page.screenshot({ path: '/tmp/perennial-web-campaign.png', fullPage: true });
  });

  it('edits one occurrence with its own X text; it leaves the series', async () => {
    const second = page.locator('table.occurrences tbody tr').nth(1);
    await second.getByRole('link', { name: /Edit the post of .* only/ }).click();
    await page.getByRole('heading', { name: 'Edit post' }).waitFor();
    await page.getByText(/occurrence of a campaign/).waitFor();
    assert.equal(await page.getByLabel('Text', { exact: true }).inputValue(), 'Fresh bread, every day');
    await page.getByLabel('Text', { exact: true }).fill('Special evening bake');
    await page.getByText('Per platform: a different text or options').click();
    await page.getByLabel('Version for X').fill('Evening bake 🥖');
    await page.screenshot({ path: '/tmp/perennial-web-edit-occurrence.png', fullPage: true });
    await page.getByRole('button', { name: 'Save and schedule' }).click();
    await page.getByRole('heading', { name: 'Spring launch' }).waitFor();
    assert.match(await page.locator('table.occurrences tbody tr').nth(1).innerText(), /Special evening bake/);
    assert.match(await page.locator('table.occurrences tbody tr').nth(1).innerText(), /Edited alone/);
    assert.doesNotMatch(await page.locator('table.occurrences tbody tr').nth(2).innerText(), /Edited alone/);
    const postId = await page.locator('table.occurrences tbody tr').nth(1).getAttribute('data-post-id');
    const stored = await w.app.inject({ method: 'GET', url: `/api/workspaces/${workspaceId}/posts/${postId}`, headers: owner.headers });
    assert.deepEqual(stored.json().content.overrides, { x: { text: 'Evening bake 🥖' } });
  });

  it('edits the series: new content for the others, then a new rhythm', async () => {
    await page.getByText('Edit the series').click();
    const form = page.locator('form.campaign-form');
    assert.equal(await form.getByLabel('Campaign name').inputValue(), 'Spring launch');
    await form.getByLabel('Text', { exact: true }).fill('Series, second version');
    await form.getByRole('button', { name: 'Save the series' }).click();
    await page.getByText(/Series saved/).waitFor();
    const rows = page.locator('table.occurrences tbody tr');
    await rows.first().filter({ hasText: 'Series, second version' }).waitFor();
    const texts = await rows.locator('td.post-text').allInnerTexts();
    assert.deepEqual(texts.map((t) => t.trim()), ['Series, second version', 'Special evening bake', ...Array(4).fill('Series, second version')]);

    await page.getByText('Edit the series').click();
    await form.getByLabel('Number of post times').fill('4');
    await form.getByRole('button', { name: 'Save the series' }).click();
    await page.getByText(/Series saved: 4 upcoming/).waitFor();
    assert.equal(await rows.count(), 4, 'the edited occurrence keeps its slot; the new rhythm fills the others');
    assert.match(await rows.nth(1).innerText(), /Special evening bake/);
    assert.match(await rows.nth(3).innerText(), /Tue|17:00/);
  });

  it('filters the planner by campaign, then ends the series', async () => {
    await w.app.inject({ method: 'POST', url: `/api/workspaces/${workspaceId}/posts`, headers: owner.headers, payload: { content: { text: 'Not in the campaign' }, connectionIds: (await w.app.inject({ method: 'GET', url: `/api/workspaces/${workspaceId}/connections`, headers: owner.headers })).json().connections.map((c: { id: string }) => c.id), draft: true } });
    const campaignUrl = page.url();
    await page.getByRole('link', { name: 'Planner', exact: true }).click();
    await page.getByRole('heading', { name: 'Planner' }).waitFor();
    assert.equal(await page.locator('li.post').count(), 5);
    await page.getByLabel('Campaign').selectOption({ label: 'Spring launch' });
    await page.waitForURL(/campaign=/);
    await settled(page);
    await page.locator('li.post').first().waitFor();
    assert.equal(await page.locator('li.post').count(), 4);
    assert.equal(await page.locator('li.post', { hasText: 'Not in the campaign' }).count(), 0);

    await page.goto(campaignUrl);
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'End the series' }).click();
    await page.getByText('This series has ended').waitFor();
    assert.equal(await page.locator('table.occurrences tbody tr[data-status="cancelled"]').count(), 3);
    assert.equal(await page.getByRole('button', { name: 'Save the series' }).count(), 0);
    await page.getByRole('link', { name: 'Campaigns' }).click();
    await page.locator('li[data-campaign-id]').filter({ hasText: 'Ended' }).waitFor();
  });

  it('imports a CSV: row errors and nothing imported, then a dry run, then the import', async () => {
    const before = await postCount();
    const later = new Date(Date.parse(`${monday}T00:00:00Z`) + 7 * 86_400_000).toISOString().slice(0, 10);
    await page.getByRole('link', { name: 'Planner', exact: true }).click();
    await page.getByRole('link', { name: 'Import CSV' }).click();
    await page.getByRole('heading', { name: 'Import from CSV' }).waitFor();

    const bad = `time,connections,text\n${later} 09:00,x:nobody,Hello\nnot a time,x:sandbox_alice,Hi\n`;
    await page.getByLabel('CSV file').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const problems = page.locator('table.csv-errors tbody tr');
    await problems.first().waitFor();
    assert.match(await page.getByRole('heading', { name: /problem\(s\) in the file/ }).innerText(), /2 problem\(s\).*nothing was imported/);
    assert.match(await problems.nth(0).innerText(), /^2\s+connections\s+.*unknown_connection/);
    assert.match(await problems.nth(1).innerText(), /^3\s+time/);
    assert.equal(await postCount(), before, 'nothing imported');
    await page.screenshot({ path: '/tmp/perennial-web-import-errors.png', fullPage: true });

    const good = `time,connections,text,link\n${later} 09:00,x:sandbox_alice,Imported one,https://bakery.example/a\n${later} 12:30,x:sandbox_alice,Imported two,\n`;
    await page.getByLabel('CSV file').setInputFiles({ name: 'good.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
    await page.getByRole('button', { name: 'Check the file' }).click();
    await page.getByText('The file is valid: 2 post target(s) would be scheduled').waitFor();
    assert.equal(await page.locator('table.csv-errors').count(), 0);
    assert.equal(await postCount(), before, 'a dry run imports nothing');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByText('Imported 2 post(s) with 2 target(s).').waitFor();
    assert.equal(await postCount(), before + 2);
    await page.getByRole('link', { name: 'See them in the planner' }).click();
    await page.locator('li.post', { hasText: 'Imported two' }).waitFor();
    assert.match(await page.locator('li.post', { hasText: 'Imported two' }).innerText(), new RegExp(`${later} 12:30`));
    assert.deepEqual(pageErrors, []);
  });
});
