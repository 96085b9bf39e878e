import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ControllableClock } from '../../clock.ts';
import { sandboxClient } from '../../providers/registry.ts';
import type { PlatformId } from '../../providers/types.ts';
import { startEmulator, type RunningEmulator } from '../core/registerEmulator.ts';

/**
 * The publishing endpoints of the LinkedIn, TikTok, YouTube and Pinterest modules, called
 * directly: the validation error bodies and limits the adapters never trigger on purpose.
 */
let emu: RunningEmulator;
const clock = new ControllableClock({ startMs: Date.UTC(2026, 0, 5, 9) });
before(async () => {
  emu = await startEmulator({ clock });
});
after(() => emu.close());
beforeEach(() => emu.core.reset());

function tokenFor(platform: PlatformId, accountId: string, scopes: string[]): string {
  return emu.core.grants.createGrant({ platform, clientId: sandboxClient(platform).clientId, accountId, scopes }).access.token;
}

async function call(method: string, path: string, token: string | null, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${emu.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

describe('LinkedIn posts endpoint', () => {
  const v = { 'linkedin-version': '202601' };
  const post = (author: string, extra: Record<string, unknown> = {}) => ({ author, commentary: 'Hello', visibility: 'PUBLIC', lifecycleState: 'PUBLISHED', distribution: { feedDistribution: 'MAIN_FEED' }, ...extra });

  it('answers the documented 401 bodies', async () => {
    assert.deepEqual((await call('POST', '/linkedin/api/rest/posts', null, {}, v)).body, { message: 'Empty oauth2_access_token', serviceErrorCode: 401, status: 401 });
    assert.equal((await call('POST', '/linkedin/api/rest/posts', 'nope', {}, v)).body.serviceErrorCode, 65600);
  });

  it('requires a version header, a valid author and commentary, and uploaded images', async () => {
    const token = tokenFor('linkedin', 'li-alice', ['w_member_social', 'w_organization_social']);
    assert.equal((await call('POST', '/linkedin/api/rest/posts', token, post('urn:li:person:li-alice'))).status, 426);
    assert.equal((await call('POST', '/linkedin/api/rest/posts', token, post('urn:li:person:li-bob'), v)).status, 403);
    assert.equal((await call('POST', '/linkedin/api/rest/posts', token, post('urn:li:person:li-alice', { commentary: 'x'.repeat(3001) }), v)).status, 422);
    const ghost = await call('POST', '/linkedin/api/rest/posts', token, post('urn:li:person:li-alice', { content: { media: { id: 'urn:li:image:none' } } }), v);
    assert.equal(ghost.status, 400);
    const ok = await call('POST', '/linkedin/api/rest/posts', token, post('urn:li:organization:1035'), v);
    assert.equal(ok.status, 201);
    assert.match(ok.headers.get('x-restli-id') ?? '', /^urn:li:share:/);
  });

  it('limits member posts per day, and an admin can take an organization role away', async () => {
    const token = tokenFor('linkedin', 'li-alice', ['w_member_social', 'w_organization_social']);
    assert.equal((await call('POST', '/linkedin/_admin/settings', null, { postsPerDay: 1 })).status, 200);
    assert.equal((await call('POST', '/linkedin/_admin/settings', null, { postsPerDay: -1 })).status, 400);
    assert.equal((await call('POST', '/linkedin/api/rest/posts', token, post('urn:li:person:li-alice'), v)).status, 201);
    const limited = await call('POST', '/linkedin/api/rest/posts', token, post('urn:li:person:li-alice'), v);
    assert.equal(limited.status, 429);
    assert.equal(limited.body.code, 'TOO_MANY_REQUESTS');
    await call('DELETE', '/linkedin/_admin/members/li-alice/organizations/1035', null);
    assert.equal((await call('POST', '/linkedin/api/rest/posts', token, post('urn:li:organization:1035'), v)).status, 403);
  });
});

describe('TikTok publishing endpoints', () => {
  it('validates privacy level, caption and source, and needs the video.publish scope', async () => {
    const noScope = tokenFor('tiktok', '-000AbCdEfGhAlice', ['user.info.basic']);
    assert.equal(((await call('POST', '/tiktok/api/v2/post/publish/video/init/', noScope, {})).body.error as { code: string }).code, 'scope_not_authorized');
    const token = tokenFor('tiktok', '-000AbCdEfGhAlice', ['video.publish']);
    const init = (info: Record<string, unknown>, source: Record<string, unknown> = { source: 'PULL_FROM_URL', video_url: `${emu.url}/_samples/v.mp4` }) =>
      call('POST', '/tiktok/api/v2/post/publish/video/init/', token, { post_info: info, source_info: source });
    assert.equal(((await init({ title: 'x', privacy_level: 'EVERYONE' })).body.error as { code: string }).code, 'privacy_level_option_mismatch');
    assert.equal((await init({ title: 'x'.repeat(2201), privacy_level: 'SELF_ONLY' })).status, 400);
    assert.equal((await init({ title: 'x', privacy_level: 'SELF_ONLY' }, { source: 'FILE_UPLOAD' })).status, 400);
    const ok = await init({ title: 'x', privacy_level: 'SELF_ONLY' });
    const publishId = (ok.body.data as { publish_id: string }).publish_id;
    const status = await call('POST', '/tiktok/api/v2/post/publish/status/fetch/', token, { publish_id: publishId });
    // A private post completes without a public id.
    assert.deepEqual(status.body.data, { status: 'PUBLISH_COMPLETE', publicaly_available_post_id: [] });
    assert.equal((await call('POST', '/tiktok/api/v2/post/publish/status/fetch/', token, { publish_id: 'nope' })).status, 400);
    // TikTok really downloads the file: a URL that answers 404, or serves an image, fails the job.
    for (const video_url of [`${emu.url}/_samples/gone.txt`, `${emu.url}/_samples/still.png`]) {
      const job = await init({ title: 'x', privacy_level: 'SELF_ONLY' }, { source: 'PULL_FROM_URL', video_url });
      const failed = await call('POST', '/tiktok/api/v2/post/publish/status/fetch/', token, { publish_id: (job.body.data as { publish_id: string }).publish_id });
      assert.deepEqual(failed.body.data, { status: 'FAILED', fail_reason: 'video_pull_failed' }, video_url);
    }
  });

  it('rejects bad admin input', async () => {
    assert.equal((await call('POST', '/tiktok/_admin/lifetimes', null, { preset: 'forever' })).status, 400);
    assert.equal((await call('POST', '/tiktok/_admin/webhook', null, { url: 'ftp://x' })).status, 400);
    assert.equal((await call('POST', '/tiktok/_admin/users/nobody/remove-authorization', null, {})).status, 404);
    assert.equal((await call('POST', '/tiktok/_admin/settings', null, { unknown: 1 })).status, 400);
  });
});

describe('YouTube upload endpoints', () => {
  const scopes = ['https://www.googleapis.com/auth/youtube.upload'];
  const start = (token: string, snippet: Record<string, unknown>) =>
    call('POST', '/youtube/api/upload/youtube/v3/videos?uploadType=resumable&part=snippet,status', token, { snippet, status: { privacyStatus: 'private' } });
  it('answers invalidTitle, youtubeSignupRequired and quotaExceeded with Google error bodies', async () => {
    const token = tokenFor('youtube', '109876543210000000001', scopes);
    const bad = await start(token, { title: 'a <b>' });
    assert.equal(((bad.body.error as { errors: { reason: string }[] }).errors[0])?.reason, 'invalidTitle');
    const noChannel = await start(tokenFor('youtube', '109876543210000000003', scopes), { title: 'ok' });
    assert.equal(noChannel.status, 401);
    await call('POST', '/youtube/_admin/settings', null, { quotaPerDay: 1600 });
    assert.equal((await start(token, { title: 'first' })).status, 200);
    const quota = await start(token, { title: 'second' });
    assert.equal(quota.status, 403);
    assert.equal(((quota.body.error as { errors: { reason: string }[] }).errors[0])?.reason, 'quotaExceeded');
  });

  it('refuses an upload without bytes and an unknown session', async () => {
    const token = tokenFor('youtube', '109876543210000000001', scopes);
    const session = await start(token, { title: 'ok' });
    const location = session.headers.get('location')!;
    const empty = await fetch(location, { method: 'PUT', headers: { 'content-type': 'video/mp4' }, body: new Uint8Array() });
    assert.equal(empty.status, 400);
    assert.equal((await fetch(`${emu.url}/youtube/api/upload/youtube/v3/videos?upload_id=none`, { method: 'PUT', headers: { 'content-type': 'video/mp4' }, body: 'x' })).status, 404);
  });
});

describe('Pinterest pins endpoint', () => {
  it('answers code 2 without a token, code 29 without the scope, and validates the pin', async () => {
    assert.deepEqual((await call('POST', '/pinterest/api/v5/pins', 'nope', {})).body, { code: 2, message: 'Authentication failed.', status: 'failure' });
    assert.equal((await call('POST', '/pinterest/api/v5/pins', tokenFor('pinterest', '1150000000000000001', ['pins:read']), {})).body.code, 29);
    const token = tokenFor('pinterest', '1150000000000000001', ['pins:write']);
    const pin = (extra: Record<string, unknown>) => call('POST', '/pinterest/api/v5/pins', token, { board_id: '1150000000000100001', media_source: { source_type: 'image_url', url: `${emu.url}/_samples/a.png` }, ...extra });
    assert.equal((await pin({ board_id: 'other' })).status, 404);
    assert.equal((await pin({ description: 'x'.repeat(501) })).status, 400);
    assert.equal((await pin({ link: 'javascript:alert(1)' })).status, 400);
    assert.equal((await pin({ media_source: { source_type: 'multiple_image_urls', items: [{ url: `${emu.url}/_samples/a.png` }] } })).status, 400);
    assert.equal((await pin({ media_source: { source_type: 'image_url', url: `${emu.url}/_samples/gone.txt` } })).status, 400, 'an image Pinterest cannot fetch');
    const created = await pin({});
    assert.equal(created.status, 201);
    const stored = emu.core.posts.list({ platform: 'pinterest' }).at(-1)!;
    assert.deepEqual((stored.media[0] as { contentType: string }).contentType, 'image/png', 'the pin shows the image it fetched');
  });
});
