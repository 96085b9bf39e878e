/**
 * Pins (POST /v5/pins) from image URLs: one image, or a carousel of 2 to 5. Our idempotency key
 * goes in the pin's private `note`, so `GET /v5/pins` finds a pin we may already have created.
 */
import { ProviderError, type ProviderContext, type PublishRequest, type PublishResult, type StoredCredential } from '../types.ts';
import { pinterestRequest } from './pinterestApi.ts';
import { pinterestFacts, pinterestPaths } from './pinterestFacts.ts';

const TITLE_MAX = 100;

export function pinNote(idempotencyKey: string): string {
  return `perennial:${idempotencyKey}`;
}

function pinUrl(id: string): string {
  return `https://www.pinterest.com/pin/${id}/`;
}

function boardOf(credential: StoredCredential, post: PublishRequest): string {
  const board = typeof post.options.boardId === 'string' ? post.options.boardId : credential.meta.defaultBoardId;
  if (typeof board !== 'string' || board === '') {
    throw new ProviderError('bad_request', 'no_board', 'Choose a Pinterest board for this pin (the account has none yet)');
  }
  return board;
}

function validate(post: PublishRequest): void {
  const { limits } = pinterestFacts;
  if (post.text.length > limits.textMax) throw new ProviderError('bad_request', 'text_too_long', `Pin descriptions are limited to ${limits.textMax} characters`);
  if (post.media.length === 0 || post.media.length > limits.maxImages || post.media.some((m) => m.kind !== 'image')) {
    throw new ProviderError('bad_request', 'unsupported_media', `A pin needs 1 to ${limits.maxImages} images`);
  }
}

export async function publishPin(ctx: ProviderContext, credential: StoredCredential, post: PublishRequest): Promise<PublishResult> {
  validate(post);
  const media_source =
    post.media.length === 1
      ? { source_type: 'image_url', url: post.media[0]?.url }
      : { source_type: 'multiple_image_urls', items: post.media.map((m) => ({ url: m.url, ...(m.altText ? { description: m.altText } : {}) })) };
  const title = typeof post.options.title === 'string' ? post.options.title.slice(0, TITLE_MAX) : undefined;
  const pin = await pinterestRequest(ctx, 'POST', pinterestPaths.pins, credential.accessToken, {
    board_id: boardOf(credential, post),
    ...(title ? { title } : {}),
    description: post.text,
    ...(post.link ? { link: post.link } : {}),
    ...(post.media[0]?.altText ? { alt_text: post.media[0].altText } : {}),
    note: pinNote(post.idempotencyKey),
    media_source,
  });
  if (typeof pin.id !== 'string' || pin.id === '') throw new ProviderError('transient', 'malformed_response', 'Pinterest created the pin without returning its id');
  return { platformPostId: pin.id, url: pinUrl(pin.id) };
}

export async function findRecentPin(ctx: ProviderContext, credential: StoredCredential, post: PublishRequest): Promise<PublishResult | null> {
  const page = await pinterestRequest(ctx, 'GET', `${pinterestPaths.pins}?page_size=25`, credential.accessToken);
  const items = Array.isArray(page.items) ? (page.items as Record<string, unknown>[]) : [];
  const found = items.find((p) => p.note === pinNote(post.idempotencyKey) && typeof p.id === 'string');
  return found ? { platformPostId: found.id as string, url: pinUrl(found.id as string) } : null;
}
