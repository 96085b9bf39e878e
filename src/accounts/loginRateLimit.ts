import { and, desc, eq, gt, inArray, lt } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { AppError } from '../http/errors.ts';
import { loginFailures } from './schema.ts';
import { sha256Hex } from './secretTokens.ts';
import { normalizeEmail } from './usersRepo.ts';

/**
 * Sign-in throttling, counted in the database so that every API process agrees.
 * An email gets 5 failed attempts per 15 minutes (guessing one account's password); an IP
 * address gets 30 (one office behind a NAT may mistype, a bot spraying many emails may not).
 */
export const LOGIN_LIMITS = {
  email: { max: 5, windowMs: 15 * 60_000 },
  ip: { max: 30, windowMs: 15 * 60_000 },
} as const;

type LimitedKey = { key: string; max: number; windowMs: number };

/** Emails are keyed by their hash: the table then holds no list of addresses people typed. */
export function loginKeys(email: string, ip: string): { email: LimitedKey; ip: LimitedKey } {
  return {
    email: { key: `email:${sha256Hex(normalizeEmail(email))}`, ...LOGIN_LIMITS.email },
    ip: { key: `ip:${ip}`, ...LOGIN_LIMITS.ip },
  };
}

/** Throws `rate_limited` (with Retry-After seconds) while any key has used up its failures in the window. */
export async function assertLoginAllowed(db: Database, keys: LimitedKey[], now: Date): Promise<void> {
  let retryAfterMs = 0;
  for (const { key, max, windowMs } of keys) {
    const recent = await db
      .select({ failedAt: loginFailures.failedAt })
      .from(loginFailures)
      .where(and(eq(loginFailures.key, key), gt(loginFailures.failedAt, new Date(now.getTime() - windowMs))))
      .orderBy(desc(loginFailures.failedAt))
      .limit(max);
    // Allowed again when the max-th most recent failure leaves the window.
    const oldestCounted = recent[max - 1];
    if (oldestCounted) retryAfterMs = Math.max(retryAfterMs, oldestCounted.failedAt.getTime() + windowMs - now.getTime());
  }
  if (retryAfterMs > 0) {
    const retryAfter = Math.max(1, Math.ceil(retryAfterMs / 1000));
    throw new AppError('rate_limited', `Too many failed sign-ins; try again in ${retryAfter} seconds`, { retryAfter });
  }
}

/**
 * Counts one failure against every key, and prunes every failure older than the longest window
 * (failures of keys never seen again would otherwise stay forever).
 */
export async function recordLoginFailure(db: Database, keys: LimitedKey[], now: Date): Promise<void> {
  await db.insert(loginFailures).values(keys.map(({ key }) => ({ key, failedAt: now })));
  const longest = Math.max(LOGIN_LIMITS.email.windowMs, LOGIN_LIMITS.ip.windowMs, ...keys.map((k) => k.windowMs));
  await db.delete(loginFailures).where(lt(loginFailures.failedAt, new Date(now.getTime() - longest)));
}

/** A successful sign-in forgives that email's earlier failures (not the IP's). */
export async function clearLoginFailures(db: Database, keys: LimitedKey[]): Promise<void> {
  await db.delete(loginFailures).where(inArray(loginFailures.key, keys.map((k) => k.key)));
}
