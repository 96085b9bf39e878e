import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { randomBytes } from 'node:crypto';
import { randomSecret, safeEqual, sha256Hex } from './secretTokens.ts';
import { apiTokens, users } from './schema.ts';
import { toAuthUser, type AuthUser } from './usersRepo.ts';

/** Personal API tokens look like `prn_<12 hex prefix>_<43 base64url secret>`. */
const TOKEN_PATTERN = /^prn_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;

export type ApiTokenSummary = { id: string; name: string; prefix: string; createdAt: Date; lastUsedAt: Date | null };

const summaryColumns = {
  id: apiTokens.id,
  name: apiTokens.name,
  prefix: apiTokens.prefix,
  createdAt: apiTokens.createdAt,
  lastUsedAt: apiTokens.lastUsedAt,
};

/** Creates a token; the clear `token` is returned here once and never stored. */
export async function createApiToken(
  db: Database,
  userId: string,
  name: string,
  now: Date,
): Promise<{ token: string; summary: ApiTokenSummary }> {
  const prefix = randomBytes(6).toString('hex');
  const token = `prn_${prefix}_${randomSecret()}`;
  const [row] = await db
    .insert(apiTokens)
    .values({ userId, name, prefix, tokenHash: sha256Hex(token), createdAt: now })
    .returning(summaryColumns);
  if (!row) throw new Error('api token insert returned no row');
  return { token, summary: row };
}

export async function listApiTokens(db: Database, userId: string): Promise<ApiTokenSummary[]> {
  return db
    .select(summaryColumns)
    .from(apiTokens)
    .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
    .orderBy(desc(apiTokens.createdAt));
}

/** Revokes one of the user's tokens; false when the user has no such live token. */
export async function revokeApiToken(db: Database, userId: string, tokenId: string, now: Date): Promise<boolean> {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: now })
    .where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return rows.length > 0;
}

/** The user a live token belongs to (and notes its use), or undefined for anything else. */
export async function findUserByApiToken(db: Database, token: string, now: Date): Promise<AuthUser | undefined> {
  const prefix = TOKEN_PATTERN.exec(token)?.[1];
  if (!prefix) return undefined;
  const [row] = await db
    .select({ id: apiTokens.id, tokenHash: apiTokens.tokenHash, user: users })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.prefix, prefix), isNull(apiTokens.revokedAt)));
  if (!row || !safeEqual(row.tokenHash, sha256Hex(token))) return undefined;
  await db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.id));
  return toAuthUser(row.user);
}
