import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlatformId } from '../providers/types.ts';
import { postContentSchema, type PostContent } from './postContent.ts';
import { validatePostContent, type MediaInfo } from './validatePost.ts';
import type { AccountHints } from './validateOptions.ts';

const LINK = 'https://garden.example.com/a/rather/long/path/to/an/article/about/raised-beds-and-compost?utm_source=perennial';
const content = (c: unknown): PostContent => postContentSchema.parse(c);
const target = (platform: PlatformId, account: AccountHints = { kind: 'user' }) => ({ connectionId: `c-${platform}`, platform, label: platform, account });
const codes = (c: unknown, platforms: PlatformId[], media: MediaInfo[] = [], account?: AccountHints) =>
  validatePostContent(content(c), platforms.map((p) => target(p, account)), new Map(media.map((m) => [m.id, m]))).map((i) => `${i.platform}:${i.code}`);

const upload = (id: string, mimeType: string, sizeBytes = 1000): MediaInfo => ({ id, fileName: `${id}.bin`, mimeType, kind: mimeType.startsWith('video/') ? 'video' : 'image', sizeBytes });
const IMAGE = '00000000-0000-4000-8000-000000000001';
const VIDEO = '00000000-0000-4000-8000-000000000002';

describe('text length as each platform counts it', () => {
  it('X: weighted (CJK and emoji count 2), every URL 23, the appended link counted', () => {
    assert.deepEqual(codes({ text: 'a'.repeat(280) }, ['x']), []);
    assert.deepEqual(codes({ text: '日'.repeat(141) }, ['x']), ['x:text_too_long'], '141 CJK characters weigh 282');
    assert.deepEqual(codes({ text: '日'.repeat(140) }, ['x']), []);
    assert.deepEqual(codes({ text: '🌱'.repeat(141) }, ['x']), ['x:text_too_long']);
    // A long URL in the text counts 23.
    assert.deepEqual(codes({ text: `${'a'.repeat(250)} ${LINK}` }, ['x']), []);
    // The link the adapter appends ("text link") counts: 256 + 1 + 23 = 280 fits, 257 does not.
    assert.deepEqual(codes({ text: 'a'.repeat(256), link: LINK }, ['x']), []);
    assert.deepEqual(codes({ text: 'a'.repeat(257), link: LINK }, ['x']), ['x:text_too_long']);
  });

  it('Bluesky: 300 graphemes, whatever their code points; at most 3,000 bytes', () => {
    const accented = 'e\u0301'; // one grapheme, two code points
    assert.deepEqual(codes({ text: accented.repeat(300) }, ['bluesky']), []);
    assert.deepEqual(codes({ text: accented.repeat(301) }, ['bluesky']), ['bluesky:text_too_long']);
    const family = '👨‍👩‍👧‍👦'; // one grapheme, 25 bytes
    assert.deepEqual(codes({ text: family.repeat(120) }, ['bluesky']), []);
    assert.deepEqual(codes({ text: family.repeat(121) }, ['bluesky']), ['bluesky:text_too_long'], '121 graphemes but 3,025 bytes');
  });

  it('Bluesky: the appended link counts', () => {
    assert.deepEqual(codes({ text: 'é'.repeat(300) }, ['bluesky']), []);
    assert.deepEqual(codes({ text: 'é'.repeat(301) }, ['bluesky']), ['bluesky:text_too_long']);
    assert.deepEqual(codes({ text: 'a'.repeat(250), link: LINK }, ['bluesky']), ['bluesky:text_too_long'], '250 + newline + the 110-character link');
    assert.deepEqual(codes({ text: 'a'.repeat(189), link: LINK }, ['bluesky']), []);
  });

  it('Mastodon: URLs count 23, the content warning counts too', () => {
    assert.deepEqual(codes({ text: `${'a'.repeat(470)} ${LINK}` }, ['mastodon']), [], '470 + 1 + 23');
    assert.deepEqual(codes({ text: `${'a'.repeat(480)} ${LINK}` }, ['mastodon']), ['mastodon:text_too_long']);
    assert.deepEqual(codes({ text: 'a'.repeat(460), link: LINK }, ['mastodon']), [], '460 + two newlines + 23');
    assert.deepEqual(codes({ text: 'a'.repeat(480), overrides: { mastodon: { options: { spoilerText: 'b'.repeat(30) } } } }, ['mastodon']), ['mastodon:text_too_long']);
  });

  it('LinkedIn: the link is appended to the text only when the post has images', () => {
    assert.deepEqual(codes({ text: 'a'.repeat(2990), link: LINK }, ['linkedin']), [], 'an article card, not text');
    assert.deepEqual(codes({ text: 'a'.repeat(2990), link: LINK, mediaIds: [IMAGE] }, ['linkedin'], [upload(IMAGE, 'image/jpeg')]), ['linkedin:text_too_long']);
  });

  it('YouTube: the description in bytes, without < or >', () => {
    const media = [upload(VIDEO, 'video/mp4')];
    const base = { mediaIds: [VIDEO], overrides: { youtube: { title: 'Tour' } } };
    assert.deepEqual(codes({ ...base, text: 'é'.repeat(2500) }, ['youtube'], media), []);
    assert.deepEqual(codes({ ...base, text: 'é'.repeat(2501) }, ['youtube'], media), ['youtube:text_too_long']);
    assert.deepEqual(codes({ ...base, text: 'a <b> c' }, ['youtube'], media), ['youtube:text_invalid_characters']);
  });
});

describe('media checks, uploads and URLs alike', () => {
  it('classifies media URLs by extension: count, type, video required', () => {
    const urls = (n: number, ext = 'jpg') => Array.from({ length: n }, (_, i) => `https://cdn.example/${i}.${ext}`);
    assert.deepEqual(codes({ text: 'hi', mediaUrls: urls(5) }, ['x']), ['x:too_many_images']);
    assert.deepEqual(codes({ text: 'hi', mediaUrls: urls(4) }, ['x']), []);
    assert.deepEqual(codes({ text: 'hi', mediaUrls: urls(1), overrides: { youtube: { title: 'T' } } }, ['youtube']), ['youtube:video_required', 'youtube:too_many_images', 'youtube:media_type_not_supported'], 'a .jpg for YouTube');
    assert.deepEqual(codes({ text: 'hi', mediaUrls: urls(1, 'mp4'), overrides: { youtube: { title: 'T' } } }, ['youtube']), []);
    assert.deepEqual(codes({ text: 'hi', mediaUrls: urls(1, 'gif') }, ['instagram']), ['instagram:media_type_not_supported']);
    assert.deepEqual(codes({ text: 'hi', mediaUrls: ['https://cdn.example/photo'] }, ['instagram']), ['instagram:media_type_unknown']);
    assert.deepEqual(codes({ text: 'hi', mediaUrls: [...urls(1), ...urls(1, 'mp4')] }, ['x']), ['x:mixed_media']);
  });

  it('refuses videos where the adapter cannot send them yet (LinkedIn, Pinterest), by upload or URL', () => {
    assert.deepEqual(codes({ text: 'hi', mediaIds: [VIDEO] }, ['linkedin'], [upload(VIDEO, 'video/mp4')]), ['linkedin:video_not_supported']);
    assert.deepEqual(codes({ text: 'hi', mediaUrls: ['https://cdn.example/v.mp4'] }, ['pinterest']), ['pinterest:video_not_supported']);
    assert.deepEqual(codes({ text: 'hi', mediaIds: [IMAGE] }, ['linkedin', 'pinterest'], [upload(IMAGE, 'image/jpeg')]), []);
  });

  it('checks upload sizes, and reports every problem of every target', () => {
    const big = upload(IMAGE, 'image/png', 6 * 1024 ** 2);
    assert.deepEqual(codes({ text: 'a'.repeat(301), mediaIds: [IMAGE] }, ['x', 'bluesky', 'mastodon'], [big]), ['x:text_too_long', 'x:media_too_large', 'bluesky:text_too_long', 'bluesky:media_too_large']);
  });
});

describe('options checked against the account', () => {
  const tiktok = (options: object, account: AccountHints) => codes({ text: 'hi', mediaIds: [VIDEO], overrides: { tiktok: { options } } }, ['tiktok'], [upload(VIDEO, 'video/mp4')], account);

  it('TikTok: a privacy level the creator is not offered (when the connection knows), branded content not private', () => {
    const offered: AccountHints = { kind: 'user', privacyLevelOptions: ['PUBLIC_TO_EVERYONE', 'SELF_ONLY'] };
    assert.deepEqual(tiktok({ privacyLevel: 'SELF_ONLY' }, offered), []);
    assert.deepEqual(tiktok({ privacyLevel: 'FOLLOWER_OF_CREATOR' }, offered), ['tiktok:option_not_allowed']);
    assert.deepEqual(tiktok({ privacyLevel: 'FOLLOWER_OF_CREATOR' }, { kind: 'user' }), [], 'unknown offer: left to publish time');
    assert.deepEqual(tiktok({ privacyLevel: 'SELF_ONLY', brandContentToggle: true }, offered), ['tiktok:option_conflict']);
  });

  it('Pinterest: the board must be one of the account’s, or the account needs a default board', () => {
    const pin = (options: object, account: AccountHints) => codes({ text: 'hi', mediaIds: [IMAGE], overrides: { pinterest: { options } } }, ['pinterest'], [upload(IMAGE, 'image/jpeg')], account);
    const boards: AccountHints = { kind: 'profile', boards: [{ id: '11' }, { id: '12' }], defaultBoardId: '11' };
    assert.deepEqual(pin({ boardId: '12' }, boards), []);
    assert.deepEqual(pin({ boardId: '13' }, boards), ['pinterest:board_not_found']);
    assert.deepEqual(pin({}, boards), []);
    assert.deepEqual(pin({}, { kind: 'profile', boards: [] }), ['pinterest:board_required']);
  });

  it('YouTube tags together at most 500 characters; LinkedIn pages cannot post to connections', () => {
    const yt = (tags: string[]) => codes({ text: 'hi', mediaIds: [VIDEO], overrides: { youtube: { title: 'T', options: { tags } } } }, ['youtube'], [upload(VIDEO, 'video/mp4')]);
    assert.deepEqual(yt(Array.from({ length: 50 }, () => 'ninechars')), []);
    assert.deepEqual(yt(Array.from({ length: 50 }, () => 'nine char')), ['youtube:tags_too_long'], 'quotes around tags with spaces count');
    const li = (kind: string) => codes({ text: 'hi', overrides: { linkedin: { options: { visibility: 'CONNECTIONS' } } } }, ['linkedin'], [], { kind });
    assert.deepEqual(li('user'), []);
    assert.deepEqual(li('organization'), ['linkedin:option_not_allowed']);
  });

  it('the schemas are strict per platform', () => {
    const bad = [
      { tiktok: { options: { privacy_level: 'SELF_ONLY' } } },
      { tiktok: { options: { privacyLevel: 'EVERYONE' } } },
      { x: { options: { visibility: 'public' } } },
      { mastodon: { options: { visibility: 'followers' } } },
      { pinterest: { options: { boardId: 'garden' } } },
      { threads: { options: { anything: true } } },
      { youtube: { options: { tags: 'garden' } } },
    ];
    for (const overrides of bad) assert.equal(postContentSchema.safeParse({ text: 'hi', overrides }).success, false, JSON.stringify(overrides));
    assert.equal(postContentSchema.safeParse({ text: 'hi', overrides: { linkedin: { options: { visibility: 'LOGGED_IN' } } } }).success, true);
  });
});
