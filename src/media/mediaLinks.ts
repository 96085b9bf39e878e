import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { AppContext } from '../context.ts';
import { loadVaultKeys } from '../vault/vaultKeys.ts';
import type { MediaFile } from './mediaRepo.ts';
import { mediaStores } from './mediaStores.ts';

/**
 * Links platforms use to fetch an upload: `${PUBLIC_URL}/media/<id>?expires=<unix s>&signature=<mac>`
 * (served by mediaRoutes without a session), or for files in S3 a presigned GET (or the
 * bucket's public URL). The MAC is HMAC-SHA256 over the id and the expiry with a key derived
 * (HKDF) from the newest ENCRYPTION_KEYS key, so every process agrees without a new secret,
 * and rotating the keys ends every link.
 */
export const MEDIA_LINK_TTL_MS = 6 * 3_600_000;

const keys = new WeakMap<object, Buffer>();

export function mediaLinkKey(ctx: Pick<AppContext, 'config' | 'log'>): Buffer {
  let key = keys.get(ctx.config);
  if (!key) {
    const newest = loadVaultKeys(ctx.config, ctx.log)[0]!;
    key = Buffer.from(hkdfSync('sha256', newest.key, Buffer.alloc(0), 'perennial media link v1', 32));
    keys.set(ctx.config, key);
  }
  return key;
}

function mac(key: Buffer, mediaId: string, expires: number): Buffer {
  return createHmac('sha256', key).update(`${mediaId}\n${expires}`).digest();
}

export function signedMediaPath(key: Buffer, mediaId: string, expiresAtMs: number): string {
  const expires = Math.floor(expiresAtMs / 1000);
  return `/media/${mediaId}?expires=${expires}&signature=${mac(key, mediaId, expires).toString('base64url')}`;
}

/** True when `signature` is ours for this id and expiry and the expiry is still ahead of `nowMs`. */
export function verifyMediaSignature(key: Buffer, mediaId: string, expires: string | undefined, signature: string | undefined, nowMs: number): boolean {
  if (!expires || !/^\d{1,12}$/.test(expires) || !signature || !/^[A-Za-z0-9_-]{43}$/.test(signature)) return false;
  const expected = mac(key, mediaId, Number(expires));
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
  return Number(expires) * 1000 > nowMs;
}

/** The URL a platform fetches this upload from, valid for MEDIA_LINK_TTL_MS. */
export async function mediaLinkFor(
  ctx: Pick<AppContext, 'config' | 'log' | 'clock'>,
  file: Pick<MediaFile, 'id' | 'storageBackend' | 'storageKey'>,
  mediaBaseUrl = `${ctx.config.publicUrl}/media`,
): Promise<string> {
  const direct = await mediaStores(ctx.config).forBackend(file.storageBackend).directUrl(file.storageKey, MEDIA_LINK_TTL_MS / 1000);
  if (direct) return direct;
  const path = signedMediaPath(mediaLinkKey(ctx), file.id, ctx.clock.nowMs() + MEDIA_LINK_TTL_MS);
  return `${mediaBaseUrl.replace(/\/media$/, '')}${path}`;
}
