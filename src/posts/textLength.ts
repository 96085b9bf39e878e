import { createRequire } from 'node:module';
import type * as TwitterText from 'twitter-text';
import type { PlatformId } from '../providers/types.ts';

/**
 * How long a post's text is, measured the way each platform measures it, on the text the adapter
 * actually sends (with the link it appends). Compose-time validation uses these so that what is
 * accepted here is accepted on the day:
 * - X: weighted length (twitter-text, X's own library: every URL counts 23, CJK and emoji 2);
 * - Bluesky: graphemes (300), and at most 3,000 bytes (the record's `maxLength`);
 * - Mastodon: graphemes, every URL counted as 23 and `@user@domain` as `@user`, with the
 *   content warning (`spoiler_text`) counted too, as the server's StatusLengthValidator does;
 * - YouTube: the description is limited in UTF-8 bytes;
 * - everyone else: UTF-16 code units (JavaScript's `length`), which is what those APIs and our
 *   adapters check; it never counts fewer than the graphemes people see.
 */

// twitter-text is CommonJS and its types describe named exports Node cannot see: load it whole.
let loadedTwitterText: typeof TwitterText | undefined;
/** twitter-text, loaded on first use (it costs a start ~80 ms and ~20 MB). */
const twitterText = (): typeof TwitterText => (loadedTwitterText ??= createRequire(import.meta.url)('twitter-text') as typeof TwitterText);

export type TextMeasure = { length: number; unit: 'characters' | 'weighted characters' | 'bytes' };

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** Characters as people see them (an emoji with modifiers is one). */
export function countGraphemes(text: string): number {
  // Plain ASCII has one grapheme per code unit (except CR LF, which counts as one).
  if (/^[\t\n\r -~]*$/.test(text)) return text.length - (text.match(/\r\n/g)?.length ?? 0);
  let n = 0;
  for (const _ of segmenter.segment(text)) n++;
  return n;
}

/**
 * The text the platform receives: X, Bluesky and Mastodon append the link when the text does not
 * already contain it; LinkedIn appends it below the text when the post has images (without images
 * the link becomes an article card instead). Mirrors the adapters' publish code.
 */
export function textAsPublished(platform: PlatformId, text: string, link: string | undefined, imageCount: number): string {
  if (!link) return text;
  switch (platform) {
    case 'x':
      return text.includes(link) ? text : `${text} ${link}`.trim();
    case 'bluesky':
      return text.includes(link) ? text : `${text}\n${link}`;
    case 'mastodon':
      return text.includes(link) ? text : `${text}\n\n${link}`;
    case 'linkedin':
      return imageCount > 0 ? `${text}\n\n${link}` : text;
    default:
      return text;
  }
}

const MASTODON_URL_LENGTH = 23;

export function measureText(platform: PlatformId, text: string, extra: { spoilerText?: string } = {}): TextMeasure {
  switch (platform) {
    case 'x':
      return { length: twitterText().parseTweet(text).weightedLength, unit: 'weighted characters' };
    case 'bluesky':
      return { length: countGraphemes(text), unit: 'characters' };
    case 'mastodon':
      return { length: countGraphemes(mastodonCountable(`${extra.spoilerText ?? ''}${text}`)), unit: 'characters' };
    case 'youtube':
      return { length: Buffer.byteLength(text), unit: 'bytes' };
    default:
      return { length: text.length, unit: 'characters' };
  }
}

/** Mastodon's `countable_text`: URLs become 23 characters, remote mentions lose their domain. */
function mastodonCountable(text: string): string {
  let out = '';
  let at = 0;
  for (const { indices } of twitterText().extractUrlsWithIndices(text, { extractUrlsWithoutProtocol: false })) {
    out += text.slice(at, indices[0]) + 'x'.repeat(MASTODON_URL_LENGTH);
    at = indices[1];
  }
  out += text.slice(at);
  return out.replace(/(^|[^\w/])@(\w+)@[\w.-]+\w/gu, '$1@$2');
}

/** Bluesky's record limit besides the 300 graphemes. */
export const BLUESKY_MAX_BYTES = 3000;
