import { and, desc, eq, gt, inArray, lt, sql } from 'drizzle-orm';
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
async function assertLoginAllowed(db: Database, keys: LimitedKey[], now: Date): Promise<void> {
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

/** An advisory lock id per key (64 bits of its SHA-256), so attempts on one key are counted one at a time. */
function lockIdOf(key: string): string {
  return BigInt.asIntN(64, BigInt(`0x${sha256Hex(`login:${key}`).slice(0, 16)}`)).toString();
}

/**
 * Counts an attempt against every key BEFORE the password is checked, and refuses (`rate_limited`)
 * once a key has used up its failures. Check and count happen under a per-key advisory lock in one
 * transaction, so parallel attempts cannot all pass the check before any of them is counted: of
 * 40 wrong passwords sent at once, 5 reach the hash. Returns the ids of the rows it wrote;
 * a sign-in that succeeds removes them (`forgiveLoginAttempt`). Prunes failures older than the
 * longest window (keys never seen again would otherwise stay forever).
 */
export async function reserveLoginAttempt(db: Database, keys: LimitedKey[], now: Date): Promise<string[]> {
  return db.transaction(async (tx) => {
    // One order for every caller: two attempts never wait on each other's second lock.
    for (const lockId of keys.map((k) => lockIdOf(k.key)).sort()) {
      await tx.execute(sql`select pg_advisory_xact_lock(${lockId}::bigint)`);
    }
    await assertLoginAllowed(tx, keys, now);
    const rows = await tx
      .insert(loginFailures)
      .values(keys.map(({ key }) => ({ key, failedAt: now })))
      .returning({ id: loginFailures.id });
    const longest = Math.max(LOGIN_LIMITS.email.windowMs, LOGIN_LIMITS.ip.windowMs, ...keys.map((k) => k.windowMs));
    await tx.delete(loginFailures).where(lt(loginFailures.failedAt, new Date(now.getTime() - longest)));
    return rows.map((r) => r.id);
  });
}

/** The attempt was right: its reserved rows go, and that email's earlier failures are forgiven (not the IP's). */
export async function forgiveLoginAttempt(db: Database, reserved: string[], emailKey: LimitedKey): Promise<void> {
  await db.delete(loginFailures).where(inArray(loginFailures.id, reserved));
  await clearLoginFailures(db, [emailKey]);
}

/** A successful sign-in forgives that email's earlier failures (not the IP's). */
async function clearLoginFailures(db: Database, keys: LimitedKey[]): Promise<void> {
  await db.delete(loginFailures).where(inArray(loginFailures.key, keys.map((k) => k.key)));
}
